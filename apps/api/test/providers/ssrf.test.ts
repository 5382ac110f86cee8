import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { isSpecialPurposeAddress } from '@maas/api';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  type MockUpstream,
  signUpAs,
  startMockUpstream,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

/*
 * The outbound address guard (issue 17, part 7). The platform resolves names through a resolver
 * this test controls (injected through the platform, not a global mock), so a name can answer a
 * public address when a provider is saved and a loopback one when the platform connects: DNS
 * rebinding. Upstreams are real HTTP servers on 127.0.0.1, which the guard must never reach.
 */

// Every form from the issue, and the rest of the special-purpose registries.
const SPECIAL = [
  '127.0.0.1',
  '169.254.169.254',
  '10.1.2.3',
  '172.16.0.1',
  '192.168.1.1',
  '100.64.0.1',
  '0.0.0.0',
  '198.18.0.1',
  '198.19.255.254',
  '192.0.0.8',
  '192.0.2.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::127.0.0.1', // IPv4-compatible
  '::ffff:127.0.0.1', // IPv4-mapped
  '::ffff:169.254.169.254',
  '::ffff:0:127.0.0.1', // IPv4-translated
  '::ffff:0:a9fe:a9fe',
  '64:ff9b::127.0.0.1', // NAT64
  '64:ff9b::a9fe:a9fe', // NAT64 of the metadata address
  '64:ff9b:1::1', // local-use NAT64
  '2002:7f00:1::', // 6to4 of 127.0.0.1
  '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
  'fec0::1', // site-local
  'ff02::1', // multicast
  'fe80::1',
  'fd00::1',
  '2001:db8::1',
  '100::1',
  '2001::1',
  '[::1]',
];
const PUBLIC = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '2606:4700:4700::1111',
  '2a00:1450:4001:81b::200e',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('special-purpose address registry', () => {
  it.each(SPECIAL)('refuses %s', (address) => {
    expect(isSpecialPurposeAddress(address)).toBe(true);
  });
  it.each(PUBLIC)('allows the public address %s', (address) => {
    expect(isSpecialPurposeAddress(address)).toBe(false);
  });
});

/** A DNS the test controls: name → addresses, read at every lookup; the platform asks it for checks and for connecting. */
function controlledDns() {
  const records = new Map<string, string[]>();
  const asked: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    const addresses = records.get(hostname.toLowerCase());
    setImmediate(() => {
      if (!addresses) {
        const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
        callback(error, (options as { all?: boolean }).all ? [] : '', 4);
        return;
      }
      const all = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if ((options as { all?: boolean }).all) callback(null, all);
      else callback(null, all[0]!.address, all[0]!.family);
    });
  };
  return { records, asked, lookup };
}

async function listenLocally(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const chat = (api: ApiClient, token: string, model: string) =>
  api.post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, token);

