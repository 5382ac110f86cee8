// What `pnpm bench` measures with, independent of the engine behind the gateway: a load run, a
// sequential latency run (with time to first token for streams) and a process's CPU time.
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { Client } from 'undici';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One target's 32-connection load run in one round, with the CPU its process spent meanwhile. */
export interface Round {
  rps: number;
  cpuUs: number;
  userUs: number;
  requests: number;
  errors: number;
}

export const cpuPerRequest = (run: Round) => run.cpuUs / Math.max(1, run.requests);

export interface LoadRun {
  url: string;
  /** POST unless given; a GET sends no body. */
  method?: 'GET' | 'POST';
  body: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  /** Bodies the requests take in turn (else `body` for all). */
  bodies?: readonly string[];
}

function rotate(bodies: readonly string[]) {
  let next = 0;
  return (request: autocannon.Request) => ({ ...request, body: bodies[next++ % bodies.length] });
}

export function throughput(run: LoadRun) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: run.url,
        method: run.method ?? 'POST',
        connections: run.connections,
        duration: run.duration,
        ...(run.method === 'GET'
          ? { headers: run.headers }
          : { body: run.body, headers: { 'content-type': 'application/json', ...run.headers } }),
        ...(run.bodies ? { requests: [{ setupRequest: rotate(run.bodies) }] } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

export interface Latency {
  p50: number;
  p99: number;
  /** Time until `firstToken` had arrived, when one was given (streams). */
  ttftP50?: number;
  ttftP99?: number;
}

function percentiles(timings: number[]) {
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * One connection, sequential requests, timed with hrtime for sub-millisecond percentiles; the first
 * 200 are warm-up. With `firstToken`, also the time until that text has arrived in the body: the
 * time to first token as a streaming client sees it (the whole chunk is decoded before the check).
 */
export async function sequentialLatency(
  origin: string,
  requestPath: string,
  headers: Record<string, string>,
  body: string,
  samples: number,
  firstToken?: string,
): Promise<Latency> {
  const client = new Client(origin, { pipelining: 1 });
  const timings: number[] = [];
  const ttfts: number[] = [];
  for (let i = 0; i < samples + 200; i++) {
    const started = process.hrtime.bigint();
    const answer = await client.request({
      path: requestPath,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    if (answer.statusCode !== 200) throw new Error(`${origin}${requestPath} answered ${answer.statusCode}`);
    let firstTokenAt: bigint | undefined;
    if (firstToken === undefined) await answer.body.text();
    else {
      let text = '';
      answer.body.setEncoding('utf8');
      for await (const piece of answer.body as AsyncIterable<string>) {
        if (firstTokenAt !== undefined) continue;
        text += piece;
        if (text.includes(firstToken)) firstTokenAt = process.hrtime.bigint();
      }
      if (firstTokenAt === undefined) throw new Error(`${origin}${requestPath}: the stream never carried ${firstToken}`);
    }
    const ended = process.hrtime.bigint();
    if (i < 200) continue;
    timings.push(Number(ended - started) / 1e6);
    if (firstTokenAt !== undefined) ttfts.push(Number(firstTokenAt - started) / 1e6);
  }
  await client.close();
  const total = percentiles(timings);
  if (firstToken === undefined) return total;
  const ttft = percentiles(ttfts);
  return { ...total, ttftP50: ttft.p50, ttftP99: ttft.p99 };
}

export function cpuOf(child: ChildProcess): Promise<NodeJS.CpuUsage> {
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

export function memoryOf(child: ChildProcess): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as { rss: number; heapUsed: number }));
    child.send('memory');
  });
}
