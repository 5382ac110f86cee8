import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  balanceNano,
  signUp,
  signUpAs,
  startPeerServer,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';
import { readMjpegAvi } from './avi-reader.js';
import { MOCK_VIDEO_KEY, startMockVideoUpstream } from './mock-video-upstream.js';

// Issue 14, the video operation: /v1/videos as asynchronous jobs in OpenAI's shape, driven with the
// official openai client. The server that takes the requests runs no worker
// (MAAS_VIDEO_WORKER_CONCURRENCY=0); peers over the same database run the jobs, as other
// instances would, so every job here is finished by another instance than the one that queued it.

const NANO = 1_000_000_000n;
/** demo-video's seeded price: 0.01 per second. */
const DEMO_NANO_PER_SECOND = NANO / 100n;
/** The upstream-routed model's price here: 0.05 per second. */
const MOCK_NANO_PER_SECOND = NANO / 20n;

let primary: TestServer;
let api: ApiClient;
let admin: TestUser;
let upstream: Awaited<ReturnType<typeof startMockVideoUpstream>>;
const workers: TestServer[] = [];

async function startWorker(): Promise<TestServer> {
  const peer = await startPeerServer(primary, { MAAS_VIDEO_WORKER_CONCURRENCY: '2', MAAS_VIDEO_WORKER_POLL_MS: '50' });
  workers.push(peer);
  return peer;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.close()));
}

async function newCaller() {
  const user = await signUp(api);
  const key = await api.post('/api/v1/api-keys', { name: 'videos' }, user.token);
  expect(key.status).toBe(201);
  return { user, client: new OpenAI({ apiKey: key.body.key as string, baseURL: `${primary.url}/v1`, maxRetries: 0 }) };
}

type Client = Awaited<ReturnType<typeof newCaller>>['client'];

