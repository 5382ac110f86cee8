import {
  apiClient,
  type ApiClient,
  type ApiResponse,
  type MockUpstream,
  setRole,
  signUp,
  startMockUpstream,
  startTestServer,
  type TestServer,
  upload,
} from '../kit/index.js';

/**
 * The world the authorisation matrix runs in: user A (a developer) owns one of every resource,
 * user B (plain user), developer D and anonymous callers try A's ids. Every private value of A
 * carries `secret`, a random token, so "no data leaked" is one substring test on a response body.
 * Public values of A (what the catalogue and the community show) never carry it.
 */

export interface Principal {
  id: string;
  username: string;
  token: string;
}

export type AttackerRole = 'anonymous' | 'user' | 'developer';

export interface Attacker {
  label: string;
  role: AttackerRole;
  /** The Bearer credential: an access token or an `sk-` API key; none when anonymous. */
  credential: () => string | undefined;
}

export interface AuthorizationWorld {
  server: TestServer;
  api: ApiClient;
  upstream: MockUpstream;
  secret: string;
  /** Exact private values that cannot carry the token (key material, hashes). */
  privateMarkers: string[];
  admin: Principal;
  owner: Principal & {
    email: string;
    providerId: string;
    fileId: string;
    privateModel: { id: string; name: string };
    publicModel: { id: string; name: string };
    appId: string;
    conversationId: string;
    apiKey: { id: string; key: string; prefix: string };
    draftToolId: string;
    publishedToolId: string;
    unlistedToolId: string;
    postId: string;
    hiddenPostId: string;
    commentId: string;
    hiddenCommentId: string;
    topUpId: string;
  };
  user: Principal & { apiKey: string; appId: string; postId: string };
  developer: Principal;
}

