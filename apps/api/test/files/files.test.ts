import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient, expectError, signUpAs, startTestServer, type TestServer, type TestUser, upload } from '../kit/index.js';

const MAX_BYTES = 1_500_000;
const dataDir = mkdtempSync(path.join(tmpdir(), 'maas-files-test-'));
const blobRoot = path.join(dataDir, 'blobs');

let server: TestServer;
let api: ApiClient;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startTestServer({ DATA_DIR: dataDir, MAAS_UPLOAD_MAX_BYTES: String(MAX_BYTES) });
  api = apiClient(server.url);
  [admin, alice, bob] = await Promise.all([signUpAs(server, api, 'admin'), signUpAs(server, api, 'user'), signUpAs(server, api, 'user')]);
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function sha256(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

function blobFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else found.push(path.relative(blobRoot, path.join(dir, entry.name)));
    }
  };
  walk(blobRoot);
  return found;
}

describe('POST /api/v1/files', () => {
  it('streams a file into the blob store and answers 201 with its metadata', async () => {
    const content = 'hello model weights\n';
    const res = await upload(server.url, alice.token, content, 'weights.txt', 'text/plain');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^file_[a-z0-9]+$/),
      filename: 'weights.txt',
      bytes: Buffer.byteLength(content),
      sha256: sha256(content),
      content_type: 'text/plain',
      owner: alice.id,
      purpose: 'upload',
      expires_at: null,
      created_at: expect.any(String),
    });
    const row = await server.server.platform.db.selectFrom('files').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(readFileSync(path.join(blobRoot, row.storage_key), 'utf8')).toBe(content);
  });

  it('accepts a file larger than the JSON body limit, up to MAAS_UPLOAD_MAX_BYTES exactly', async () => {
    const content = new Uint8Array(randomBytes(MAX_BYTES));
    const res = await upload(server.url, alice.token, content, 'big.bin');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ bytes: MAX_BYTES, sha256: sha256(content), content_type: 'application/octet-stream' });
  });

  it('refuses a file over the limit with a 413 envelope and keeps neither blob nor row', async () => {
    const before = blobFiles();
    const rowsBefore = (await server.server.platform.db.selectFrom('files').select('id').execute()).length;
    const res = await upload(server.url, bob.token, new Uint8Array(MAX_BYTES + 1), 'too-big.bin');
    const error = expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(error.details).toEqual({ max_bytes: MAX_BYTES });
    expect(blobFiles()).toEqual(before);
    expect((await server.server.platform.db.selectFrom('files').select('id').execute()).length).toBe(rowsBefore);
    // The connection and server are fine afterwards.
    expect((await upload(server.url, bob.token, 'small')).status).toBe(201);
  });

  it('requires authentication and writes nothing for an anonymous upload', async () => {
    const before = blobFiles();
    expectError(await upload(server.url, undefined, 'x'), 401, 'UNAUTHORIZED');
    expectError(await upload(server.url, 'garbage-token', 'x'), 401, 'UNAUTHORIZED');
    expect(blobFiles()).toEqual(before);
  });

  it('refuses a JSON body and a multipart body without a file with 400', async () => {
    expectError(await api.post('/api/v1/files', { file: 'aGVsbG8=' }, alice.token), 400, 'INVALID_REQUEST');
    const form = new FormData();
    form.append('note', 'no file here');
    const response = await fetch(`${server.url}/api/v1/files`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expectError({ status: response.status, headers: response.headers, body: await response.json() }, 400, 'INVALID_REQUEST');
  });

  it('refuses prototype-named fields without a file with 400, and ignores them beside a file', async () => {
    const post = (form: FormData) =>
      fetch(`${server.url}/api/v1/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${alice.token}` } });
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const before = blobFiles();
      const alone = new FormData();
      alone.append(name, '');
      const refused = await post(alone);
      expectError({ status: refused.status, headers: refused.headers, body: await refused.json() }, 400, 'INVALID_REQUEST');
      expect(blobFiles()).toEqual(before);

      const beside = new FormData();
      beside.append(name, 'x');
      beside.append('file', new Blob([name]), `${name}.txt`);
      const stored = await post(beside);
      expect(stored.status).toBe(201);
      expect(((await stored.json()) as { sha256: string }).sha256).toBe(sha256(name));
    }
  });

  it('keeps only the last path segment of the filename and a sane content type', async () => {
    const res = await upload(server.url, alice.token, 'x', '../../etc/passwd', 'not a mime type');
    expect(res.status).toBe(201);
    expect(res.body.filename).toBe('passwd');
    expect(res.body.content_type).toBe('application/octet-stream');
  });

  it('drops bidi overrides, isolates, marks and C0/C1 controls from the filename', async () => {
    // "invoice\u202Efdp.exe" shows as "invoiceexe.pdf" in a right-to-left-aware renderer.
    const spoof = await upload(server.url, alice.token, 'x', 'invoice\u202Efdp.exe');
    expect(spoof.status).toBe(201);
    expect(spoof.body.filename).toBe('invoicefdp.exe');
    const mixed = 'a\u202Ab\u202Bc\u202Cd\u202De\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u0085l\u009Bm\u0007n\u007Fo.txt';
    const res = await upload(server.url, alice.token, 'x', mixed);
    expect(res.status).toBe(201);
    expect(res.body.filename).toBe('abcdefghijklmno.txt');
    const row = await server.server.platform.db
      .selectFrom('files')
      .select('filename')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row.filename).toBe('abcdefghijklmno.txt');
    // Letters outside ASCII are names, not controls: they stay.
    expect((await upload(server.url, alice.token, 'x', 'отчёт_報告.pdf')).body.filename).toBe('отчёт_報告.pdf');
  });

  it('does not parse multipart anywhere else', async () => {
    const form = new FormData();
    form.append('name', 'x');
    const response = await fetch(`${server.url}/api/v1/models`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe('INVALID_REQUEST');
  });
});