/** Polls with videos.retrieve until the job ends; returns it and every status/progress seen. */
async function untilDone(client: Client, id: string) {
  const seen: { status: string; progress: number }[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const video = await client.videos.retrieve(id);
    seen.push({ status: video.status, progress: video.progress });
    if (video.status === 'completed' || video.status === 'failed') return { video, seen };
    if (Date.now() > deadline) throw new Error(`video ${id} still ${video.status}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

async function walletOf(userId: string) {
  return primary.server.platform.db.selectFrom('wallets').select(['balance_nano', 'held_nano']).where('user_id', '=', userId).executeTakeFirstOrThrow();
}

async function usageRows(userId: string) {
  return primary.server.platform.db
    .selectFrom('usage_records')
    .select(['cost_nano', 'units', 'status', 'reservation_id', 'provider_id'])
    .where('user_id', '=', userId)
    .execute();
}

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

async function upstreamModel(upstreamModelName: string) {
  const provider = await api.post(
    '/api/v1/providers',
    { name: `videos-${Math.random().toString(36).slice(2, 8)}`, kind: 'openai-compatible', base_url: upstream.url, api_key: MOCK_VIDEO_KEY },
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
}

beforeAll(async () => {
  upstream = await startMockVideoUpstream();
  primary = await startTestServer({ MAAS_SEED_DEMO: '1', MAAS_VIDEO_WORKER_CONCURRENCY: '0' });
  api = apiClient(primary.url);
  admin = await signUpAs(primary, api, 'admin');
});
afterAll(async () => {
  await stopWorkers();
  await primary?.close();
  await upstream?.close();
});

describe('POST /v1/videos with no worker running', () => {
  it('queues the job, holding the requested seconds; content is a 409 until it is done; DELETE cancels it at no cost', async () => {
    const { user, client } = await newCaller();
    const before = await walletOf(user.id);
    const video = await client.videos.create({ model: 'demo-video', prompt: 'a red kite over the sea', seconds: '8', size: '1280x720' });
    expect(video).toMatchObject({ object: 'video', model: 'demo-video', status: 'queued', progress: 0, seconds: '8', size: '1280x720' });
    expect(video.id).toMatch(/^video_/);
    expect((await walletOf(user.id)).held_nano - before.held_nano).toBe(8n * DEMO_NANO_PER_SECOND);
    expect((await client.videos.retrieve(video.id)).status).toBe('queued');
    expect((await rejection(client.videos.downloadContent(video.id))).status).toBe(409);

    expect(await client.videos.delete(video.id)).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    expect((await rejection(client.videos.retrieve(video.id))).status).toBe(404);
    expect(await walletOf(user.id)).toEqual(before);
    expect(await usageRows(user.id)).toEqual([expect.objectContaining({ status: 'failed', cost_nano: 0n, units: null })]);
  });

  it('refuses what OpenAI refuses, with 400s naming the field, and charges nothing', async () => {
    const { user, client } = await newCaller();
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'demo-video', prompt: 'x', seconds: '0' }, 'seconds'],
      [{ model: 'demo-video', prompt: 'x', seconds: '61' }, 'seconds'],
      [{ model: 'demo-video', prompt: 'x', size: 'huge' }, 'size'],
      [{ model: 'demo-video', prompt: '' }, 'prompt'],
      [{ model: 'demo-video', prompt: 'x', style: 'noir' }, 'style'],
    ];
    for (const [body, field] of cases) {
      const error = await rejection(client.videos.create(body as unknown as OpenAI.VideoCreateParams));
      expect(error.status, JSON.stringify(body)).toBe(400);
      expect(error.message, JSON.stringify(body)).toContain(field);
    }
    const reference = await rejection(
      client.videos.create({ model: 'demo-video', prompt: 'x', input_reference: new File([new Uint8Array([1, 2, 3])], 'ref.png', { type: 'image/png' }) }),
    );
    expect(reference.status).toBe(400);
    expect(reference.message).toContain('input_reference');
    // A chat model cannot make videos; an unknown model is a 404.
    expect((await rejection(client.videos.create({ model: 'demo-chat', prompt: 'x' }))).status).toBe(400);
    expect((await rejection(client.videos.create({ model: 'no-such-video-model', prompt: 'x' }))).status).toBe(404);
    // JSON bodies are taken as well as the client's multipart form.
    const json = await fetch(`${primary.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-video', prompt: 'json body', seconds: 4 }),
    });
    expect(json.status).toBe(200);
    const queued = (await json.json()) as { id: string; status: string; seconds: string };
    expect(queued).toMatchObject({ status: 'queued', seconds: '4' });
    await client.videos.delete(queued.id);
    expect((await walletOf(user.id)).held_nano).toBe(0n);
    expect(await balanceNano(primary, user.id)).toBe(10n * NANO);
  });

  it('refuses a video the balance cannot cover with 402, before anything is queued', async () => {
    const { user, client } = await newCaller();
    await primary.server.platform.db.updateTable('wallets').set({ balance_nano: 3n * DEMO_NANO_PER_SECOND }).where('user_id', '=', user.id).execute();
    expect((await rejection(client.videos.create({ model: 'demo-video', prompt: 'too long', seconds: '4' }))).status).toBe(402);
    const jobs = await primary.server.platform.db.selectFrom('video_jobs').select('id').where('owner_id', '=', user.id).execute();
    expect(jobs).toEqual([]);
  });
});

describe('jobs that outlive the instance running them', () => {
  it('runs a job queued while no worker ran once one starts; retries a job whose worker vanished; fails one out of attempts at no cost', async () => {
    const { user, client } = await newCaller();
    const waiting = await client.videos.create({ model: 'demo-video', prompt: 'queued before any worker', seconds: '4' });
    const orphan = await client.videos.create({ model: 'demo-video', prompt: 'its worker crashed once', seconds: '4' });
    const lost = await client.videos.create({ model: 'demo-video', prompt: 'its worker crashed twice', seconds: '4' });
    const db = primary.server.platform.db;
    const past = new Date(Date.now() - 60_000);
    await db.updateTable('video_jobs').set({ status: 'in_progress', claimed_by: 'worker_dead', claimed_until: past, attempts: 1, progress: 40 }).where('id', '=', orphan.id).execute();
    await db.updateTable('video_jobs').set({ status: 'in_progress', claimed_by: 'worker_dead', claimed_until: past, attempts: 2, progress: 70 }).where('id', '=', lost.id).execute();
    const before = await balanceNano(primary, user.id);

    await startWorker();
    const [a, b, c] = await Promise.all([untilDone(client, waiting.id), untilDone(client, orphan.id), untilDone(client, lost.id)]);
    expect(a.video.status).toBe('completed');
    expect(b.video.status).toBe('completed');
    expect(c.video.status).toBe('failed');
    expect(c.video.error).toEqual({ code: 'worker_lost', message: expect.any(String) });
    // Two clips of 4 s charged once each; the failed one nothing.
    expect(before - (await balanceNano(primary, user.id))).toBe(2n * 4n * DEMO_NANO_PER_SECOND);
    const rows = await usageRows(user.id);
    expect(rows.map((r) => r.status).sort()).toEqual(['failed', 'success', 'success']);
    expect(new Set(rows.map((r) => r.reservation_id)).size).toBe(3);
    expect((await walletOf(user.id)).held_nano).toBe(0n);
  });
});

