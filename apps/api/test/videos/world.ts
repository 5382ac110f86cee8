// The video tests' world (issue 14): a server that takes /v1 requests but runs no video worker
// (MAAS_VIDEO_WORKER_CONCURRENCY=0), peers over the same database that do, as other instances
// would, so every job is finished by another instance than the one that queued it; the strict
// mock of OpenAI's video API; and helpers that drive it all with the official openai client.
import OpenAI from 'openai';
import { expect } from 'vitest';
import { apiClient, signUp, signUpAs, startPeerServer, startTestServer, type TestServer } from '../kit/index.js';
import { MOCK_VIDEO_KEY, startMockVideoUpstream } from './mock-video-upstream.js';

export const NANO = 1_000_000_000n;
/** demo-video's seeded price: 0.01 per second. */
export const DEMO_NANO_PER_SECOND = NANO / 100n;
/** The price of the upstream-routed models made here: 0.05 per second. */
export const MOCK_NANO_PER_SECOND = NANO / 20n;

export type VideoClient = InstanceType<typeof OpenAI>;

/** A rejected openai call's error. */
export async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

/** Demo clips are rendered on the CPU the tests share: a test that waits for some gets this long. */
export const RENDERING_TEST_TIMEOUT_MS = 90_000;

/** Polls with videos.retrieve until the job ends; returns it and every status and progress seen. */
export async function untilDone(client: VideoClient, id: string) {
  const seen: { status: string; progress: number }[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const video = await client.videos.retrieve(id);
    seen.push({ status: video.status, progress: video.progress });
    if (video.status === 'completed' || video.status === 'failed') return { video, seen };
    if (Date.now() > deadline) throw new Error(`video ${id} still ${video.status}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

export async function startVideoWorld() {
  const upstream = await startMockVideoUpstream();
  const primary = await startTestServer({ MAAS_SEED_DEMO: '1', MAAS_VIDEO_WORKER_CONCURRENCY: '0' });
  const api = apiClient(primary.url);
  const admin = await signUpAs(primary, api, 'admin');
  const db = primary.server.platform.db;
  const workers: TestServer[] = [];

  const world = {
    primary,
    api,
    db,
    upstream,
    workers,

    /** Another instance over the same database whose worker runs jobs (polling every 50 ms). */
    async startWorker(): Promise<TestServer> {
      const peer = await startPeerServer(primary, { MAAS_VIDEO_WORKER_CONCURRENCY: '2', MAAS_VIDEO_WORKER_POLL_MS: '50' });
      workers.push(peer);
      return peer;
    },

    async stopWorker(peer: TestServer): Promise<void> {
      workers.splice(workers.indexOf(peer), 1);
      await peer.close();
    },

    async stopWorkers(): Promise<void> {
      await Promise.all(workers.splice(0).map((w) => w.close()));
    },

    /** A new user with an API key, and an openai client on it. */
    async newCaller() {
      const user = await signUp(api);
      const key = await api.post('/api/v1/api-keys', { name: 'videos' }, user.token);
      expect(key.status).toBe(201);
      return { user, client: new OpenAI({ apiKey: key.body.key as string, baseURL: `${primary.url}/v1`, maxRetries: 0 }) };
    },

    async walletOf(userId: string) {
      return db.selectFrom('wallets').select(['balance_nano', 'held_nano']).where('user_id', '=', userId).executeTakeFirstOrThrow();
    },

    async usageRows(userId: string) {
      return db
        .selectFrom('usage_records')
        .select(['cost_nano', 'units', 'status', 'reservation_id', 'provider_id'])
        .where('user_id', '=', userId)
        .execute();
    },

    /** A public video model priced 0.05 per second, routed to the mock upstream's `upstreamModel`. */
    async upstreamModel(upstreamModelName: string): Promise<string> {
      const provider = await api.post(
        '/api/v1/providers',
        {
          name: `videos-${Math.random().toString(36).slice(2, 8)}`,
          kind: 'openai-compatible',
          base_url: upstream.url,
          api_key: MOCK_VIDEO_KEY,
        },
        admin.token,
      );
      expect(provider.status).toBe(201);
      const model = await api.post(
        '/api/v1/models',
        {
          name: `video-${upstreamModelName}-${Math.random().toString(36).slice(2, 8)}`,
          category: 'video',
          visibility: 'public',
          pricing: { input_tokens: 0, output_tokens: 0, per_second: 0.05 },
          context_window: 4096,
          routes: [{ provider_id: provider.body.id, upstream_model: upstreamModelName }],
        },
        admin.token,
      );
      expect(model.status).toBe(201);
      return model.body.name as string;
    },

    async close(): Promise<void> {
      await world.stopWorkers();
      await primary.close();
      await upstream.close();
    },
  };
  return world;
}

export type VideoWorld = Awaited<ReturnType<typeof startVideoWorld>>;
