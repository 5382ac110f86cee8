// Marketplace tools published over the REST API, and the orders they produce.
import type { ApiClient } from './http.js';
import type { TestServer } from './server.js';
import type { TestUser } from './users.js';

let toolCounter = 0;

/** Publishes a tool as `author` and returns its detail; overrides go straight into the body. */
export async function publishTool(api: ApiClient, author: TestUser, overrides: Record<string, unknown> = {}) {
  toolCounter += 1;
  const res = await api.post(
    '/api/v1/tools',
    { name: `Tool ${toolCounter}`, description: 'does things', category: 'development', price: 0, ...overrides },
    author.token,
  );
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; price: number; status: string; [key: string]: unknown };
}

export async function ordersOf(server: TestServer, userId: string) {
  return server.server.platform.db.selectFrom('tool_orders').selectAll().where('user_id', '=', userId).execute();
}
