// The bench's accounts on a fresh gateway, made through its own REST API as an operator and a user would.
import { json } from './processes.js';

/** Admin creates the provider and a priced model; a user gets credit, an API key, an access token and an app on the model. */
export async function setUpGateway(
  gatewayOrigin: string,
  upstreamOrigin: string,
): Promise<{ apiKey: string; accessToken: string; userId: string; appId: string }> {
  const api = `${gatewayOrigin}/api/v1`;
  const admin = await json(`${api}/auth/token`, 'POST', { username: 'bench-admin@example.com', password: 'bench-admin-password' });
  const provider = await json(
    `${api}/providers`,
    'POST',
    {
      name: 'bench-upstream',
      kind: 'openai-compatible',
      base_url: `${upstreamOrigin}/v1`,
      api_key: 'sk-upstream',
      timeout_ms: 30_000,
      priority: 0,
      weight: 1,
      enabled: true,
    },
    admin.access_token,
  );
  const model = await json(
    `${api}/models`,
    'POST',
    {
      name: 'bench-model',
      description: 'benchmark model',
      category: 'text',
      visibility: 'public',
      pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
      routes: [{ provider_id: provider.id, upstream_model: 'bench-upstream' }],
    },
    admin.access_token,
  );
  await json(`${api}/auth/register`, 'POST', { username: 'bench_user', email: 'bench-user@example.com', password: 'bench-user-password' });
  const user = await json(`${api}/auth/token`, 'POST', { username: 'bench_user', password: 'bench-user-password' });
  const profile: { id: string } = (await (
    await fetch(`${api}/users/profile`, { headers: { authorization: `Bearer ${user.access_token}` } })
  ).json()) as { id: string };
  await json(
    `${api}/admin/users/${profile.id}/wallet/credit`,
    'POST',
    { amount: 1_000_000, reason: 'benchmark budget' },
    admin.access_token,
  );
  const key = await json(`${api}/api-keys`, 'POST', { name: 'bench' }, user.access_token);
  // No max_tokens: the history may take the window but the reply's share (chat/service.ts replyBudget).
  const app = await json(
    `${api}/applications`,
    'POST',
    { name: 'bench-app', model_id: model.id, config: { system_prompt: 'Be brief.' } },
    user.access_token,
  );
  return { apiKey: key.key, accessToken: user.access_token, userId: profile.id, appId: app.id };
}
