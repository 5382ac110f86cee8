// `pnpm bench`: the direct upstream, a bare undici proxy and our /v1/chat/completions (key auth and
// billing on), each non-streamed and streamed (200 chunks an answer), measured in one run against
// the same upstream, and Portkey's open-source gateway on it as the peer. The proxy and /v1 are
// also streamed short (2 chunks, asked with max_tokens): from the two stream lengths, within each
// round, the fixed cost of a streamed request at 0 chunks, against the non-streamed request's
// (stream-report.ts). `--layers` adds the gateway's call layer by layer (layers.ts); `--soak SECONDS`
// a mixed-load run that samples the gateway's memory (soak.ts); `--workers N` the gateway as N
// cluster workers (gateway-cluster.ts); `--local [--threads N]` the local
// model runtime on the generated tiny model instead (local-runtime.ts); `--rest` our REST reads
// against raw Fastify + pg on the same SQL (rest.ts); `--app-chat-only` only the upstream, the proxy,
// /v1, the app chat rows and /v1 with the prompt app chat sent for a 1000-message conversation
// (app-chat.ts); `--streams-only` no JWT and no app chat rows. Prints markdown tables.
import type { ChildProcess, Serializable } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { APP_CHAT_SIZES, CONVERSATIONS, LONG_PROMPT_ROW, NEW_CONVERSATION_MESSAGE, NEXT_MESSAGE, v1BodyWithPrompt } from './app-chat.js';
import { LAYERS } from './layers.js';
import { askAndWait, start } from './processes.js';
import { setUpGateway } from './gateway-setup.js';
import { cpuOf, cpuPerRequest, type Latency, median, type Round, sequentialLatency, throughput } from './measure.js';
import { runSoak } from './soak.js';
import { printStreamReport } from './stream-report.js';
import { FIRST_TOKEN, STREAM_CHUNKS } from './upstream.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    samples: { type: 'string', default: '3000' },
    soak: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    layers: { type: 'boolean', default: false },
    local: { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
    rest: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    'app-chat-only': { type: 'boolean', default: false },
    'streams-only': { type: 'boolean', default: false },
  },
});
if (args.local) {
  // The local model runtime alone (issue 15 part 7): no gateway, no upstream.
  const { runLocalBench } = await import('./local-runtime.js');
  await runLocalBench(Number(args.threads));
  process.exit(0);
}
if (args.rest) {
  // REST reads against raw Fastify + pg on the same SQL (issue 18 target 1).
  const { runRestBench } = await import('./rest.js');
  await runRestBench({ duration: Number(args.duration), rounds: Math.max(1, Number(args.rounds)), layers: args.layers });
  process.exit(0);
}
const duration = Number(args.duration);
const latencySamples = Number(args.samples);
const soakSeconds = Number(args.soak);
const rounds = Math.max(1, Number(args.rounds));
const withLayers = args.layers;
// The gateway as N cluster workers on one port (MAAS_WORKERS; gateway-cluster.ts).
const workers = Math.max(1, Number(args.workers));
if (workers > 1 && (withLayers || soakSeconds > 0)) throw new Error('--workers N measures the routes only: not with --layers or --soak');

const PORTS = { upstream: 4100, proxy: 4101, gateway: 4102, layers: 4103, portkey: 4105 };

/** Asks the gateway process for something and waits for its answer (app-chat seeding). */
function ask<T>(gateway: ChildProcess, message: Serializable, answer: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: unknown) => {
      if (typeof reply !== 'object' || reply === null || !(answer in reply)) return;
      gateway.off('message', onMessage);
      resolve((reply as Record<string, T>)[answer]!);
    };
    gateway.on('message', onMessage);
    gateway.send(message);
  });
}

/** Asks the gateway process to serve the --layers routes (see layers.ts). */
function startLayers(gateway: ChildProcess, apiKey: string): Promise<void> {
  const request = { layers: { port: PORTS.layers, upstream: `http://127.0.0.1:${PORTS.upstream}`, apiKey, model: 'bench-model' } };
  return askAndWait(gateway, request, 'layers-ready');
}

