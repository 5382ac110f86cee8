// `pnpm bench`: the direct upstream, a bare undici proxy and our /v1/chat/completions (key auth and
// billing on), measured in one run against the same upstream. `--soak SECONDS` adds a mixed-load
// run that samples the gateway's memory. Prints a markdown table.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { LAYERS } from './layers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    samples: { type: 'string', default: '3000' },
    soak: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    layers: { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const latencySamples = Number(args.samples);
const soakSeconds = Number(args.soak);
const rounds = Math.max(1, Number(args.rounds));
const withLayers = args.layers;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const PORTS = { upstream: 4100, proxy: 4101, gateway: 4102, layers: 4103 };

function start(script: string, argv: string[]): Promise<ChildProcess> {
  // The gateway samples retained memory after a full collection.
  const flags = script === 'gateway-server.ts' ? ['--expose-gc'] : [];
  const child = fork(path.join(here, script), argv, {
    execArgv: ['--import', 'tsx', ...flags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => (message === 'ready' ? resolve(child) : reject(new Error(JSON.stringify(message)))));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

// Set-up answers are read loosely: a wrong shape fails loudly on first use.
async function json(url: string, method: string, body: unknown, token?: string): Promise<any> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const parsed = await response.json();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** Admin creates the provider and a priced model; a user gets credit and an API key. */
async function setUpGateway(): Promise<string> {
  const api = `http://127.0.0.1:${PORTS.gateway}/api/v1`;
  const admin = await json(`${api}/auth/token`, 'POST', { username: 'bench-admin@example.com', password: 'bench-admin-password' });
  const provider = await json(
    `${api}/providers`,
    'POST',
    {
      name: 'bench-upstream',
      kind: 'openai-compatible',
      base_url: `http://127.0.0.1:${PORTS.upstream}/v1`,
      api_key: 'sk-upstream',
      timeout_ms: 30_000,
      priority: 0,
      weight: 1,
      enabled: true,
    },
    admin.access_token,
  );
  await json(
    `${api}/models`,
    'POST',
    {
      name: 'bench-model',
      description: 'benchmark model',
      category: 'text',
      visibility: 'public',
      pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
      routes: [{ provider_id: provider.id, upstream_model: 'bench-upstream' }],
    },
    admin.access_token,
  );
  await json(`${api}/auth/register`, 'POST', { username: 'bench_user', email: 'bench-user@example.com', password: 'bench-user-password' });
  const user = await json(`${api}/auth/token`, 'POST', { username: 'bench_user', password: 'bench-user-password' });
  const profile: { id: string } = (await (
    await fetch(`${api}/users/profile`, { headers: { authorization: `Bearer ${user.access_token}` } })
  ).json()) as { id: string };
  await json(
    `${api}/admin/users/${profile.id}/wallet/credit`,
    'POST',
    { amount: 1_000_000, reason: 'benchmark budget' },
    admin.access_token,
  );
  const key = await json(`${api}/api-keys`, 'POST', { name: 'bench' }, user.access_token);
  return key.key;
}

const BODY = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say something short.' }] });

function throughput(url: string, connections: number, headers: Record<string, string>) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      { url, method: 'POST', connections, duration, body: BODY, headers: { 'content-type': 'application/json', ...headers } },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/** One connection, sequential requests, timed with hrtime for sub-millisecond percentiles. */
async function sequentialLatency(origin: string, requestPath: string, headers: Record<string, string>) {
  const client = new Client(origin, { pipelining: 1 });
  const timings: number[] = [];
  for (let i = 0; i < latencySamples + 200; i++) {
    const started = process.hrtime.bigint();
    const { statusCode, body } = await client.request({
      path: requestPath,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: BODY,
    });
    await body.text();
    if (statusCode !== 200) throw new Error(`${origin}${requestPath} answered ${statusCode}`);
    if (i >= 200) timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await client.close();
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

function cpuOf(child: ChildProcess): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'cpu' in message) {
        child.off('message', onMessage);
        resolve((message as { cpu: NodeJS.CpuUsage }).cpu);
      }
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function memoryOf(child: ChildProcess): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as { rss: number; heapUsed: number }));
    child.send('memory');
  });
}

/** Asks the gateway process to serve the --layers routes (see layers.ts). */
function startLayers(gateway: ChildProcess, apiKey: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message === 'layers-ready') resolve();
      else if (typeof message === 'object' && message !== null && 'layersFailed' in message)
        reject(new Error(String(message.layersFailed)));
      else return;
      gateway.off('message', onMessage);
    };
    gateway.on('message', onMessage);
    gateway.send({ layers: { port: PORTS.layers, upstream: `http://127.0.0.1:${PORTS.upstream}`, apiKey, model: 'bench-model' } });
  });
}