describe('the demo provider (a worker running)', () => {
  it('makes a real MJPEG-in-AVI clip of the requested length, reporting progress, downloaded with downloadContent', async () => {
    if (workers.length === 0) await startWorker();
    const { client } = await newCaller();
    const created = await client.videos.create({ model: 'demo-video', prompt: 'a paper boat in the rain', seconds: '4', size: '1280x720' });
    const { video, seen } = await untilDone(client, created.id);
    expect(video).toMatchObject({ status: 'completed', progress: 100, seconds: '4', size: '1280x720', error: null, model: 'demo-video' });
    expect(video.completed_at).toBeGreaterThanOrEqual(video.created_at);
    expect(video.expires_at).toBeGreaterThan(video.created_at);
    expect(seen.some((s) => s.status === 'in_progress' && s.progress > 0 && s.progress < 100)).toBe(true);
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));

    const response = await client.videos.downloadContent(video.id);
    expect(response.headers.get('content-type')).toBe('video/x-msvideo');
    const bytes = Buffer.from(await response.arrayBuffer());
    const clip = readMjpegAvi(bytes);
    // 8 frames per second for 4 s, at a 320-pixel preview of 16:9.
    expect(clip).toMatchObject({ microsPerFrame: 125_000, totalFrames: 32, width: 320, height: 180, handler: 'vidsMJPG', compression: 'MJPG', rate: 8, scale: 1, indexEntries: 32 });
    expect(clip.frames).toHaveLength(32);
    expect(clip.frames.every((f) => f.width === 320 && f.height === 180)).toBe(true);

    // Deterministic: the same request gives the same bytes.
    const again = await untilDone(client, (await client.videos.create({ model: 'demo-video', prompt: 'a paper boat in the rain', seconds: '4', size: '1280x720' })).id);
    const bytesAgain = Buffer.from(await (await client.videos.downloadContent(again.video.id)).arrayBuffer());
    expect(createHash('sha256').update(bytesAgain).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('charges exactly the delivered seconds at the per-second price; the usage record and API show the units', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(primary, user.id);
    const { video } = await untilDone(client, (await client.videos.create({ model: 'demo-video', prompt: 'twelve seconds of dusk', seconds: '12' })).id);
    expect(video.status).toBe('completed');
    expect(before - (await balanceNano(primary, user.id))).toBe(12n * DEMO_NANO_PER_SECOND);
    const rows = await usageRows(user.id);
    expect(rows).toEqual([
      expect.objectContaining({ status: 'success', cost_nano: 12n * DEMO_NANO_PER_SECOND, units: { unit: 'second', quantity: 12, unit_price_nano: DEMO_NANO_PER_SECOND.toString() } }),
    ]);
    const usage = await api.get('/api/v1/usage', user.token);
    expect(usage.body.data).toEqual([expect.objectContaining({ status: 'success', cost: 0.12, units: { unit: 'second', quantity: 12, unit_price: 0.01 } })]);
    expect((await walletOf(user.id)).held_nano).toBe(0n);
  });

  it('stores the clip as the owner’s generated file; another user gets 404 for the job, its content and its file', async () => {
    const owner = await newCaller();
    const other = await newCaller();
    const { video } = await untilDone(owner.client, (await owner.client.videos.create({ model: 'demo-video', prompt: 'mine only', seconds: '4' })).id);
    const fileId = (video as unknown as { file_id: string }).file_id;
    expect(fileId).toMatch(/^file_/);
    const files = await api.get('/api/v1/files?purpose=generated', owner.user.token);
    expect(files.body.data).toEqual([expect.objectContaining({ id: fileId, purpose: 'generated', content_type: 'video/x-msvideo' })]);
    const ownContent = await fetch(`${primary.url}/api/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${owner.user.token}` } });
    expect(ownContent.status).toBe(200);
    const downloaded = Buffer.from(await (await owner.client.videos.downloadContent(video.id)).arrayBuffer());
    expect(Buffer.from(await ownContent.arrayBuffer()).equals(downloaded)).toBe(true);

    expect((await rejection(other.client.videos.retrieve(video.id))).status).toBe(404);
    expect((await rejection(other.client.videos.downloadContent(video.id))).status).toBe(404);
    expect((await rejection(other.client.videos.delete(video.id))).status).toBe(404);
    const othersFile = await fetch(`${primary.url}/api/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${other.user.token}` } });
    expect(othersFile.status).toBe(404);
    expect((await other.client.videos.list()).data).toEqual([]);
    expect((await owner.client.videos.list()).data.map((v) => v.id)).toEqual([video.id]);

    // The owner deletes it: the job and its file are gone.
    await owner.client.videos.delete(video.id);
    expect((await rejection(owner.client.videos.retrieve(video.id))).status).toBe(404);
    const gone = await fetch(`${primary.url}/api/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${owner.user.token}` } });
    expect(gone.status).toBe(404);
  });
});

