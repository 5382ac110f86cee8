// `pnpm bench --rest`: our REST reads against their floor, plain Fastify + pg sending the same SQL
// and answering the same JSON (rest-floor.ts), side by side in one run on one database (issue 18
// target 1: ours ≥ 0.8× the floor). Lists and the model detail are read anonymously, the profile
// with a user's access token.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { cpuOf, median, throughput } from './measure.js';
import { askAndWait, BENCH_JWT_SECRET, json, start } from './processes.js';
import { REST_LAYERS } from './rest-layers.js';

const PORTS = { gateway: 4102, floor: 4104, floorWithObligations: 4106, restLayers: 4107 };
const ITEMS = 25;

interface Pair {
  name: string;
  path: string;
  headers: Record<string, string>;
}
interface Round {
  rps: number;
  cpuUs: number;
  requests: number;
  errors: number;
}

async function seed(api: string): Promise<{ token: string; modelId: string }> {
  const admin = await json(`${api}/auth/token`, 'POST', { username: 'bench-admin@example.com', password: 'bench-admin-password' });
  let modelId = '';
  for (let i = 0; i < ITEMS; i++) {
    const created = await json(
      `${api}/models`,
      'POST',
      {
        name: `bench-model-${i}`,
        description: `benchmark model number ${i}, with a description of a typical length for a catalogue card`,
        category: 'text',
        visibility: 'public',
        pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
      },
      admin.access_token,
    );
    modelId = created.id;
  }
  await json(`${api}/auth/register`, 'POST', { username: 'bench_user', email: 'bench-user@example.com', password: 'bench-user-password' });
  const user = await json(`${api}/auth/token`, 'POST', { username: 'bench_user', password: 'bench-user-password' });
  for (let i = 0; i < ITEMS; i++)
    await json(
      `${api}/community/posts`,
      'POST',
      { title: `Benchmark post ${i}`, content: `A post of a few sentences, number ${i}. `.repeat(6), tags: ['bench', `t${i % 5}`] },
      user.access_token,
    );
  return { token: user.access_token, modelId };
}

