/*
 * A steady load for fault tests: a few workers send requests back to back while the test breaks
 * something underneath, and every attempt is kept with the phase it started in.
 */

export interface AttemptResult {
  kind: string;
  /** HTTP status; 0 when no answer came within the bound (a hang) or the connection failed. */
  status: number;
  /** The body had the error shape its face promises (envelope on /api/v1, OpenAI on /v1), or it was a success. */
  shapeOk: boolean;
  /** A model call the client saw complete (200 JSON, or a stream that reached [DONE]). */
  completedCall?: boolean;
  note?: string;
}

export interface Attempt extends AttemptResult {
  /** The phase the attempt started in. */
  phase: string;
  /** The phase it ended in: an attempt started just before a fault may end in it. */
  endPhase: string;
  ms: number;
}

export interface SteadyLoad {
  readonly attempts: Attempt[];
  /** The phase new attempts are labelled with. */
  readonly phase: string;
  /** Labels attempts that start from now on. */
  setPhase(phase: string): void;
  stop(): Promise<Attempt[]>;
}

export function startSteadyLoad(workers: number, request: (n: number) => Promise<AttemptResult>, pauseMs = 5): SteadyLoad {
  const attempts: Attempt[] = [];
  let running = true;
  let phase = 'before';
  let counter = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const n = counter++;
      const startedIn = phase;
      const started = performance.now();
      let result: AttemptResult;
      try {
        result = await request(n);
      } catch (error) {
        result = { kind: 'unknown', status: 0, shapeOk: false, note: error instanceof Error ? error.message : String(error) };
      }
      attempts.push({ ...result, phase: startedIn, endPhase: phase, ms: Math.round(performance.now() - started) });
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    attempts,
    get phase() {
      return phase;
    },
    setPhase: (next) => {
      phase = next;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return attempts;
    },
  };
}

/** `{ "200": 812, "503": 41 }` for the attempts given. */
export function countByStatus(attempts: readonly Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const attempt of attempts) counts[attempt.status] = (counts[attempt.status] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; returns the time it took, or throws after `limitMs`. */
export async function waitUntil(probe: () => Promise<boolean>, limitMs: number, everyMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(everyMs);
  }
}