describe('an OpenAI-compatible upstream (OpenAI /v1/videos)', () => {
  it('creates the upstream job (multipart, Bearer), polls it, downloads the content and bills the delivered seconds', async () => {
    if (workers.length === 0) await startWorker();
    const model = await upstreamModel('mock-video-ok');
    const { user, client } = await newCaller();
    const before = await balanceNano(primary, user.id);
    const { video } = await untilDone(client, (await client.videos.create({ model, prompt: 'a lighthouse at night', seconds: '8', size: '1792x1024' })).id);
    expect(video).toMatchObject({ status: 'completed', seconds: '8', size: '1792x1024', model });
    const sent = upstream.requests.filter((r) => r.method === 'POST' && r.fields?.prompt === 'a lighthouse at night');
    expect(sent.map((r) => r.fields)).toEqual([{ model: 'mock-video-ok', prompt: 'a lighthouse at night', seconds: '8', size: '1792x1024' }]);
    const content = await client.videos.downloadContent(video.id);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    expect(bytes.toString('latin1')).toContain('mock video video_mock');
    expect(before - (await balanceNano(primary, user.id))).toBe(8n * MOCK_NANO_PER_SECOND);
  });

  it('reserves the requested seconds but charges only the seconds the provider delivered', async () => {
    const model = await upstreamModel('mock-video-short');
    const { user, client } = await newCaller();
    const before = await balanceNano(primary, user.id);
    const { video } = await untilDone(client, (await client.videos.create({ model, prompt: 'asked for twelve', seconds: '12', size: '720x1280' })).id);
    expect(video.status).toBe('completed');
    expect(before - (await balanceNano(primary, user.id))).toBe(4n * MOCK_NANO_PER_SECOND);
    expect(await usageRows(user.id)).toEqual([
      expect.objectContaining({ status: 'success', units: { unit: 'second', quantity: 4, unit_price_nano: MOCK_NANO_PER_SECOND.toString() } }),
    ]);
  });

  it('fails the job when the upstream job fails, and charges nothing', async () => {
    const model = await upstreamModel('mock-video-fail');
    const { user, client } = await newCaller();
    const before = await walletOf(user.id);
    const { video } = await untilDone(client, (await client.videos.create({ model, prompt: 'something blocked', seconds: '4', size: '720x1280' })).id);
    expect(video.status).toBe('failed');
    expect(video.error?.message).toContain('moderation');
    expect(await walletOf(user.id)).toEqual(before);
    expect(await usageRows(user.id)).toEqual([expect.objectContaining({ status: 'failed', cost_nano: 0n })]);
    expect((await rejection(client.videos.downloadContent(video.id))).status).toBe(409);
    // A failed job can be deleted.
    await client.videos.delete(video.id);
    expect((await rejection(client.videos.retrieve(video.id))).status).toBe(404);
  });

  it('is shared by several instances’ workers without running any job twice', async () => {
    while (workers.length < 3) await startWorker();
    const model = await upstreamModel('mock-video-ok');
    const { user, client } = await newCaller();
    const before = await balanceNano(primary, user.id);
    const prompts = Array.from({ length: 8 }, (_, i) => `shared queue ${i}`);
    const created = await Promise.all(prompts.map((prompt) => client.videos.create({ model, prompt, seconds: '4', size: '720x1280' })));
    const done = await Promise.all(created.map((v) => untilDone(client, v.id)));
    expect(done.map((d) => d.video.status)).toEqual(prompts.map(() => 'completed'));
    expect(prompts.map((p) => upstream.createsOf(p))).toEqual(prompts.map(() => 1));
    const rows = await usageRows(user.id);
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => r.reservation_id)).size).toBe(8);
    expect(before - (await balanceNano(primary, user.id))).toBe(8n * 4n * MOCK_NANO_PER_SECOND);
  });
});
