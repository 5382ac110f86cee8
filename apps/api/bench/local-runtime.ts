// `pnpm bench --local` (issue 15 part 7): the built-in local runtime serving the generated tiny
// model. Time to load, time to first token, tokens per second and the worker's resident memory
// with the model loaded, at 1 and at 4 concurrent calls. Prints a markdown table.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalRuntime, makeTinyModel } from '@maas/api';

const OUTPUT_TOKENS = 64;
const ROUNDS = 3;

/** The worker's resident memory (Linux /proc), in MB. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function oneCall(runtime: LocalRuntime, seed: number): Promise<{ ttftMs: number; tokens: number; ms: number }> {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  await runtime.generate(
    'bench',
    [{ role: 'user', content: 'hello world' }],
    { maxTokens: OUTPUT_TOKENS, temperature: 0.8, seed },
    (event) => {
      if (event.type === 'text' && first === 0) first = performance.now();
      if (event.type === 'done') tokens = event.outputTokens;
    },
    new AbortController().signal,
  );
  const ms = performance.now() - started;
  return { ttftMs: (first || performance.now()) - started, tokens, ms };
}

export async function runLocalBench(threads: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'maas-bench-local-'));
  const file = path.join(dir, 'tiny.gguf');
  await writeFile(file, makeTinyModel());
  console.log(
    `## Local runtime: the tiny model (${(makeTinyModel().length / 1024).toFixed(0)} KB), ${threads} thread(s), ${OUTPUT_TOKENS} output tokens a call\n`,
  );
  console.log('| concurrent calls | load (ms) | time to first token p50 (ms) | tokens/s per call | tokens/s total | worker RSS (MB) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  try {
    for (const concurrency of [1, 4]) {
      const runtime = new LocalRuntime({ threads, maxModels: 1, concurrency, queue: 16, gpu: false });
      runtime.setResolver(async () => ({ path: file, contextSize: 512, chatTemplate: null }));
      try {
        const loadStarted = performance.now();
        await runtime.load('bench');
        const loadMs = performance.now() - loadStarted;
        await oneCall(runtime, 0); // warm-up
        const ttfts: number[] = [];
        const perCall: number[] = [];
        let totalTokens = 0;
        let totalMs = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const started = performance.now();
          const calls = await Promise.all(Array.from({ length: concurrency }, (_, i) => oneCall(runtime, round * 10 + i)));
          totalMs += performance.now() - started;
          for (const call of calls) {
            ttfts.push(call.ttftMs);
            perCall.push((call.tokens / call.ms) * 1000);
            totalTokens += call.tokens;
          }
        }
        ttfts.sort((a, b) => a - b);
        const p50 = ttfts[Math.floor(ttfts.length / 2)]!;
        const perCallRate = perCall.reduce((a, b) => a + b, 0) / perCall.length;
        const cells = [
          concurrency,
          loadMs.toFixed(0),
          p50.toFixed(1),
          perCallRate.toFixed(0),
          ((totalTokens / totalMs) * 1000).toFixed(0),
          rssMb(runtime.pid).toFixed(0),
        ];
        console.log(`| ${cells.join(' | ')} |`);
      } finally {
        await runtime.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
