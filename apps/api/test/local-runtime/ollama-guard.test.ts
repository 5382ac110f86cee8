// Issue 17 part 7 for engines (issue 15 part 4): pushing a model file to an engine goes through the
// connect-time address guard like every upstream call. A name that answered a public address when the
// provider was saved and a loopback one when the file is pushed (DNS rebinding) is refused at connect
// time: the deployment fails with a reason and the fake engine receives nothing.
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  createFileModel,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uploadModelFile,
  waitForDeployment,
} from '../kit/index.js';
import { type FakeOllama, startFakeOllama } from './fake-ollama.js';

const HOST = 'engine.rebind.test';
const records = new Map<string, string>([[HOST, '93.184.216.34']]);
const lookup: LookupFunction = (hostname, options, callback) => {
  const address = records.get(hostname.toLowerCase());
  setImmediate(() => {
    const all = (options as { all?: boolean }).all === true;
    if (!address) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), all ? [] : '', 4);
      return;
    }
    if (all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  });
};

let server: TestServer;
let ollama: FakeOllama;
let api: ReturnType<typeof apiClient>;
let admin: TestUser;
let developer: TestUser;

beforeAll(async () => {
  ollama = await startFakeOllama();
  server = await startTestServer({ MAAS_ALLOW_PRIVATE_UPSTREAMS: '0' }, { lookup });
  api = apiClient(server.url);
  admin = await signUpAs(server, api, 'admin');
  developer = await signUpAs(server, api, 'developer');
}, 60_000);
afterAll(async () => {
  await server?.close();
  await ollama?.close();
});

describe('pushing a model file to an engine', () => {
  it('is refused at connect time when the engine name rebinds to a loopback address', async () => {
    const port = new URL(ollama.url).port;
    const provider = await api.post(
      '/api/v1/providers',
      { name: 'rebinding-engine', kind: 'ollama', base_url: `http://${HOST}:${port}`, timeout_ms: 5_000 },
      admin.token,
    );
    expect(provider.status).toBe(201);
    const file = await uploadModelFile(server.url, developer.token);
    const model = await createFileModel(api, developer.token, file.body.id);
    await waitForDeployment(api, developer.token, model.id);

    records.set(HOST, '127.0.0.1');
    const deploy = await api.post(`/api/v1/models/${model.id}/deploy`, { runtime: provider.body.id }, admin.token);
    expect(deploy.status).toBe(200);
    const detail = await waitForDeployment(api, developer.token, model.id);
    expect(detail.deployment).toMatchObject({ runtime: provider.body.id, state: 'failed' });
    // Refused by the guard when connecting (a DNS failure would not name the address).
    expect(detail.deployment.error).toMatch(/engine\.rebind\.test.*127\.0\.0\.1/);
    expect(ollama.blobs.size).toBe(0);
    expect(ollama.models.size).toBe(0);
  }, 120_000);
});