function expectStatus(res: ApiResponse, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

function random(): string {
  return Math.random().toString(36).slice(2, 10);
}

async function registerOwner(api: ApiClient, secret: string): Promise<Principal & { email: string }> {
  // The username is public (it signs posts and tools); the email is private, so it carries the token.
  const username = `owner_${process.pid}_${random()}`.slice(0, 32);
  const email = `${secret}@example.com`;
  const password = 'correct-horse-battery';
  const registered = await api.post('/api/v1/auth/register', { username, email, password });
  expectStatus(registered, 201, 'register A');
  const tokens = await api.post('/api/v1/auth/token', { username, password });
  expectStatus(tokens, 200, 'sign in A');
  return { id: registered.body.id, username, email, token: tokens.body.access_token };
}

async function post(api: ApiClient, path: string, body: unknown, token: string, status = 201) {
  const res = await api.post(path, body, token);
  expectStatus(res, status, `POST ${path}`);
  return res.body;
}

export async function buildAuthorizationWorld(): Promise<AuthorizationWorld> {
  const upstream = await startMockUpstream();
  const server = await startTestServer();
  const api = apiClient(server.url);
  const secret = `zq${random()}${random()}`;

  const admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
  const a = await registerOwner(api, secret);
  await setRole(server, a.id, 'developer');
  const b = await signUp(api, 'user');
  const d = await signUp(api, 'dev');
  await setRole(server, d.id, 'developer');

  const provider = await post(
    api,
    '/api/v1/providers',
    { name: `provider-${secret}`, kind: 'openai-compatible', base_url: upstream.url, api_key: `sk-upstream-${secret}`, timeout_ms: 5_000 },
    admin.token,
  );

  const file = await upload(server.url, a.token, `weights of ${secret}`, `${secret}-weights.bin`);
  expectStatus(file, 201, 'upload');

  const privateModel = await post(
    api,
    '/api/v1/models',
    {
      name: `private-${secret}`,
      description: `kept private by A ${secret}`,
      category: 'text',
      visibility: 'private',
      model_file: file.body.id,
      context_window: 8_192,
      config: { max_tokens: 64 },
      routes: [{ provider_id: provider.id, upstream_model: `upstream-${secret}` }],
    },
    a.token,
  );
  // Public model: name and description are in the catalogue; its routes stay the owner's business.
  const publicModel = await post(
    api,
    '/api/v1/models',
    {
      name: `public-model-${random()}`,
      description: 'a model in the public catalogue',
      category: 'text',
      visibility: 'public',
      context_window: 8_192,
      config: { max_tokens: 64 },
      routes: [{ provider_id: provider.id, upstream_model: `public-upstream-${secret}` }],
    },
    a.token,
  );

  const app = await post(
    api,
    '/api/v1/applications',
    {
      name: `app-${secret}`,
      description: `A's application ${secret}`,
      model_id: privateModel.id,
      config: { system_prompt: `system prompt ${secret}`, max_tokens: 32 },
    },
    a.token,
  );
  const chat = await post(api, `/api/v1/applications/${app.id}/chat`, { message: `hello from A ${secret}` }, a.token, 200);
  const apiKey = await post(api, '/api/v1/api-keys', { name: `key-${secret}` }, a.token);

  const draftTool = await post(
    api,
    '/api/v1/tools',
    {
      name: `draft-${secret}`,
      description: `unreleased ${secret}`,
      full_description: `draft notes ${secret}`,
      category: 'development',
      price: 0,
      status: 'draft',
    },
    a.token,
  );
  const publishedTool = await post(
    api,
    '/api/v1/tools',
    { name: `published-tool-${random()}`, description: 'on the marketplace', category: 'development', price: 0, status: 'published' },
    a.token,
  );

  const unlistedTool = await post(
    api,
    '/api/v1/tools',
    { name: `unlisted-tool-${random()}`, description: 'anyone with the link', category: 'development', price: 0, status: 'unlisted' },
    a.token,
  );

  const visiblePost = await post(api, '/api/v1/community/posts', { title: 'A public post', content: 'visible to everyone' }, a.token);
  const hiddenPost = await post(
    api,
    '/api/v1/community/posts',
    { title: `hidden ${secret}`, content: `moderated away ${secret}` },
    a.token,
  );
  await post(api, `/api/v1/admin/community/posts/${hiddenPost.id}/hide`, undefined, admin.token, 200);
  const comment = await post(api, `/api/v1/community/posts/${visiblePost.id}/comments`, { content: 'a public comment by A' }, a.token);
  const hiddenComment = await post(
    api,
    `/api/v1/community/posts/${visiblePost.id}/comments`,
    { content: `hidden comment ${secret}` },
    a.token,
  );
  await post(api, `/api/v1/admin/community/comments/${hiddenComment.id}/hide`, undefined, admin.token, 200);

  const topUp = await post(api, '/api/v1/wallet/top-ups', { amount: 3, provider: 'sandbox' }, a.token);
  // A ledger entry of A's that says something private.
  await post(api, `/api/v1/admin/users/${a.id}/wallet/credit`, { amount: 5, reason: `credit for ${secret}` }, admin.token);

  // B and D are customers of A's published and unlisted tools: they own and have reviewed them,
  // the most a non-author can have, so their attempts to change them run with every right a buyer has.
  for (const buyer of [b, d]) {
    for (const tool of [publishedTool, unlistedTool]) {
      await post(api, `/api/v1/tools/${tool.id}/purchase`, { payment_method: 'balance' }, buyer.token);
      await post(api, `/api/v1/tools/${tool.id}/reviews`, { rating: 4, text: 'useful' }, buyer.token);
    }
  }
  const bKey = await post(api, '/api/v1/api-keys', { name: 'b key' }, b.token);
  const bApp = await post(api, '/api/v1/applications', { name: 'b app', model_id: publicModel.id }, b.token);
  const bPost = await post(api, '/api/v1/community/posts', { title: 'B post', content: 'by B' }, b.token);

  await server.server.platform.background.drain();
  await server.server.platform.callCounts.flush();
  const prefix = String(apiKey.prefix).replace('…', '');
  return {
    server,
    api,
    upstream,
    secret,
    privateMarkers: [apiKey.key, prefix, file.body.sha256],
    admin: { id: admin.id, username: admin.username, token: admin.token },
    owner: {
      ...a,
      providerId: provider.id,
      fileId: file.body.id,
      privateModel: { id: privateModel.id, name: privateModel.name },
      publicModel: { id: publicModel.id, name: publicModel.name },
      appId: app.id,
      conversationId: chat.conversation_id,
      apiKey: { id: apiKey.id, key: apiKey.key, prefix },
      draftToolId: draftTool.id,
      publishedToolId: publishedTool.id,
      unlistedToolId: unlistedTool.id,
      postId: visiblePost.id,
      hiddenPostId: hiddenPost.id,
      commentId: comment.id,
      hiddenCommentId: hiddenComment.id,
      topUpId: topUp.id,
    },
    user: { id: b.id, username: b.username, token: b.token, apiKey: bKey.key, appId: bApp.id, postId: bPost.id },
    developer: { id: d.id, username: d.username, token: d.token },
  };
}

/** A's rows, read straight from the database: what B's attempts must leave exactly as they were. */
export async function snapshotOwnerRows(world: AuthorizationWorld) {
  const db = world.server.server.platform.db;
  const o = world.owner;
  const [users, wallets, ledger, providers, files, models, routes, applications, conversations, messages, apiKeys, tools, posts, comments] =
    await Promise.all([
      db.selectFrom('users').selectAll().where('id', '=', o.id).execute(),
      // Not held_nano/updated_at: A's own in-flight holds (wallet leases) are returned on their own schedule.
      db.selectFrom('wallets').select(['user_id', 'balance_nano']).where('user_id', '=', o.id).execute(),
      db.selectFrom('ledger_entries').selectAll().where('user_id', '=', o.id).orderBy('id').execute(),
      db.selectFrom('providers').selectAll().where('id', '=', o.providerId).execute(),
      db.selectFrom('files').selectAll().where('id', '=', o.fileId).execute(),
      db.selectFrom('models').selectAll().where('id', 'in', [o.privateModel.id, o.publicModel.id]).orderBy('id').execute(),
      db
        .selectFrom('model_routes')
        .selectAll()
        .where('model_id', 'in', [o.privateModel.id, o.publicModel.id])
        .orderBy('model_id')
        .execute(),
      db.selectFrom('applications').selectAll().where('id', '=', o.appId).execute(),
      db.selectFrom('conversations').selectAll().where('id', '=', o.conversationId).execute(),
      db.selectFrom('messages').selectAll().where('conversation_id', '=', o.conversationId).orderBy('id').execute(),
      db.selectFrom('api_keys').selectAll().where('id', '=', o.apiKey.id).execute(),
      db.selectFrom('tools').selectAll().where('id', 'in', [o.draftToolId, o.publishedToolId, o.unlistedToolId]).orderBy('id').execute(),
      db.selectFrom('posts').selectAll().where('id', 'in', [o.postId, o.hiddenPostId]).orderBy('id').execute(),
      db.selectFrom('post_comments').selectAll().where('author_id', '=', o.id).orderBy('id').execute(),
    ]);
  return {
    users,
    wallets,
    ledger,
    providers,
    files,
    models,
    routes,
    applications,
    conversations,
    messages,
    apiKeys,
    tools,
    // Likes and comments of a visible post are other people's acts (see PUBLIC_EXCEPTIONS), not changes to A's post.
    posts: posts.map(({ likes_count: _likes, comments_count: _comments, ...post }) => post),
    comments,
  };
}
