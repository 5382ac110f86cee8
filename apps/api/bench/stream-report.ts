// The streamed part of `pnpm bench`'s report (issue 18 target 4): CPU per chunk and time to first
// token of the STREAM_CHUNKS-chunk streams, streamed throughput and CPU per chunk against the bare
// proxy's, and the fixed cost of a streamed request against a non-streamed one, extrapolated from
// a short stream. Every figure is taken within a round, then the median over the rounds.
import { cpuPerRequest, type Latency, median, type Round } from './measure.js';
import { STREAM_CHUNKS } from './upstream.js';

/** What the report needs of a target. */
export interface StreamTarget {
  name: string;
  /** For a streamed target: the index of the same route non-streamed. */
  baseline?: number;
  /** For a streamed target: the content chunks an answer. */
  chunks?: number;
}

const MAAS = 'MaaS /v1/chat/completions (key';
const PROXY = 'bare undici proxy';

export function printStreamReport(targets: readonly StreamTarget[], perRound: readonly Round[][], latencies: readonly Latency[]): void {
  const cpu = (index: number, round: number) => cpuPerRequest(perRound[index]![round]!);
  const streamOf = (name: string, chunks: number) =>
    targets.findIndex((target) => target.chunks === chunks && target.name.startsWith(name));
  // Per chunk: that process's CPU per streamed request minus its CPU per non-streamed request in the
  // same round, over the chunk count; the fixed per-request work (auth, hold, settlement) cancels.
  const perChunkOf = (index: number, round: number) => (cpu(index, round) - cpu(targets[index]!.baseline!, round)) / STREAM_CHUNKS;

  console.log(
    `\n| streamed (${STREAM_CHUNKS} chunks an answer) | CPU per streamed request (µs) | CPU per chunk (µs) | each round | TTFT p50 at 1 connection (ms) | TTFT p99 (ms) | added TTFT p50 over direct (ms) |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const directStream = latencies[targets.findIndex((target) => target.baseline === 0 && target.chunks === STREAM_CHUNKS)]!;
  for (const [index, target] of targets.entries()) {
    if (target.chunks !== STREAM_CHUNKS) continue;
    const runs = perRound[index]!;
    const perChunk = runs.map((_, round) => perChunkOf(index, round));
    const latency = latencies[index]!;
    const cells = [
      target.name,
      median(runs.map(cpuPerRequest)).toFixed(0),
      median(perChunk).toFixed(2),
      perChunk.map((us) => us.toFixed(2)).join(', '),
      latency.ttftP50!.toFixed(3),
      latency.ttftP99!.toFixed(3),
      (latency.ttftP50! - directStream.ttftP50!).toFixed(3),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }

  // Streamed throughput against the byte-piping proxy's, and the gateway's CPU per chunk above the
  // proxy's, each within a round.
  const [oursStream, proxyStream] = [streamOf(MAAS, STREAM_CHUNKS), streamOf(PROXY, STREAM_CHUNKS)];
  if (oursStream >= 0 && proxyStream >= 0) {
    const rpsRatios = perRound[oursStream]!.map((run, round) => run.rps / perRound[proxyStream]![round]!.rps);
    const aboveProxy = perRound[oursStream]!.map((_, round) => perChunkOf(oursStream, round) - perChunkOf(proxyStream, round));
    console.log(
      `\nMaaS streamed ÷ bare proxy streamed throughput, median of the rounds: ${median(rpsRatios).toFixed(2)} (target ≥ 0.6); each round: ${rpsRatios.map((r) => r.toFixed(2)).join(', ')}`,
    );
    console.log(
      `MaaS CPU per chunk above the proxy's, median of the rounds: ${median(aboveProxy).toFixed(2)} µs (target ≤ 2 µs); each round: ${aboveProxy.map((us) => us.toFixed(2)).join(', ')}`,
    );
  }
  printFixedCost(targets, perRound, latencies);
}

/**
 * The fixed cost of a streamed request, what it would cost with no chunk at all: the straight
 * line through the short stream's CPU per request and the STREAM_CHUNKS-chunk stream's, in the
 * same round, taken at zero chunks. Against the same route's non-streamed CPU per request in that
 * round (issue 18 target 4: within 1.5×).
 */
