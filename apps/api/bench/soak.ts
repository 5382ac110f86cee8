// `pnpm bench --soak SECONDS`: mixed load on the gateway while its retained memory is sampled.
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { memoryOf } from './measure.js';

export async function runSoak(gateway: ChildProcess, origin: string, auth: Record<string, string>, body: string, seconds: number) {
  console.log(
    `\nsoak: ${seconds} s of mixed load (streaming and not) at 16 connections; RSS and heap sampled every 10 s, each after a full GC`,
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
  const headers = { 'content-type': 'application/json', ...auth };
  const soak = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: origin,
        connections: 16,
        duration: seconds,
        requests: [
          { method: 'POST', path: '/v1/chat/completions', body, headers },
          { method: 'POST', path: '/v1/chat/completions', body: streamBody, headers },
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
