import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceNano } from '../kit/index.js';
import {
  DEMO_NANO_PER_SECOND,
  MOCK_NANO_PER_SECOND,
  rejection,
  RENDERING_TEST_TIMEOUT_MS,
  startVideoWorld,
  untilDone,
  type VideoWorld,
} from './world.js';

// Issue 14, the video job queue and OpenAI's video API upstream: jobs live in the database and are
// run by whichever instance's worker claims them. A job queued while no worker runs is run later;
// one whose worker vanished is retried, then failed at no cost; shutdown puts a running job back;
// several instances never run one job twice. An OpenAI-compatible provider is driven through
// create, poll and download on a strict mock of OpenAI's /v1/videos, billed by delivered seconds.

let world: VideoWorld;

beforeAll(async () => {
  world = await startVideoWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('jobs that outlive the instance running them', () => {
  it(
    'runs a job queued while no worker ran once one starts; retries a job whose worker vanished; fails one out of attempts at no cost',
    async () => {
      const { user, client } = await world.newCaller();
      const waiting = await client.videos.create({ model: 'demo-video', prompt: 'queued before any worker', seconds: '4' });
      const orphan = await client.videos.create({ model: 'demo-video', prompt: 'its worker crashed once', seconds: '4' });
      const lost = await client.videos.create({ model: 'demo-video', prompt: 'its worker crashed twice', seconds: '4' });
      const db = world.primary.server.platform.db;
      const past = new Date(Date.now() - 60_000);
      await db
        .updateTable('video_jobs')
        .set({ status: 'in_progress', claimed_by: 'worker_dead', claimed_until: past, attempts: 1, progress: 40 })
        .where('id', '=', orphan.id)
        .execute();
      await db
        .updateTable('video_jobs')
        .set({ status: 'in_progress', claimed_by: 'worker_dead', claimed_until: past, attempts: 2, progress: 70 })
        .where('id', '=', lost.id)
        .execute();
      const before = await balanceNano(world.primary, user.id);

      await world.startWorker();
      const [a, b, c] = await Promise.all([untilDone(client, waiting.id), untilDone(client, orphan.id), untilDone(client, lost.id)]);
      expect(a.video.status).toBe('completed');
      expect(b.video.status).toBe('completed');
      expect(c.video.status).toBe('failed');
      expect(c.video.error).toEqual({ code: 'worker_lost', message: expect.any(String) });
      // Two clips of 4 s charged once each; the failed one nothing.
      expect(before - (await balanceNano(world.primary, user.id))).toBe(2n * 4n * DEMO_NANO_PER_SECOND);
      const rows = await world.usageRows(user.id);
      expect(rows.map((r) => r.status).sort()).toEqual(['failed', 'success', 'success']);
      expect(new Set(rows.map((r) => r.reservation_id)).size).toBe(3);
      expect((await world.walletOf(user.id)).held_nano).toBe(0n);
    },
    RENDERING_TEST_TIMEOUT_MS,
  );
});

describe('an instance shutting down', () => {
  it(
    'puts the job it was running back in the queue, the attempt not counted, and another instance finishes it',
    async () => {
      await world.stopWorkers();
      const { user, client } = await world.newCaller();
      const before = await balanceNano(world.primary, user.id);
      const video = await client.videos.create({ model: 'demo-video', prompt: 'interrupted by a deploy', seconds: '12' });
      const leaving = await world.startWorker();
      for (let seen = await client.videos.retrieve(video.id); !(seen.status === 'in_progress' && seen.progress > 0);) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = await client.videos.retrieve(video.id);
      }
      // Being generated, it cannot be deleted (as at OpenAI).
      expect((await rejection(client.videos.delete(video.id))).status).toBe(409);
      await world.stopWorker(leaving);
      const row = await world.primary.server.platform.db
        .selectFrom('video_jobs')
        .selectAll()
        .where('id', '=', video.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'queued', attempts: 0, claimed_by: null, progress: 0 });

      await world.startWorker();
      expect((await untilDone(client, video.id)).video.status).toBe('completed');
      expect(before - (await balanceNano(world.primary, user.id))).toBe(12n * DEMO_NANO_PER_SECOND);
    },
    RENDERING_TEST_TIMEOUT_MS,
  );
});