export async function runRestBench(options: { duration: number; rounds: number; connections?: number; layers?: boolean }): Promise<void> {
  const connections = options.connections ?? 32;
  const loadBefore = os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
  const databaseName = `maas_bench_rest_${Date.now()}`;
  const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(baseUrl);
  url.pathname = `/${databaseName}`;
  const children: ChildProcess[] = [];
  try {
    const gateway = await start('gateway-server.ts', [String(PORTS.gateway), databaseName]);
    children.push(gateway);
    const { token, modelId } = await seed(`http://127.0.0.1:${PORTS.gateway}/api/v1`);
    const floor = await start('rest-floor.ts', [String(PORTS.floor), url.toString(), BENCH_JWT_SECRET]);
    children.push(floor);
    const floorWithObligations = await start('rest-floor.ts', [
      String(PORTS.floorWithObligations),
      url.toString(),
      BENCH_JWT_SECRET,
      'obligations',
    ]);
    children.push(floorWithObligations);

    const pairs: Pair[] = [
      { name: 'GET /api/v1/models?limit=20', path: '/api/v1/models?limit=20', headers: {} },
      { name: 'GET /api/v1/community/posts?limit=20', path: '/api/v1/community/posts?limit=20', headers: {} },
      { name: 'GET /api/v1/models/{id}', path: `/api/v1/models/${modelId}`, headers: {} },
      { name: 'GET /api/v1/users/profile (JWT)', path: '/api/v1/users/profile', headers: { authorization: `Bearer ${token}` } },
    ];
    const sides = [
      { name: 'ours', origin: `http://127.0.0.1:${PORTS.gateway}`, process: gateway },
      { name: 'floor', origin: `http://127.0.0.1:${PORTS.floor}`, process: floor },
      {
        name: 'floor with headers, request id, metrics',
        origin: `http://127.0.0.1:${PORTS.floorWithObligations}`,
        process: floorWithObligations,
      },
    ];
    // --layers: the same reads layer by layer inside our own process (rest-layers.ts), after the floors.
    if (options.layers) {
      await askAndWait(gateway, { restLayers: { port: PORTS.restLayers } }, 'rest-layers-ready');
      for (const layer of REST_LAYERS)
        sides.push({ name: layer, origin: `http://127.0.0.1:${PORTS.restLayers}/${layer}`, process: gateway });
    }
    // Same JSON, byte for byte, or the comparison means nothing.
    for (const pair of pairs) {
      const [ours, ...floors] = await Promise.all(
        sides.map(async (side) => (await fetch(`${side.origin}${pair.path}`, { headers: pair.headers })).text()),
      );
      for (const raw of floors)
        if (ours !== raw) throw new Error(`${pair.path}: a floor answers differently\nours:  ${ours}\nfloor: ${raw}`);
    }
    const load = (origin: string, pair: Pair, connectionCount: number) =>
      throughput({
        url: `${origin}${pair.path}`,
        method: 'GET',
        body: '',
        headers: pair.headers,
        connections: connectionCount,
        duration: options.duration,
      });
    for (const pair of pairs) for (const side of sides) await load(side.origin, pair, 8); // warm-up

    const runs = pairs.map(() => sides.map((): Round[] => []));
    for (let round = 0; round < options.rounds; round++)
      for (const [p, pair] of pairs.entries())
        for (const [s, side] of sides.entries()) {
          const before = await cpuOf(side.process);
          const result = await load(side.origin, pair, connections);
          const after = await cpuOf(side.process);
          runs[p]![s]!.push({
            rps: result.requests.average,
            cpuUs: after.user - before.user + after.system - before.system,
            requests: result.requests.total,
            errors: result.errors + result.non2xx,
          });
        }
    const loadAfter = os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(', ');

    const perRequest = (run: Round) => run.cpuUs / Math.max(1, run.requests);
    console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
    console.log(`command: pnpm bench --rest${options.layers ? ' --layers' : ''} --duration ${options.duration} --rounds ${options.rounds}`);
    console.log(`load averages (1, 5, 15 min): ${loadBefore} at the start, ${loadAfter} at the end\n`);
    console.log(
      `| read (${connections} connections) | ours req/s | floor req/s | ours ÷ floor (median of rounds) | each round | ours CPU/request (µs) | floor CPU/request (µs) | errors |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [p, pair] of pairs.entries()) {
      const [ours, raw] = runs[p] as [Round[], Round[]];
      const ratios = ours.map((run, round) => run.rps / raw[round]!.rps);
      const cells = [
        pair.name,
        median(ours.map((run) => run.rps)).toFixed(0),
        median(raw.map((run) => run.rps)).toFixed(0),
        median(ratios).toFixed(2),
        ratios.map((ratio) => ratio.toFixed(2)).join(', '),
        median(ours.map(perRequest)).toFixed(0),
        median(raw.map(perRequest)).toFixed(0),
        runs[p]!.flat().reduce((sum, run) => sum + run.errors, 0),
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
    // The second floor: what the headers, the request id and the metrics every answer of ours
    // carries cost a hand-written server, and how far we are above that.
    console.log(
      `\n| read | floor with headers, request id, metrics ÷ floor (median of rounds) | each round | ours ÷ that floor | each round | its CPU/request (µs) |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [p, pair] of pairs.entries()) {
      const [ours, raw, withObligations] = runs[p] as [Round[], Round[], Round[]];
      const floorRatios = withObligations.map((run, round) => run.rps / raw[round]!.rps);
      const oursRatios = ours.map((run, round) => run.rps / withObligations[round]!.rps);
      const cells = [
        pair.name,
        median(floorRatios).toFixed(2),
        floorRatios.map((ratio) => ratio.toFixed(2)).join(', '),
        median(oursRatios).toFixed(2),
        oursRatios.map((ratio) => ratio.toFixed(2)).join(', '),
        median(withObligations.map(perRequest)).toFixed(0),
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
    if (options.layers) printLayers(pairs, runs, perRequest);
    floor.send('stop');
    floorWithObligations.send('stop');
    gateway.send('stop');
    await new Promise((resolve) => gateway.once('exit', resolve));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

/**
 * Each read layer by layer: the floor in its own process, the layers in ours (cumulative), and our
 * route. Ratios are to the floor in the same round; CPU is per request, medians of the rounds.
 */
function printLayers(pairs: Pair[], runs: Round[][][], perRequest: (run: Round) => number): void {
  const columns = ['floor (own process)', ...REST_LAYERS, 'ours (the route)'];
  console.log(`\n| read: req/s ÷ floor, CPU/request µs (medians of rounds) | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---:').join('|')}|`);
  for (const [p, pair] of pairs.entries()) {
    const [ours, floor, , ...layers] = runs[p]!;
    const cell = (side: Round[]) =>
      `${median(side.map((run, round) => run.rps / floor![round]!.rps)).toFixed(2)}, ${median(side.map(perRequest)).toFixed(0)} µs`;
    console.log(`| ${pair.name} | ${[floor!, ...layers, ours!].map(cell).join(' | ')} |`);
  }
}