const children: ChildProcess[] = [];
try {
  children.push(await start('upstream.ts', [String(PORTS.upstream)]));
  children.push(await start('bare-proxy.ts', [String(PORTS.proxy), `http://127.0.0.1:${PORTS.upstream}`]));
  const gateway = await start('gateway-server.ts', [String(PORTS.gateway)]);
  children.push(gateway);
  const [upstreamProcess, proxyProcess] = children as [ChildProcess, ChildProcess];
  const apiKey = await setUpGateway();
  const auth = { authorization: `Bearer ${apiKey}` };

  const targets = [
    { name: 'direct upstream', origin: `http://127.0.0.1:${PORTS.upstream}`, headers: {}, process: upstreamProcess },
    { name: 'bare undici proxy', origin: `http://127.0.0.1:${PORTS.proxy}`, headers: {}, process: proxyProcess },
    {
      name: 'MaaS /v1/chat/completions (key auth + billing)',
      origin: `http://127.0.0.1:${PORTS.gateway}`,
      headers: auth,
      process: gateway,
    },
  ].map((target) => ({ ...target, path: '/v1/chat/completions' }));
  if (withLayers) {
    await startLayers(gateway, apiKey);
    for (const layer of LAYERS)
      targets.push({
        name: `layer: ${layer}`,
        origin: `http://127.0.0.1:${PORTS.layers}`,
        path: `/layer/${layer}`,
        headers: auth,
        process: gateway,
      });
  }
  // Warm-up: JIT, pools and caches.
  for (const target of targets) await throughput(`${target.origin}${target.path}`, 8, target.headers);

  // The host's speed drifts over minutes (other tenants on the same physical cores), so the three
  // targets take turns for --rounds rounds and each figure is the median over the rounds; the
  // throughput ratio is the median of the per-round ratios, each measured minutes apart at most.
  const perRound: { rps: number; cpuUs: number; userUs: number; requests: number; errors: number }[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, target] of targets.entries()) {
      const cpuBefore = await cpuOf(target.process);
      const result = await throughput(`${target.origin}${target.path}`, 32, target.headers);
      const cpuAfter = await cpuOf(target.process);
      const userUs = cpuAfter.user - cpuBefore.user;
      const cpuUs = userUs + cpuAfter.system - cpuBefore.system;
      perRound[index]!.push({
        rps: result.requests.average,
        cpuUs,
        userUs,
        requests: result.requests.total,
        errors: result.errors + result.non2xx,
      });
    }
  }
  const rows: {
    name: string;
    rps: number;
    p50: number;
    p99: number;
    errors: number;
    cpuPerRequestUs: number;
    kernelShare: number;
    rounds: number[];
  }[] = [];
  for (const [index, target] of targets.entries()) {
    const runs = perRound[index]!;
    const latency = await sequentialLatency(target.origin, target.path, target.headers);
    rows.push({
      name: target.name,
      rps: median(runs.map((run) => run.rps)),
      p50: latency.p50,
      p99: latency.p99,
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      cpuPerRequestUs: median(runs.map((run) => run.cpuUs / Math.max(1, run.requests))),
      kernelShare: median(runs.map((run) => 1 - run.userUs / Math.max(1, run.cpuUs))),
      rounds: runs.map((run) => run.rps),
    });
  }
  const [direct, proxy, ours] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  console.log(
    `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(
    `command: pnpm bench --duration ${duration} --samples ${latencySamples} --rounds ${rounds}${withLayers ? ' --layers' : ''}\n`,
  );
  console.log(
    '| target | req/s at 32 connections (median) | each round | CPU per request, that process (µs) | of it in the kernel | p50 at 1 connection (ms) | p99 at 1 connection (ms) | errors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.rps.toFixed(0)} | ${row.rounds.map((rps) => rps.toFixed(0)).join(', ')} | ${row.cpuPerRequestUs.toFixed(0)} | ${(row.kernelShare * 100).toFixed(0)}% | ${row.p50.toFixed(3)} | ${row.p99.toFixed(3)} | ${row.errors} |`,
    );
  }
  const ratios = ours.rounds.map((rps, round) => rps / (proxy.rounds[round] ?? Number.NaN));
  console.log(
    `\nMaaS / bare proxy throughput, median of the rounds: ${(median(ratios) * 100).toFixed(1)}% (target ≥ 50%); each round: ${ratios.map((ratio) => `${(ratio * 100).toFixed(1)}%`).join(', ')}`,
  );
  console.log(`MaaS p50 added latency over the direct upstream: ${(ours.p50 - direct.p50).toFixed(3)} ms (target ≤ 1 ms)`);

  if (soakSeconds > 0) {
    console.log(
      `\nsoak: ${soakSeconds} s of mixed load (streaming and not) at 16 connections; RSS and heap sampled every 10 s, each after a full GC`,
    );
    const samples: number[] = [];
    const heapSamples: number[] = [];
    const sampler = setInterval(
      () =>
        void memoryOf(gateway).then((m) => {
          samples.push(m.rss);
          heapSamples.push(m.heapUsed);
        }),
      10_000,
    );
    const streamBody = JSON.stringify({ model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'Stream something.' }] });
    const soak = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        {
          url: `http://127.0.0.1:${PORTS.gateway}`,
          connections: 16,
          duration: soakSeconds,
          requests: [
            { method: 'POST', path: '/v1/chat/completions', body: BODY, headers: { 'content-type': 'application/json', ...auth } },
            { method: 'POST', path: '/v1/chat/completions', body: streamBody, headers: { 'content-type': 'application/json', ...auth } },
            { method: 'GET', path: '/v1/models', headers: auth },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    clearInterval(sampler);
    const warm = samples.slice(Math.floor(samples.length / 5));
    const first = warm[0] ?? Number.NaN;
    const last = warm.at(-1) ?? Number.NaN;
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(`requests: ${soak.requests.total}, errors: ${soak.errors}, non-2xx: ${soak.non2xx}`);
    console.log(
      `RSS after warm-up: ${mib(first)} MiB → end: ${mib(last)} MiB (growth ${(((last - first) / first) * 100).toFixed(1)}%, target < 10%)`,
    );
    console.log(`RSS samples (MiB): ${samples.map(mib).join(', ')}`);
    const warmHeap = heapSamples.slice(Math.floor(heapSamples.length / 5));
    console.log(`heap used after warm-up: ${mib(warmHeap[0] ?? Number.NaN)} MiB → end: ${mib(warmHeap.at(-1) ?? Number.NaN)} MiB`);
    console.log(`heap samples (MiB): ${heapSamples.map(mib).join(', ')}`);
  }
  gateway.send('stop');
  await new Promise((resolve) => gateway.once('exit', resolve));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill();
}