describe('an OpenAI-compatible upstream (OpenAI /v1/videos)', () => {
  beforeAll(async () => {
    if (world.workers.length === 0) await world.startWorker();
  });

  it('creates the upstream job (multipart, Bearer), polls it, downloads the content and bills the delivered seconds', async () => {
    const model = await world.upstreamModel('mock-video-ok');
    const { user, client } = await world.newCaller();
    const before = await balanceNano(world.primary, user.id);
    const { video } = await untilDone(
      client,
      (await client.videos.create({ model, prompt: 'a lighthouse at night', seconds: '8', size: '1792x1024' })).id,
    );
    expect(video).toMatchObject({ status: 'completed', seconds: '8', size: '1792x1024', model });
    const sent = world.upstream.requests.filter((r) => r.method === 'POST' && r.fields?.prompt === 'a lighthouse at night');
    expect(sent.map((r) => r.fields)).toEqual([
      { model: 'mock-video-ok', prompt: 'a lighthouse at night', seconds: '8', size: '1792x1024' },
    ]);
    const content = await client.videos.downloadContent(video.id);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    expect(bytes.toString('latin1')).toContain('mock video video_mock');
    expect(before - (await balanceNano(world.primary, user.id))).toBe(8n * MOCK_NANO_PER_SECOND);
  });

  it('forwards a reference image (input_reference) uploaded with the request, or named by the id of an earlier upload, byte for byte', async () => {
    const model = await world.upstreamModel('mock-video-ok');
    const { user, client } = await world.newCaller();
    // Every byte value, so a part mangled by an encoding shows.
    const image = new Uint8Array(Array.from({ length: 512 }, (_, i) => i % 256));
    const withFile = await client.videos.create({
      model,
      prompt: 'from this picture',
      seconds: '4',
      size: '1280x720',
      input_reference: new File([image], 'start frame.png', { type: 'image/png' }),
    });
    expect((await untilDone(client, withFile.id)).video.status).toBe('completed');
    const sent = world.upstream.requests.find((r) => r.method === 'POST' && r.fields?.prompt === 'from this picture');
    expect(sent?.files?.input_reference).toEqual({ filename: 'start frame.png', contentType: 'image/png', bytes: Buffer.from(image) });
    // The uploaded image is the caller's file; a later job may name it.
    const files = await world.api.get('/api/v1/files?purpose=upload', user.token);
    expect(files.body.data).toEqual([expect.objectContaining({ filename: 'start frame.png', content_type: 'image/png', bytes: 512 })]);
    const byId = await fetch(`${world.primary.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'from the same picture', input_reference: { file_id: files.body.data[0].id } }),
    });
    expect(byId.status).toBe(200);
    expect((await untilDone(client, ((await byId.json()) as { id: string }).id)).video.status).toBe('completed');
    const again = world.upstream.requests.find((r) => r.method === 'POST' && r.fields?.prompt === 'from the same picture');
    expect(again?.files?.input_reference?.bytes).toEqual(Buffer.from(image));
    // Someone else's file is not theirs to use.
    const other = await world.newCaller();
    const stolen = await rejection(
      other.client.videos.create({ model, prompt: 'not mine', input_reference: { file_id: files.body.data[0].id } }),
    );
    expect(stolen.status).toBe(404);
  });

  it('reserves the requested seconds but charges only the seconds the provider delivered', async () => {
    const model = await world.upstreamModel('mock-video-short');
    const { user, client } = await world.newCaller();
    const before = await balanceNano(world.primary, user.id);
    const { video } = await untilDone(
      client,
      (await client.videos.create({ model, prompt: 'asked for twelve', seconds: '12', size: '720x1280' })).id,
    );
    expect(video.status).toBe('completed');
    expect(before - (await balanceNano(world.primary, user.id))).toBe(4n * MOCK_NANO_PER_SECOND);
    expect(await world.usageRows(user.id)).toEqual([
      expect.objectContaining({
        status: 'success',
        units: { unit: 'second', quantity: 4, unit_price_nano: MOCK_NANO_PER_SECOND.toString() },
      }),
    ]);
  });

  it('fails the job when the upstream job fails, and charges nothing', async () => {
    const model = await world.upstreamModel('mock-video-fail');
    const { user, client } = await world.newCaller();
    const before = await world.walletOf(user.id);
    const { video } = await untilDone(
      client,
      (await client.videos.create({ model, prompt: 'something blocked', seconds: '4', size: '720x1280' })).id,
    );
    expect(video.status).toBe('failed');
    // The provider's verdict reaches the caller, its code kept.
    expect(video.error).toEqual({ code: 'moderation_blocked', message: expect.stringContaining('blocked by our moderation system') });
    expect(await world.walletOf(user.id)).toEqual(before);
    expect(await world.usageRows(user.id)).toEqual([expect.objectContaining({ status: 'failed', cost_nano: 0n })]);
    expect((await rejection(client.videos.downloadContent(video.id))).status).toBe(409);
    // A failed job can be deleted.
    await client.videos.delete(video.id);
    expect((await rejection(client.videos.retrieve(video.id))).status).toBe(404);
  });

  it('fails the job at no cost when the upstream refuses the request itself (OpenAI takes 4, 8 or 12 seconds)', async () => {
    const model = await world.upstreamModel('mock-video-ok');
    const { user, client } = await world.newCaller();
    const before = await world.walletOf(user.id);
    const { video } = await untilDone(
      client,
      (await client.videos.create({ model, prompt: 'five seconds', seconds: '5' } as unknown as OpenAI.VideoCreateParams)).id,
    );
    expect(video.status).toBe('failed');
    expect(video.error?.code).toBe('invalid_request_error');
    expect(video.error?.message).toContain("Supported values are: '4', '8', and '12'");
    expect(await world.walletOf(user.id)).toEqual(before);
  });

  it(
    'is shared by several instances’ workers without running any job twice',
    async () => {
      while (world.workers.length < 3) await world.startWorker();
      const model = await world.upstreamModel('mock-video-ok');
      const { user, client } = await world.newCaller();
      const before = await balanceNano(world.primary, user.id);
      const prompts = Array.from({ length: 8 }, (_, i) => `shared queue ${i}`);
      const created = await Promise.all(prompts.map((prompt) => client.videos.create({ model, prompt, seconds: '4', size: '720x1280' })));
      const done = await Promise.all(created.map((v) => untilDone(client, v.id)));
      expect(done.map((d) => d.video.status)).toEqual(prompts.map(() => 'completed'));
      expect(prompts.map((p) => world.upstream.createsOf(p))).toEqual(prompts.map(() => 1));
      const rows = await world.usageRows(user.id);
      expect(rows).toHaveLength(8);
      expect(new Set(rows.map((r) => r.reservation_id)).size).toBe(8);
      expect(before - (await balanceNano(world.primary, user.id))).toBe(8n * 4n * MOCK_NANO_PER_SECOND);
    },
    RENDERING_TEST_TIMEOUT_MS,
  );
});
