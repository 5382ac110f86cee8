// A small chat client built on @maas/sdk: signs in (registering on first use), creates an
// application on a text model and streams one answer to the terminal.
//   MAAS_URL=http://localhost:3000 pnpm --filter @maas/example-chat start "Hello!"
import { createMaasClient, isMaasError } from '@maas/sdk';

const baseUrl = process.env.MAAS_URL ?? 'http://localhost:3000';
const username = process.env.MAAS_USERNAME ?? 'example_user';
const password = process.env.MAAS_PASSWORD ?? 'example-password-123';
const message = process.argv.slice(2).join(' ') || 'Hello! What can you do?';

const client = createMaasClient({ baseUrl });

async function signIn() {
  try {
    await client.signIn({ username, password });
  } catch (error) {
    if (!isMaasError(error) || error.code !== 'UNAUTHORIZED') throw error;
    await client.auth.register.mutate({ username, email: `${username}@example.com`, password });
    await client.signIn({ username, password });
  }
}

try {
  await signIn();
  const models = await client.models.list.query({ category: 'text', operation: 'chat', sort: 'popularity' });
  const model = models.data.find((m) => m.status === 'active');
  if (!model) throw new Error('no active text model on this platform');
  const app = await client.applications.create.mutate({
    name: 'Example chat',
    description: 'Created by apps/example-chat',
    model_id: model.id,
    config: { max_tokens: 200, system_prompt: 'You are a concise assistant.' },
  });
  console.log(`model: ${model.name}\napp: ${app.id}\n> ${message}`);
  for await (const event of client.streamChat({ app_id: app.id, message })) {
    if (event.type === 'delta') process.stdout.write(event.content);
    else if (event.type === 'done') {
      console.log(
        `\n[conversation ${event.conversation_id}: ${event.tokens_used.input} in, ${event.tokens_used.output} out, cost ${event.cost}]`,
      );
    } else if (event.type === 'tool_call') {
      console.log(`\n[tool ${event.function}(${event.arguments})]`);
    } else if (event.type === 'tool_result') {
      console.log(`[tool ${event.status}, ${event.latency_ms} ms, cost ${event.cost}]`);
    } else {
      console.error(`\n[stream error ${event.error.code}: ${event.error.message}]`);
      process.exitCode = 1;
    }
  }
} catch (error) {
  console.error(isMaasError(error) ? `${error.code} (${error.status}): ${error.message} [request ${error.request_id}]` : error);
  process.exitCode = 1;
}
