import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, publishTool, signUp, signUpAs, startTestServer, type TestServer, type TestUser } from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let author: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'reviewed');
});
afterAll(() => server?.close());

async function owner(toolId: string, prefix = 'owner'): Promise<TestUser> {
  const user = await signUp(api, prefix);
  const res = await api.post(`/api/v1/tools/${toolId}/purchase`, { payment_method: 'balance' }, user.token);
  if (res.status !== 201) throw new Error(`purchase failed: ${JSON.stringify(res.body)}`);
  return user;
}

const review = (toolId: string, user: TestUser | null, body: Record<string, unknown>) =>
  api.post(`/api/v1/tools/${toolId}/reviews`, body, user?.token);

describe('tool reviews', () => {
  it('are written only by owners (403 otherwise, 401 anonymous) and once each (409)', async () => {
    const tool = await publishTool(api, author, { price: 1 });
    const stranger = await signUp(api, 'stranger');
    const refused = await review(tool.id, stranger, { rating: 5, text: 'great' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect((await review(tool.id, author, { rating: 5 })).status).toBe(403);
    expect((await review(tool.id, null, { rating: 5 })).status).toBe(401);

    const buyer = await owner(tool.id);
    const first = await review(tool.id, buyer, { rating: 4, text: '好用' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^rev_/),
      tool_id: tool.id,
      rating: 4,
      text: '好用',
      user: { id: buyer.id, username: buyer.username, avatar: null },
      created_at: expect.any(String),
    });
    const second = await review(tool.id, buyer, { rating: 1, text: 'changed my mind' });
    expect(second.status).toBe(409);
    const detail = (await api.get(`/api/v1/tools/${tool.id}`)).body;
    expect(detail).toMatchObject({ rating: 4, reviews_count: 1 });
  });

  it('validate rating 1–5 integers and text up to 5000 characters', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const buyer = await owner(tool.id, 'valid');
    for (const body of [{ rating: 0 }, { rating: 6 }, { rating: 3.5 }, { rating: 'five' }, {}, { rating: 5, text: 'x'.repeat(5001) }]) {
      expect((await review(tool.id, buyer, body)).status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect((await review(tool.id, buyer, { rating: 5, text: 'x'.repeat(5000) })).status).toBe(201);
  });

  it('keep the tool rating the exact mean of its reviews, rounded to 2 decimals', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const owners = await Promise.all([1, 2, 3].map(() => owner(tool.id, 'mean')));
    const ratings = [5, 4, 4];
    await Promise.all(owners.map((user, i) => review(tool.id, user, { rating: ratings[i] })));
    const detail = (await api.get(`/api/v1/tools/${tool.id}`)).body;
    expect(detail.rating).toBe(4.33);
    expect(detail.reviews_count).toBe(3);
    const listed = (await api.get('/api/v1/tools?sort=rating&limit=100')).body.data.find((t: { id: string }) => t.id === tool.id);
    expect(listed.rating).toBe(4.33);
  });

  it('count one review under parallel submissions by the same owner', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const buyer = await owner(tool.id, 'spam');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => review(tool.id, buyer, { rating: (i % 5) + 1 })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    const winner = results.find((r) => r.status === 201)?.body.rating;
    const detail = (await api.get(`/api/v1/tools/${tool.id}`)).body;
    expect(detail).toMatchObject({ rating: winner, reviews_count: 1 });
  });

  it('are listed publicly, newest first, with pagination', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const owners: TestUser[] = [];
    for (const rating of [1, 2, 3]) {
      const user = await owner(tool.id, 'page');
      owners.push(user);
      expect((await review(tool.id, user, { rating })).status).toBe(201);
    }
    const page = await api.get(`/api/v1/tools/${tool.id}/reviews?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(page.body.data.map((r: { rating: number }) => r.rating)).toEqual([3, 2]);
    expect((await api.get(`/api/v1/tools/${tool.id}/reviews?page=2&limit=2`)).body.data).toHaveLength(1);
    expect((await api.get(`/api/v1/tools/${tool.id}/reviews?limit=0`)).status).toBe(400);
    expect((await api.get('/api/v1/tools/tool_doesnotexist/reviews')).status).toBe(404);
  });

  it('sorts the catalogue by rating and by downloads', async () => {
    const category = `rated-${Date.now().toString(36)}`;
    const low = await publishTool(api, author, { price: 0, category });
    const high = await publishTool(api, author, { price: 0, category });
    const none = await publishTool(api, author, { price: 0, category });
    const lowOwners = await Promise.all([1, 2].map(() => owner(low.id, 'low')));
    await Promise.all(lowOwners.map((u) => review(low.id, u, { rating: 2 })));
    await review(high.id, await owner(high.id, 'high'), { rating: 5 });
    const byRating = (await api.get(`/api/v1/tools?category=${category}&sort=rating`)).body.data.map((t: { id: string }) => t.id);
    expect(byRating).toEqual([high.id, low.id, none.id]);
    const byRatingAsc = (await api.get(`/api/v1/tools?category=${category}&sort=rating&order=asc`)).body.data.map(
      (t: { id: string }) => t.id,
    );
    expect(byRatingAsc).toEqual([none.id, low.id, high.id]);
    const byDownloads = (await api.get(`/api/v1/tools?category=${category}&sort=downloads`)).body.data.map(
      (t: { downloads: number }) => t.downloads,
    );
    expect(byDownloads).toEqual([2, 1, 0]);
  });
});
