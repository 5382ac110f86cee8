// Issue 15 part 1: model files. A GGUF upload (purpose=model) is checked while it streams; what
// was read is shown on the file; a bad, truncated or non-GGUF file is a 400 naming the problem with
// nothing stored; the same bytes are not stored twice; the model upload limit is its own.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUpAs, startTestServer, type TestServer, type TestUser, tinyModelBytes, uploadModelFile } from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let developer: TestUser;

beforeAll(async () => {
  // A general upload limit below the tiny model's size: model files have their own.
  server = await startTestServer({ MAAS_UPLOAD_MAX_BYTES: '100000', MAAS_MODEL_UPLOAD_MAX_BYTES: '1000000' });
  api = apiClient(server.url);
  developer = await signUpAs(server, api, 'developer');
});
afterAll(async () => {
  await server?.close();
});

async function filesOf(userId: string) {
  return server.server.platform.db.selectFrom('files').selectAll().where('owner_id', '=', userId).execute();
}

/** Every blob on disk, temporary parts included: a refused upload leaves none behind. */
async function blobsOnDisk(): Promise<string[]> {
  const root = path.join(server.config.dataDir, 'blobs');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('POST /api/v1/files with purpose=model', () => {
  it('stores a GGUF file and shows what its header says', async () => {
    const res = await uploadModelFile(server.url, developer.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ purpose: 'model', bytes: tinyModelBytes().length });
    expect(res.body.metadata).toMatchObject({
      format: 'gguf',
      version: 3,
      architecture: 'llama',
      name: 'maas-tiny',
      context_length: 512,
      quantization: 'F32',
      tensor_count: 21,
      vocab_size: expect.any(Number),
    });
    expect(res.body.metadata.parameter_count).toBeGreaterThan(100_000);
    expect(res.body.metadata.chat_template).toContain('<|im_start|>');
    const shown = await api.get(`/api/v1/files/${res.body.id}`, developer.token);
    expect(shown.body.metadata).toEqual(res.body.metadata);
  });

  it('does not store the same file twice for its owner', async () => {
    const user = await signUpAs(server, api, 'developer');
    const first = await uploadModelFile(server.url, user.token);
    const second = await uploadModelFile(server.url, user.token, tinyModelBytes(), 'again.gguf');
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(await filesOf(user.id)).toHaveLength(1);
  });

  it('refuses a file that is not GGUF, a truncated one and a bad header with 400, storing nothing', async () => {
    const user = await signUpAs(server, api, 'developer');
    const blobsBefore = (await blobsOnDisk()).length;
    const tiny = tinyModelBytes();

    const notGguf = await uploadModelFile(server.url, user.token, Buffer.from('PK\u0003\u0004 this is a zip, not a model'));
    expect(notGguf.status).toBe(400);
    expect(notGguf.body.error.details).toMatchObject({ field: 'file', problem: 'not_gguf' });
    expect(notGguf.body.error.message).toMatch(/GGUF/);

    const truncated = await uploadModelFile(server.url, user.token, tiny.subarray(0, tiny.length - 1000));
    expect(truncated.status).toBe(400);
    expect(truncated.body.error.details.problem).toBe('truncated');
    expect(truncated.body.error.details.reason).toBe(`the file has ${tiny.length - 1000} bytes, its tensors need ${tiny.length}`);
    expect(truncated.body.error.message).toContain(truncated.body.error.details.reason);

    const cutInHeader = await uploadModelFile(server.url, user.token, tiny.subarray(0, 200));
    expect(cutInHeader.status).toBe(400);
    expect(cutInHeader.body.error.details.problem).toBe('truncated');

    const badVersion = Buffer.from(tiny);
    badVersion.writeUInt32LE(99, 4);
    const version = await uploadModelFile(server.url, user.token, badVersion);
    expect(version.status).toBe(400);
    expect(version.body.error.details).toMatchObject({ problem: 'unsupported_version' });

    const noTensors = Buffer.from(tiny);
    noTensors.writeBigUInt64LE(0n, 8);
    const zero = await uploadModelFile(server.url, user.token, noTensors);
    expect(zero.status).toBe(400);
    expect(zero.body.error.details.problem).toBe('invalid');
    expect(zero.body.error.details.reason).toMatch(/tensor count/);

    expect(await filesOf(user.id)).toHaveLength(0);
    expect((await blobsOnDisk()).length).toBe(blobsBefore);
  });

  it('has its own size limit, above the general one', async () => {
    const user = await signUpAs(server, api, 'developer');
    // The tiny model (~580 KB) is over the general limit (100 KB) but under the model limit (1 MB).
    const plain = new FormData();
    plain.append('file', new Blob([new Uint8Array(tinyModelBytes())]), 'tiny.gguf');
    const asUpload = await fetch(`${server.url}/api/v1/files`, {
      method: 'POST',
      body: plain,
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(asUpload.status).toBe(413);
    expect((await uploadModelFile(server.url, user.token)).status).toBe(201);
    const huge = Buffer.concat([tinyModelBytes(), Buffer.alloc(600_000)]);
    const tooLarge = await uploadModelFile(server.url, user.token, huge);
    expect(tooLarge.status).toBe(413);
  });

  it('refuses an unknown purpose', async () => {
    const form = new FormData();
    form.append('purpose', 'generated');
    form.append('file', new Blob(['x']), 'x.txt');
    const res = await fetch(`${server.url}/api/v1/files`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${developer.token}` },
    });
    expect(res.status).toBe(400);
  });
});