describe('outbound address guard without MAAS_ALLOW_PRIVATE_UPSTREAMS', () => {
  const dns = controlledDns();
  let server: TestServer;
  let api: ApiClient;
  let admin: TestUser;
  let upstream: MockUpstream;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    server = await startTestServer({ MAAS_ALLOW_PRIVATE_UPSTREAMS: '0' }, { lookup: dns.lookup });
    api = apiClient(server.url);
    admin = await signUpAs(server, api, 'admin');
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  const saveProvider = (baseUrl: string) =>
    api.post(
      '/api/v1/providers',
      {
        name: `p-${Math.random().toString(36).slice(2, 10)}`,
        kind: 'openai-compatible',
        base_url: baseUrl,
        api_key: 'sk-x',
        timeout_ms: 3_000,
      },
      admin.token,
    );

  async function routedModel(providerId: string) {
    const res = await api.post(
      '/api/v1/models',
      {
        name: `guard-${Math.random().toString(36).slice(2, 8)}`,
        description: 'guarded',
        category: 'text',
        visibility: 'public',
        pricing: { input_tokens: 0, output_tokens: 0 },
        context_window: 8_192,
        routes: [{ provider_id: providerId, upstream_model: 'mock-ok' }],
      },
      admin.token,
    );
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  }

  it.each([
    'http://[::127.0.0.1]:8080/v1',
    'http://[::ffff:0:127.0.0.1]/v1',
    'http://[::ffff:169.254.169.254]/v1',
    'http://[64:ff9b::169.254.169.254]/v1',
    'http://[64:ff9b::127.0.0.1]/v1',
    'http://[2002:7f00:1::]/v1',
    'http://[2002:a9fe:a9fe::]/v1',
    'http://[fec0::1]/v1',
    'http://[ff02::1]/v1',
    'http://198.18.0.1/v1',
    'http://192.0.0.170/v1',
    'http://224.0.0.251/v1',
    'http://240.0.0.1/v1',
    'http://255.255.255.255/v1',
    'http://169.254.169.254/latest',
    'http://2130706433/v1', // 127.0.0.1 written as one number
    'http://localhost./v1',
    'http://LOCALHOST.:11434/v1',
    'http://metadata.google.internal/computeMetadata',
  ])('refuses to save %s as a private address', async (baseUrl) => {
    const res = await saveProvider(baseUrl);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'base_url' } });
    // Refused for being private, not for being malformed.
    const reference = await saveProvider('http://127.0.0.1/v1');
    expect(res.body.error.message).toBe(reference.body.error.message);
  });

  it('refuses a name that resolves to a private address (alone or among public ones), and one that does not resolve', async () => {
    dns.records.set('private.example.test', ['10.0.0.5']);
    dns.records.set('mixed.example.test', ['93.184.216.34', '::ffff:127.0.0.1']);
    dns.records.set('public.example.test', ['93.184.216.34']);
    const privateName = await saveProvider('http://private.example.test/v1');
    const mixed = await saveProvider('http://mixed.example.test/v1');
    const unresolvable = await saveProvider('http://nowhere.example.test/v1');
    const publicName = await saveProvider('http://public.example.test/v1');
    expect([privateName.status, mixed.status, unresolvable.status, publicName.status]).toEqual([400, 400, 400, 201]);
    expect(mixed.body.error.message).toBe(privateName.body.error.message);
    // Unresolvable is its own message, not "private".
    expect(unresolvable.body.error.message).not.toBe(privateName.body.error.message);
  });

  it('refuses at connect time a name that answered a public address when saved and a loopback one now (DNS rebinding)', async () => {
    const host = 'rebind.example.test';
    dns.records.set(host, ['93.184.216.34']);
    const saved = await saveProvider(`http://${host}:${upstream.port}/v1`);
    expect(saved.status).toBe(201);
    const model = await routedModel(saved.body.id);

    dns.records.set(host, ['127.0.0.1']);
    const askedBefore = dns.asked.filter((name) => name === host).length;
    const connectionsBefore = upstream.connections;
    const res = await chat(api, admin.token, model.name);
    expect(res.status).toBeGreaterThanOrEqual(500);
    // The platform asked the resolver when it connected, got loopback, and never opened the socket.
    expect(dns.asked.filter((name) => name === host).length).toBeGreaterThan(askedBefore);
    expect(upstream.connections).toBe(connectionsBefore);
    expect(upstream.requests).toEqual([]);

    // The same for an IPv6 form of loopback, and for the metadata address through NAT64.
    for (const address of ['::ffff:127.0.0.1', '64:ff9b::a9fe:a9fe']) {
      dns.records.set(host, [address]);
      expect((await chat(api, admin.token, model.name)).status).toBeGreaterThanOrEqual(500);
    }
    expect(upstream.connections).toBe(connectionsBefore);
  });

  it('refuses at connect time a private literal stored before the guard existed', async () => {
    dns.records.set('old.example.test', ['93.184.216.34']);
    const saved = await saveProvider('http://old.example.test/v1');
    const model = await routedModel(saved.body.id);
    const platform = server.server.platform;
    for (const literal of [`127.0.0.1:${upstream.port}`, `[::ffff:127.0.0.1]:${upstream.port}`]) {
      await platform.db
        .updateTable('providers')
        .set({ base_url: `http://${literal}/v1` })
        .where('id', '=', saved.body.id)
        .execute();
      platform.catalog.markChanged();
      expect((await chat(api, admin.token, model.name)).status).toBeGreaterThanOrEqual(500);
    }
    expect(upstream.requests).toEqual([]);
  });

  it('offers the guard as an undici dispatcher for other outbound calls (tools), refusing literals and rebound names', async () => {
    const dispatcher = server.server.platform.outbound.dispatcher({ connectTimeoutMs: 2_000 });
    try {
      await expect(request(`http://127.0.0.1:${upstream.port}/v1/models`, { dispatcher })).rejects.toMatchObject({ code: 'EADDRBLOCKED' });
      dns.records.set('tool.example.test', ['127.0.0.1']);
      await expect(request(`http://tool.example.test:${upstream.port}/v1/models`, { dispatcher })).rejects.toMatchObject({
        code: 'EADDRBLOCKED',
      });
      expect(upstream.requests).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('outbound connections with MAAS_ALLOW_PRIVATE_UPSTREAMS (the control)', () => {
  const dns = controlledDns();
  let server: TestServer;
  let api: ApiClient;
  let admin: TestUser;
  let upstream: MockUpstream;
  let redirector: Server;
  let redirectorPort: number;
  let hostile: Server;
  let hostilePort: number;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    // Sends every request on to the real upstream with a 307: a redirect must not be followed.
    redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${upstream.url}/chat/completions` }).end();
    });
    redirectorPort = await listenLocally(redirector);
    // An upstream whose error bodies are hostile: an HTML page, and a JSON message with control characters and megabytes of text.
    hostile = createServer((req, res) => {
      req.resume();
      if (req.headers.authorization === 'Bearer sk-html') {
        res
          .writeHead(400, { 'content-type': 'text/html' })
          .end(`<html><body><h1>Internal admin</h1><pre>secret=hunter2</pre></body></html>`);
        return;
      }
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { message: `bad\r\n\u001b[31mforged log line\u202e ${'x'.repeat(10_000)}`, type: 'invalid_request_error' },
        }),
      );
    });
    hostilePort = await listenLocally(hostile);
    server = await startTestServer({ MAAS_ALLOW_PRIVATE_UPSTREAMS: '1' }, { lookup: dns.lookup });
    api = apiClient(server.url);
    admin = await signUpAs(server, api, 'admin');
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await new Promise((resolve) => redirector?.close(resolve));
    await new Promise((resolve) => hostile?.close(resolve));
  });

  async function routed(baseUrl: string, apiKey = 'sk-x') {
    const provider = await api.post(
      '/api/v1/providers',
      {
        name: `p-${Math.random().toString(36).slice(2, 10)}`,
        kind: 'openai-compatible',
        base_url: baseUrl,
        api_key: apiKey,
        timeout_ms: 3_000,
      },
      admin.token,
    );
    expect(provider.status).toBe(201);
    const model = await api.post(
      '/api/v1/models',
      {
        name: `ctl-${Math.random().toString(36).slice(2, 8)}`,
        description: 'control',
        category: 'text',
        visibility: 'public',
        pricing: { input_tokens: 0, output_tokens: 0 },
        context_window: 8_192,
        routes: [{ provider_id: provider.body.id, upstream_model: 'mock-ok' }],
      },
      admin.token,
    );
    expect(model.status).toBe(201);
    return model.body as { name: string };
  }

  it('connects through the injected resolver: the same rebound name reaches the upstream when private upstreams are allowed', async () => {
    dns.records.set('rebind.example.test', ['127.0.0.1']);
    const model = await routed(`http://rebind.example.test:${upstream.port}/v1`);
    const res = await chat(api, admin.token, model.name);
    expect(res.status).toBe(200);
    expect(dns.asked).toContain('rebind.example.test');
    expect(upstream.requests.filter((r) => r.url === '/v1/chat/completions')).toHaveLength(1);
  });

  it('never follows a redirect from an upstream', async () => {
    const model = await routed(`http://127.0.0.1:${redirectorPort}/v1`);
    const before = upstream.requests.length;
    const res = await chat(api, admin.token, model.name);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(upstream.requests.length).toBe(before);
  });

  it("passes an upstream's error on as one bounded line of plain text, never its body verbatim", async () => {
    const json = await chat(api, admin.token, (await routed(`http://127.0.0.1:${hostilePort}/v1`)).name);
    const html = await chat(api, admin.token, (await routed(`http://127.0.0.1:${hostilePort}/v1`, 'sk-html')).name);
    for (const res of [json, html]) {
      const message = String(res.body.error?.message ?? '');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(message.length).toBeLessThanOrEqual(400);
      expect(message).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('<');
    }
    expect(String(json.body.error.message)).toContain('forged log line');
  });
});