describe('GET /api/v1/files/{file_id}', () => {
  let file: { id: string };

  beforeAll(async () => {
    file = (await upload(server.url, alice.token, 'private bytes', 'secret.txt', 'text/plain')).body;
  });

  it('shows the metadata to the owner and to admins', async () => {
    const own = await api.get(`/api/v1/files/${file.id}`, alice.token);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: file.id, filename: 'secret.txt', owner: alice.id, sha256: sha256('private bytes') });
    expect(own.body).not.toHaveProperty('storage_key');
    expect((await api.get(`/api/v1/files/${file.id}`, admin.token)).status).toBe(200);
  });

  it('answers 404 to another user, 401 to anonymous, and 404 for an id that names nothing, whatever its shape', async () => {
    expectError(await api.get(`/api/v1/files/${file.id}`, bob.token), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/files/${file.id}`), 401, 'UNAUTHORIZED');
    expectError(await api.get('/api/v1/files/file_doesnotexist', alice.token), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/files/..%2F..%2Fetc', alice.token), 404, 'NOT_FOUND');
  });
});

describe('GET /api/v1/files, /files/{file_id}/content and DELETE /files/{file_id}', () => {
  it('lists only your own files, newest first, paginated and filtered by purpose', async () => {
    const carol = await signUpAs(server, api, 'user');
    const first = (await upload(server.url, carol.token, 'one', 'one.txt', 'text/plain')).body;
    const second = (await upload(server.url, carol.token, 'two', 'two.txt', 'text/plain')).body;
    await upload(server.url, bob.token, 'not carol', 'bob.txt', 'text/plain');
    const list = await api.get('/api/v1/files?limit=1', carol.token);
    expect(list.status).toBe(200);
    expect(list.body.data.map((f: { id: string }) => f.id)).toEqual([second.id]);
    expect(list.body.pagination).toEqual({ page: 1, limit: 1, total: 2, pages: 2 });
    const uploads = await api.get('/api/v1/files?purpose=upload', carol.token);
    expect(uploads.body.data.map((f: { id: string }) => f.id)).toEqual([second.id, first.id]);
    expect((await api.get('/api/v1/files?purpose=generated', carol.token)).body.pagination.total).toBe(0);
    expectError(await api.get('/api/v1/files?purpose=weights', carol.token), 400, 'INVALID_REQUEST');
    expectError(await api.get('/api/v1/files'), 401, 'UNAUTHORIZED');
  });

  it('serves the bytes with the content type to the owner and admins, 404 to anyone else, and 304 for a matching ETag', async () => {
    const file = (await upload(server.url, alice.token, 'the bytes themselves', 'bytes.txt', 'text/plain')).body;
    const own = await fetch(`${server.url}/api/v1/files/${file.id}/content`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('text/plain');
    expect(own.headers.get('etag')).toBe(`"${sha256('the bytes themselves')}"`);
    expect(await own.text()).toBe('the bytes themselves');
    const again = await fetch(`${server.url}/api/v1/files/${file.id}/content`, {
      headers: { authorization: `Bearer ${alice.token}`, 'if-none-match': `"${sha256('the bytes themselves')}"` },
    });
    expect(again.status).toBe(304);
    expect(
      (await fetch(`${server.url}/api/v1/files/${file.id}/content`, { headers: { authorization: `Bearer ${admin.token}` } })).status,
    ).toBe(200);
    expectError(await api.get(`/api/v1/files/${file.id}/content`, bob.token), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/files/${file.id}/content`), 401, 'UNAUTHORIZED');
    expectError(await api.get('/api/v1/files/file_doesnotexist/content', alice.token), 404, 'NOT_FOUND');
  });

  it('deletes a file and its bytes for the owner only', async () => {
    const file = (await upload(server.url, alice.token, 'short-lived', 'gone.txt', 'text/plain')).body;
    const row = await server.server.platform.db.selectFrom('files').selectAll().where('id', '=', file.id).executeTakeFirstOrThrow();
    expectError(await api.delete(`/api/v1/files/${file.id}`, bob.token), 404, 'NOT_FOUND');
    const deleted = await api.delete(`/api/v1/files/${file.id}`, alice.token);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: file.id, deleted: true });
    expect(blobFiles()).not.toContain(row.storage_key);
    expectError(await api.get(`/api/v1/files/${file.id}`, alice.token), 404, 'NOT_FOUND');
    expectError(await api.delete(`/api/v1/files/${file.id}`, alice.token), 404, 'NOT_FOUND');
  });

  it('stores generated media with an expiry and deletes them after it', async () => {
    const { storeGenerated, deleteExpiredFiles } = await import('@maas/api');
    const platform = server.server.platform;
    const made = await storeGenerated(platform, alice.id, {
      bytes: new TextEncoder().encode('PNG?'),
      contentType: 'image/png',
      filename: 'image-1.png',
      metadata: { width: 1, height: 1 },
    });
    expect(made).toMatchObject({ purpose: 'generated', owner: alice.id, content_type: 'image/png', metadata: { width: 1, height: 1 } });
    const hours = (Date.parse(made.expires_at!) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(167.9);
    expect(hours).toBeLessThanOrEqual(168);
    const listed = await api.get('/api/v1/files?purpose=generated', alice.token);
    expect(listed.body.data.map((f: { id: string }) => f.id)).toContain(made.id);
    expect(await deleteExpiredFiles(platform, new Date(Date.now() + 3_600_000))).toBe(0);
    expect(await deleteExpiredFiles(platform, new Date(Date.now() + 169 * 3_600_000))).toBe(1);
    expectError(await api.get(`/api/v1/files/${made.id}`, alice.token), 404, 'NOT_FOUND');
  });
});

describe('OpenAPI document', () => {
  it('documents the multipart upload and the catalogue endpoints', async () => {
    const document = (await api.get('/api/v1/openapi.json')).body;
    const uploadOp = document.paths['/files']?.post;
    expect(uploadOp?.requestBody?.content?.['multipart/form-data']).toBeDefined();
    expect(uploadOp.security).toBeDefined();
    expect(document.paths['/files/{file_id}']?.get).toBeDefined();
    for (const [route, methods] of [
      ['/providers', ['get', 'post']],
      ['/providers/{provider_id}', ['get', 'patch', 'delete']],
      ['/models', ['get', 'post']],
      ['/models/{model_id}', ['get', 'patch', 'delete']],
      ['/applications', ['get', 'post']],
      ['/applications/{app_id}', ['get', 'patch', 'delete']],
    ] as const) {
      for (const method of methods) expect(document.paths[route]?.[method], `${method} ${route}`).toBeDefined();
    }
  });

  it('answers the tRPC face of the upload with a 400 pointing at the multipart route', async () => {
    const res = await api.post('/trpc/files.upload', { file: 'x' }, alice.token);
    expect(res.status).toBe(400);
  });
});
