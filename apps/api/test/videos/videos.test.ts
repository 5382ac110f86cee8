import { createHash } from 'node:crypto';
import { releaseStaleReservations } from '@maas/api';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceNano } from '../kit/index.js';
import { readMjpegAvi } from './avi-reader.js';
import { DEMO_NANO_PER_SECOND, NANO, rejection, RENDERING_TEST_TIMEOUT_MS, startVideoWorld, untilDone, type VideoWorld } from './world.js';

// Issue 14, the video operation on the offline demo provider: /v1/videos as asynchronous jobs in
// OpenAI's shape, driven with the official openai client (create, retrieve, downloadContent,
// list, delete); the request checks and the hold while queued; a real MJPEG-in-AVI clip; billing
// per delivered second; the clip as its owner's file and nobody else's. See world.ts for the
// instances: the one taking requests runs no worker.

let world: VideoWorld;

beforeAll(async () => {
  world = await startVideoWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('POST /v1/videos with no worker running', () => {
  it('queues the job, holding the requested seconds; content is a 409 until it is done; DELETE cancels it at no cost', async () => {
    const { user, client } = await world.newCaller();
    const before = await world.walletOf(user.id);
    const video = await client.videos.create({ model: 'demo-video', prompt: 'a red kite over the sea', seconds: '8', size: '1280x720' });
    expect(video).toMatchObject({ object: 'video', model: 'demo-video', status: 'queued', progress: 0, seconds: '8', size: '1280x720' });
    expect(video.id).toMatch(/^video_/);
    expect((await world.walletOf(user.id)).held_nano - before.held_nano).toBe(8n * DEMO_NANO_PER_SECOND);
    expect((await client.videos.retrieve(video.id)).status).toBe('queued');
    expect((await rejection(client.videos.downloadContent(video.id))).status).toBe(409);

    expect(await client.videos.delete(video.id)).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    expect((await rejection(client.videos.retrieve(video.id))).status).toBe(404);
    expect(await world.walletOf(user.id)).toEqual(before);
    expect(await world.usageRows(user.id)).toEqual([expect.objectContaining({ status: 'failed', cost_nano: 0n, units: null })]);
  });

  it('refuses what OpenAI refuses, with 400s naming the field, and charges nothing', async () => {
    const { user, client } = await world.newCaller();
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
    // A reference must be a JPEG, PNG or WebP image: a refused upload is not kept; a URL is not fetched.
    const reference = await rejection(
      client.videos.create({
        model: 'demo-video',
        prompt: 'x',
        input_reference: new File(['not an image'], 'notes.txt', { type: 'text/plain' }),
      }),
    );
    expect(reference.status).toBe(400);
    expect(reference.message).toContain('input_reference');
    expect((await world.api.get('/api/v1/files', user.token)).body.data).toEqual([]);
    const byUrl = await rejection(
      client.videos.create({ model: 'demo-video', prompt: 'x', input_reference: { image_url: 'https://example.com/a.png' } }),
    );
    expect(byUrl.status).toBe(400);
    expect(byUrl.message).toContain('input_reference');
    // A chat model cannot make videos; an unknown model is a 404.
    expect((await rejection(client.videos.create({ model: 'demo-chat', prompt: 'x' }))).status).toBe(400);
    expect((await rejection(client.videos.create({ model: 'no-such-video-model', prompt: 'x' }))).status).toBe(404);
    // JSON bodies are taken as well as the client's multipart form.
    const json = await fetch(`${world.primary.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-video', prompt: 'json body', seconds: 4 }),
    });
    expect(json.status).toBe(200);
    const queued = (await json.json()) as { id: string; status: string; seconds: string };
    expect(queued).toMatchObject({ status: 'queued', seconds: '4' });
    await client.videos.delete(queued.id);
    expect((await world.walletOf(user.id)).held_nano).toBe(0n);
    expect(await balanceNano(world.primary, user.id)).toBe(10n * NANO);
  });

  it('keeps a waiting job’s hold through the stale-reservation sweep, which is for calls that never settled', async () => {
    const { client } = await world.newCaller();
    const video = await client.videos.create({ model: 'demo-video', prompt: 'a long wait', seconds: '4' });
    const db = world.primary.server.platform.db;
    const job = await db.selectFrom('video_jobs').select('reservation_id').where('id', '=', video.id).executeTakeFirstOrThrow();
    await releaseStaleReservations(world.primary.server.platform.billingDb, 0);
    const reservation = await db
      .selectFrom('model_reservations')
      .select('status')
      .where('id', '=', job.reservation_id)
      .executeTakeFirstOrThrow();
    expect(reservation.status).toBe('held');
    await client.videos.delete(video.id);
  });

  it('lists the caller’s videos newest first, a cursor page at a time', async () => {
    const { client } = await world.newCaller();
    const ids: string[] = [];
    for (const prompt of ['first', 'second', 'third']) ids.push((await client.videos.create({ model: 'demo-video', prompt })).id);
    const page = await client.videos.list({ limit: 2 });
    expect(page.data.map((v) => v.id)).toEqual([ids[2], ids[1]]);
    expect(page.hasNextPage()).toBe(true);
    const next = await page.getNextPage();
    expect(next.data.map((v) => v.id)).toEqual([ids[0]]);
    expect(next.hasNextPage()).toBe(false);
    expect((await client.videos.list({ order: 'asc' })).data.map((v) => v.id)).toEqual(ids);
    for (const id of ids) await client.videos.delete(id);
    expect((await client.videos.list()).data).toEqual([]);
  });

  it('refuses a video the balance cannot cover with 402, before anything is queued', async () => {
    const { user, client } = await world.newCaller();
    await world.primary.server.platform.db
      .updateTable('wallets')
      .set({ balance_nano: 3n * DEMO_NANO_PER_SECOND })
      .where('user_id', '=', user.id)
      .execute();
    expect((await rejection(client.videos.create({ model: 'demo-video', prompt: 'too long', seconds: '4' }))).status).toBe(402);
    const jobs = await world.primary.server.platform.db.selectFrom('video_jobs').select('id').where('owner_id', '=', user.id).execute();
    expect(jobs).toEqual([]);
  });
});

describe('the demo provider (a worker running)', () => {
  beforeAll(async () => {
    if (world.workers.length === 0) await world.startWorker();
  });

  it(
    'makes a real MJPEG-in-AVI clip of the requested length, reporting progress, downloaded with downloadContent',
    async () => {
      const { client } = await world.newCaller();
      const created = await client.videos.create({
        model: 'demo-video',
        prompt: 'a paper boat in the rain',
        seconds: '4',
        size: '1280x720',
      });
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
      // 8 frames per second for 4 s, at a 256-pixel preview of 16:9.
      expect(clip).toMatchObject({
        microsPerFrame: 125_000,
        totalFrames: 32,
        width: 256,
        height: 144,
        handler: 'vidsMJPG',
        compression: 'MJPG',
        rate: 8,
        scale: 1,
        indexEntries: 32,
      });
      expect(clip.frames).toHaveLength(32);
      expect(clip.frames.every((f) => f.width === 256 && f.height === 144)).toBe(true);

      // Deterministic: the same request gives the same bytes.
      const again = await untilDone(
        client,
        (await client.videos.create({ model: 'demo-video', prompt: 'a paper boat in the rain', seconds: '4', size: '1280x720' })).id,
      );
      const bytesAgain = Buffer.from(await (await client.videos.downloadContent(again.video.id)).arrayBuffer());
      expect(createHash('sha256').update(bytesAgain).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    },
    RENDERING_TEST_TIMEOUT_MS,
  );

  it(
    'charges exactly the delivered seconds at the per-second price; the usage record and API show the units',
    async () => {
      const { user, client } = await world.newCaller();
      const before = await balanceNano(world.primary, user.id);
      const { video } = await untilDone(
        client,
        (await client.videos.create({ model: 'demo-video', prompt: 'eight seconds of dusk', seconds: '8' })).id,
      );
      expect(video.status).toBe('completed');
      expect(before - (await balanceNano(world.primary, user.id))).toBe(8n * DEMO_NANO_PER_SECOND);
      const rows = await world.usageRows(user.id);
      expect(rows).toEqual([
        expect.objectContaining({
          status: 'success',
          cost_nano: 8n * DEMO_NANO_PER_SECOND,
          units: { unit: 'second', quantity: 8, unit_price_nano: DEMO_NANO_PER_SECOND.toString() },
        }),
      ]);
      const usage = await world.api.get('/api/v1/usage', user.token);
      expect(usage.body.data).toEqual([
        expect.objectContaining({ status: 'success', cost: 0.08, units: { unit: 'second', quantity: 8, unit_price: 0.01 } }),
      ]);
      expect((await world.walletOf(user.id)).held_nano).toBe(0n);
    },
    RENDERING_TEST_TIMEOUT_MS,
  );

  it(
    'stores the clip as the owner’s generated file; another user gets 404 for the job, its content and its file',
    async () => {
      const owner = await world.newCaller();
      const other = await world.newCaller();
      const { video } = await untilDone(
        owner.client,
        (await owner.client.videos.create({ model: 'demo-video', prompt: 'mine only', seconds: '4' })).id,
      );
      const fileId = (video as unknown as { file_id: string }).file_id;
      expect(fileId).toMatch(/^file_/);
      const files = await world.api.get('/api/v1/files?purpose=generated', owner.user.token);
      expect(files.body.data).toEqual([expect.objectContaining({ id: fileId, purpose: 'generated', content_type: 'video/x-msvideo' })]);
      const ownContent = await fetch(`${world.primary.url}/api/v1/files/${fileId}/content`, {
        headers: { authorization: `Bearer ${owner.user.token}` },
      });
      expect(ownContent.status).toBe(200);
      const downloaded = Buffer.from(await (await owner.client.videos.downloadContent(video.id)).arrayBuffer());
      expect(Buffer.from(await ownContent.arrayBuffer()).equals(downloaded)).toBe(true);

      expect((await rejection(other.client.videos.retrieve(video.id))).status).toBe(404);
      expect((await rejection(other.client.videos.downloadContent(video.id))).status).toBe(404);
      expect((await rejection(other.client.videos.delete(video.id))).status).toBe(404);
      const othersFile = await fetch(`${world.primary.url}/api/v1/files/${fileId}/content`, {
        headers: { authorization: `Bearer ${other.user.token}` },
      });
      expect(othersFile.status).toBe(404);
      expect((await other.client.videos.list()).data).toEqual([]);
      expect((await owner.client.videos.list()).data.map((v) => v.id)).toEqual([video.id]);

      // The owner deletes it: the job and its file are gone.
      await owner.client.videos.delete(video.id);
      expect((await rejection(owner.client.videos.retrieve(video.id))).status).toBe(404);
      const gone = await fetch(`${world.primary.url}/api/v1/files/${fileId}/content`, {
        headers: { authorization: `Bearer ${owner.user.token}` },
      });
      expect(gone.status).toBe(404);
    },
    RENDERING_TEST_TIMEOUT_MS,
  );
});