const BODY = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say something short.' }] });
const STREAM_BODY = JSON.stringify({ model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'Say something short.' }] });
/**
 * Content chunks in the short stream, which the upstream answers to a lower max_tokens (upstream.ts):
 * with the STREAM_CHUNKS-chunk stream, it gives a streamed request's fixed cost (stream-report.ts).
 */
const SHORT_STREAM_CHUNKS = 2;
const SHORT_STREAM_BODY = JSON.stringify({
  model: 'bench-model',
  stream: true,
  max_tokens: SHORT_STREAM_CHUNKS,
  messages: [{ role: 'user', content: 'Say something short.' }],
});

interface Target {
  name: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
  process: ChildProcess;
  body: string;
  /** Bodies the requests take in turn (app chat over many conversations). */
  bodies?: string[];
  /** App chat: the conversations are put back to their seeded length before each round. */
  appChat?: boolean;
  /** App chat in seeded conversations: their seeded length. */
  size?: number;
  /** For a streamed target: the index of the same route non-streamed, its per-chunk baseline. */
  baseline?: number;
  /** For a streamed target: the content chunks an answer (STREAM_CHUNKS, or SHORT_STREAM_CHUNKS). */
  chunks?: number;
}

const loadAverages = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
const loadBefore = loadAverages();
const children: ChildProcess[] = [];
try {
  children.push(await start('upstream.ts', [String(PORTS.upstream)]));
  children.push(await start('bare-proxy.ts', [String(PORTS.proxy), `http://127.0.0.1:${PORTS.upstream}`]));
  const gateway = await start('gateway-server.ts', [String(PORTS.gateway)], { BENCH_WORKERS: String(workers) });
  children.push(gateway);
  const portkey = await start('portkey-server.ts', [String(PORTS.portkey)]);
  children.push(portkey);
  const [upstreamProcess, proxyProcess] = children as [ChildProcess, ChildProcess];
  const { apiKey, accessToken, userId, appId } = await setUpGateway(
    `http://127.0.0.1:${PORTS.gateway}`,
    `http://127.0.0.1:${PORTS.upstream}`,
  );
  const auth = { authorization: `Bearer ${apiKey}` };

  const routes: Omit<Target, 'path' | 'body'>[] = [
    { name: 'direct upstream', origin: `http://127.0.0.1:${PORTS.upstream}`, headers: {}, process: upstreamProcess },
    { name: 'bare undici proxy', origin: `http://127.0.0.1:${PORTS.proxy}`, headers: {}, process: proxyProcess },
    {
      name: 'MaaS /v1/chat/completions (key auth + billing)',
      origin: `http://127.0.0.1:${PORTS.gateway}`,
      headers: auth,
      process: gateway,
    },
    {
      // Issue 18 target 3: the same call authenticated with a user's access token (JWT).
      name: 'MaaS /v1/chat/completions (user JWT + billing)',
      origin: `http://127.0.0.1:${PORTS.gateway}`,
      headers: { authorization: `Bearer ${accessToken}` },
      process: gateway,
    },
    {
      // The peer: the same upstream through Portkey's OpenAI provider with a custom host.
      name: 'Portkey gateway 1.15.2',
      origin: `http://127.0.0.1:${PORTS.portkey}`,
      headers: {
        authorization: 'Bearer sk-upstream',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${PORTS.upstream}/v1`,
      },
      process: portkey,
    },
  ];
  // --streams-only: the upstream, the proxy, /v1 with a key and Portkey, each non-streamed and streamed.
  if (args['streams-only']) routes.splice(3, 1);
  const targets: Target[] = [
    ...routes.map((route) => ({ ...route, path: '/v1/chat/completions', body: BODY })),
    ...routes.map((route, index) => ({
      ...route,
      name: `${route.name}, stream of ${STREAM_CHUNKS} chunks`,
      path: '/v1/chat/completions',
      body: STREAM_BODY,
      baseline: index,
      chunks: STREAM_CHUNKS,
    })),
    // The short stream, for the proxy (for reference) and /v1 with a key: routes 1 and 2.
    ...[1, 2].map((index) => ({
      ...routes[index]!,
      name: `${routes[index]!.name}, stream of ${SHORT_STREAM_CHUNKS} chunks`,
      path: '/v1/chat/completions',
      body: SHORT_STREAM_BODY,
      baseline: index,
      chunks: SHORT_STREAM_CHUNKS,
    })),
  ];
  if (args['app-chat-only']) targets.splice(3);
  // App chat on the same upstream, with the same API key as the /v1 row (app chat takes an API key or
  // a JWT). Seeding talks to the gateway process, so only with one worker.
  const appChatGrowth: string[] = [];
  if (workers === 1 && !args['streams-only']) {
    const seeded = await ask<Record<number, string[]>>(
      gateway,
      { seed: { appId, userId, sizes: APP_CHAT_SIZES, count: CONVERSATIONS } },
      'seeded',
    );
    const appChat = {
      origin: `http://127.0.0.1:${PORTS.gateway}`,
      path: `/api/v1/applications/${appId}/chat`,
      headers: auth,
      process: gateway,
    };
    const newBody = JSON.stringify({ message: NEW_CONVERSATION_MESSAGE, stream: false });
    targets.push({ ...appChat, name: 'app chat, new conversation', body: newBody, appChat: true });
    for (const size of APP_CHAT_SIZES) {
      const bodies = seeded[size]!.map((id) => JSON.stringify({ message: NEXT_MESSAGE, conversation_id: id, stream: false }));
      targets.push({ ...appChat, name: `app chat, ${size}-message conversations`, body: bodies[0]!, bodies, appChat: true, size });
    }
    // Issue 18 target 2: a long conversation sends only the history that fits the window, so its
    // extra cost over a new one should be that prompt's. One app chat call in a 1000-message
    // conversation (nothing else calls the upstream meanwhile), then the very body the upstream
    // received, replayed on /v1; the reset before app chat's rounds drops the call's two messages.
    const longChat = await fetch(`${appChat.origin}${appChat.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ message: NEXT_MESSAGE, conversation_id: seeded[1_000]![0], stream: false }),
    });
    if (!longChat.ok) throw new Error(`app chat in a 1000-message conversation answered ${longChat.status}`);
    await longChat.text();
    const sent = await ask<string>(upstreamProcess, 'last-chat-body', 'lastChatBody');
    const v1 = { origin: appChat.origin, path: '/v1/chat/completions', headers: auth, process: gateway };
    targets.push({ ...v1, name: LONG_PROMPT_ROW, body: v1BodyWithPrompt(sent, 'bench-model') });
  }
  if (withLayers) {
    await startLayers(gateway, apiKey);
    for (const layer of LAYERS)
      targets.push({
        name: `layer: ${layer}`,
        origin: `http://127.0.0.1:${PORTS.layers}`,
        path: `/layer/${layer}`,
        headers: auth,
        process: gateway,
        body: BODY,
      });
  }
  const load = (target: Target, connections: number) =>
    throughput({
      url: `${target.origin}${target.path}`,
      body: target.body,
      headers: target.headers,
      connections,
      duration,
      ...(target.bodies ? { bodies: target.bodies } : {}),
    });
  // Warm-up: JIT, pools and caches.
  for (const target of targets) await load(target, 8);

  // The host's speed drifts over minutes (other tenants on the same physical cores), so the
  // targets take turns for --rounds rounds and each figure is the median over the rounds; ratios and
  // differences are taken within a round, then their median, each pair measured minutes apart at most.
  // A route's streams run right after the route itself: the figures that subtract a non-streamed
  // request from a streamed one (CPU per chunk, the fixed cost) then compare runs seconds apart.
  const perRound: Round[][] = targets.map(() => []);
  const turns = [...targets.keys()].sort((a, b) => (targets[a]!.baseline ?? a) - (targets[b]!.baseline ?? b));
  for (let round = 0; round < rounds; round++) {
    for (const index of turns) {
      const target = targets[index]!;
      if (target.appChat) await ask<Record<string, number>>(gateway, 'reset-conversations', 'reset');
      const cpuBefore = await cpuOf(target.process);
      const result = await load(target, 32);
      const cpuAfter = await cpuOf(target.process);
      if (target.size) {
        const reached = await ask<Record<string, number>>(gateway, 'reset-conversations', 'reset');
        appChatGrowth.push(`${target.name}, round ${round + 1}: mean length ${(reached[target.size] ?? 0).toFixed(0)} at the end`);
      }
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
  const latencies: Latency[] = [];
  for (const target of targets) {
    if (target.appChat) await ask<Record<string, number>>(gateway, 'reset-conversations', 'reset');
    latencies.push(
      await sequentialLatency(
        target.origin,
        target.path,
        target.headers,
        target.body,
        latencySamples,
        target.chunks === undefined ? undefined : FIRST_TOKEN,
      ),
    );
  }
  const loadAfter = loadAverages();

  console.log(
    `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(
    `command: pnpm bench --duration ${duration} --samples ${latencySamples} --rounds ${rounds}${withLayers ? ' --layers' : ''}${workers > 1 ? ` --workers ${workers}` : ''}${args['app-chat-only'] ? ' --app-chat-only' : ''}${args['streams-only'] ? ' --streams-only' : ''}`,
  );
  console.log(`load averages (1, 5, 15 min): ${loadBefore} at the start, ${loadAfter} at the end\n`);
  console.log(
    '| target | req/s at 32 connections (median) | each round | CPU per request, that process (µs) | of it in the kernel | p50 at 1 connection (ms) | p99 at 1 connection (ms) | errors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [index, target] of targets.entries()) {
    const runs = perRound[index]!;
    const latency = latencies[index]!;
    const cells = [
      target.name,
      median(runs.map((run) => run.rps)).toFixed(0),
      runs.map((run) => run.rps.toFixed(0)).join(', '),
      median(runs.map(cpuPerRequest)).toFixed(0),
      `${(median(runs.map((run) => 1 - run.userUs / Math.max(1, run.cpuUs))) * 100).toFixed(0)}%`,
      latency.p50.toFixed(3),
      latency.p99.toFixed(3),
      runs.reduce((sum, run) => sum + run.errors, 0),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const [direct, proxy, ours] = [0, 1, 2].map((index) => ({ runs: perRound[index]!, latency: latencies[index]! })) as [
    { runs: Round[]; latency: Latency },
    { runs: Round[]; latency: Latency },
    { runs: Round[]; latency: Latency },
  ];
  const ratios = ours.runs.map((run, round) => run.rps / (proxy.runs[round]?.rps ?? Number.NaN));
  console.log(
    `\nMaaS / bare proxy throughput, median of the rounds: ${(median(ratios) * 100).toFixed(1)}% (target ≥ 50%); each round: ${ratios.map((ratio) => `${(ratio * 100).toFixed(1)}%`).join(', ')}`,
  );
  const jwtIndex = targets.findIndex((target) => target.name.startsWith('MaaS /v1/chat/completions (user JWT'));
  // --app-chat-only leaves out the JWT and Portkey rows.
  if (jwtIndex >= 0) {
    const jwtCpu = perRound[jwtIndex]!.map((run, round) => cpuPerRequest(run) / cpuPerRequest(ours.runs[round]!));
    const jwtRps = perRound[jwtIndex]!.map((run, round) => run.rps / ours.runs[round]!.rps);
    console.log(
      `MaaS with a JWT ÷ with an API key, median of the rounds: throughput ${median(jwtRps).toFixed(2)}, CPU per request ${median(jwtCpu).toFixed(2)} (target: within 10 %)`,
    );
  }
  // The peer, on the same upstream in the same rounds: non-streamed and streamed.
  for (const streamed of [false, true]) {
    const find = (name: string) =>
      targets.findIndex((target) => target.name.startsWith(name) && target.chunks === (streamed ? STREAM_CHUNKS : undefined));
    if (find('Portkey gateway') < 0) continue;
    const oursRuns = perRound[find('MaaS /v1/chat/completions')]!;
    const peerRuns = perRound[find('Portkey gateway')]!;
    const peerRatios = oursRuns.map((run, round) => run.rps / (peerRuns[round]?.rps ?? Number.NaN));
    console.log(
      `MaaS / Portkey throughput${streamed ? `, stream of ${STREAM_CHUNKS} chunks` : ''}, median of the rounds: ${median(peerRatios).toFixed(2)}× (target ≥ 5×); each round: ${peerRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ')}`,
    );
  }
  console.log(`MaaS p50 added latency over the direct upstream: ${(ours.latency.p50 - direct.latency.p50).toFixed(3)} ms (target ≤ 1 ms)`);
  // The bare proxy's code is the same whatever engine the gateway runs, so its CPU in the same round
  // is a control for how fast the shared host was just then.
  const cpuRatios = ours.runs.map((run, round) => cpuPerRequest(run) / cpuPerRequest(proxy.runs[round]!));
  console.log(
    `MaaS CPU per request ÷ the bare proxy's in the same round, median: ${median(cpuRatios).toFixed(2)} (each round: ${cpuRatios.map((ratio) => ratio.toFixed(2)).join(', ')})`,
  );
  // App chat against /v1 (same key, same upstream), and long conversations against a new one, within each round.
  const newChat = targets.findIndex((target) => target.name === 'app chat, new conversation');
  for (const [index, target] of targets.entries()) {
    if (!target.appChat) continue;
    const runs = perRound[index]!;
    const toV1 = runs.map((run, round) => run.rps / ours.runs[round]!.rps);
    const toNew = runs.map((run, round) => run.rps / perRound[newChat]![round]!.rps);
    console.log(
      `${target.name}: ÷ /v1 ${median(toV1).toFixed(2)} (each round: ${toV1.map((r) => r.toFixed(2)).join(', ')}); ÷ new conversation ${median(toNew).toFixed(2)} (each round: ${toNew.map((r) => r.toFixed(2)).join(', ')})`,
    );
  }
  const longPrompt = targets.findIndex((target) => target.name === LONG_PROMPT_ROW);
  if (longPrompt >= 0) {
    const longChat = targets.findIndex((target) => target.size === 1_000);
    const toV1 = perRound[longPrompt]!.map((run, round) => run.rps / ours.runs[round]!.rps);
    const chatToPrompt = perRound[longChat]!.map((run, round) => run.rps / perRound[longPrompt]![round]!.rps);
    console.log(
      `/v1 with the 1000-message prompt ÷ /v1: ${median(toV1).toFixed(2)} (each round: ${toV1.map((r) => r.toFixed(2)).join(', ')})`,
    );
    console.log(
      `app chat 1000-message ÷ /v1 with the same prompt: ${median(chatToPrompt).toFixed(2)} (each round: ${chatToPrompt.map((r) => r.toFixed(2)).join(', ')})`,
    );
  }
  for (const line of appChatGrowth) console.log(`- ${line} (seeded length, ${CONVERSATIONS} conversations taken in turn)`);
  console.log('\nCPU per request in each round (µs):');
  for (const [index, target] of targets.entries())
    console.log(`- ${target.name}: ${perRound[index]!.map((run) => cpuPerRequest(run).toFixed(0)).join(', ')}`);

  printStreamReport(targets, perRound, latencies);

  if (soakSeconds > 0) await runSoak(gateway, `http://127.0.0.1:${PORTS.gateway}`, auth, BODY, soakSeconds);
  gateway.send('stop');
  await new Promise((resolve) => gateway.once('exit', resolve));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill();
}