function printFixedCost(targets: readonly StreamTarget[], perRound: readonly Round[][], latencies: readonly Latency[]): void {
  const shortRows = [...targets.entries()].filter(([, target]) => target.chunks !== undefined && target.chunks !== STREAM_CHUNKS);
  if (shortRows.length === 0) return;
  const cpu = (index: number, round: number) => cpuPerRequest(perRound[index]![round]!);
  const fixed = shortRows.map(([index, target]) => {
    const long = targets.findIndex((other) => other.chunks === STREAM_CHUNKS && other.baseline === target.baseline);
    const short = target.chunks!;
    // CPU per chunk in each round: the slope of the line through the two streams.
    const perRoundSlope = perRound[index]!.map((_, round) => (cpu(long, round) - cpu(index, round)) / (STREAM_CHUNKS - short));
    const perRoundFixed = perRoundSlope.map((slope, round) => cpu(index, round) - short * slope);
    const nonStreamed = perRound[target.baseline!]!.map(cpuPerRequest);
    return {
      target,
      index,
      perRoundSlope,
      perRoundFixed,
      nonStreamed,
      ratios: perRoundFixed.map((us, round) => us / nonStreamed[round]!),
    };
  });

  const chunks = shortRows[0]![1].chunks!;
  console.log(
    `\n| short stream (${chunks} chunks an answer) | CPU per streamed request (µs) | fixed cost at 0 chunks (µs) | each round | TTFT p50 at 1 connection (ms) | TTFT p99 (ms) |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const { index, target, perRoundFixed } of fixed) {
    const latency = latencies[index]!;
    const cells = [
      target.name,
      median(perRound[index]!.map(cpuPerRequest)).toFixed(0),
      median(perRoundFixed).toFixed(0),
      perRoundFixed.map((us) => us.toFixed(0)).join(', '),
      latency.ttftP50!.toFixed(3),
      latency.ttftP99!.toFixed(3),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }

  // CPU per chunk from the slope between the short and the long stream, both streamed: unlike the
  // figure above (long stream minus non-streamed), it leaves out the fixed cost of streaming.
  const oursShort = fixed.find(({ target }) => target.name.startsWith(MAAS));
  const proxyShort = fixed.find(({ target }) => target.name.startsWith(PROXY));
  if (oursShort && proxyShort) {
    const above = oursShort.perRoundSlope.map((slope, round) => slope - proxyShort.perRoundSlope[round]!);
    console.log(
      `\nMaaS CPU per chunk above the proxy's, from the slope between the ${chunks}- and ${STREAM_CHUNKS}-chunk streams, median of the rounds: ${median(above).toFixed(2)} µs (target ≤ 2 µs); each round: ${above.map((us) => us.toFixed(2)).join(', ')}`,
    );
  }

  console.log('');
  // MaaS first: its line is the target's; the proxy's is there for reference.
  const oursFirst = [...fixed].sort((a, b) => Number(b.target.name.startsWith(MAAS)) - Number(a.target.name.startsWith(MAAS)));
  for (const { target, perRoundFixed, nonStreamed, ratios } of oursFirst) {
    const ours = target.name.startsWith(MAAS);
    const rounds = perRoundFixed.map(
      (us, round) => `${us.toFixed(0)} ÷ ${nonStreamed[round]!.toFixed(0)} µs = ${ratios[round]!.toFixed(2)}×`,
    );
    console.log(
      `${ours ? 'MaaS' : `${target.name.split(',')[0]}, for reference`}: fixed cost of a streamed request (CPU at 0 chunks, extrapolated from the ${target.chunks}-chunk and ${STREAM_CHUNKS}-chunk rows within each round): ${median(perRoundFixed).toFixed(0)} µs against ${median(nonStreamed).toFixed(0)} µs non-streamed = ${median(ratios).toFixed(2)}×${ours ? ' (target ≤ 1.5×)' : ''}; each round: ${rounds.join(', ')}`,
    );
  }
}
