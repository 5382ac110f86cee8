// The local runtime's supervisor (issue 15 part 3), one per platform: it owns the worker process
// that runs node-llama-cpp, loads and unloads models in it (at most `maxModels`, least recently
// used first out), queues calls per model, and turns a crash of the worker into clean failures of
// the calls it was running. The next call starts a new worker.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../core/errors.js';
import { UpstreamError } from '../../errors.js';
import type { FromWorker, GenerationParams, ToWorker, WorkerMessage } from './protocol.js';

export interface LocalRuntimeOptions {
  threads: number;
  maxModels: number;
  /** Calls generating at once per model. */
  concurrency: number;
  /** Calls waiting per model; one more is a 429. */
  queue: number;
  gpu: boolean;
  /** Read by the model catalogue (a public local model's least price), not by the runtime. */
  minPriceNano?: bigint;
}

/** What the runtime needs to load a model: where its file is and how large a context to make. */
export interface LocalModelSpec {
  path: string;
  /** The context asked for (the model's context window); the file's own length bounds it too. */
  contextSize: number;
  chatTemplate: string | null;
}

export type SpecResolver = (modelId: string) => Promise<LocalModelSpec>;

export interface LoadedInfo {
  contextSize: number;
  loadedAt: Date;
}

/** One event of a generation, as the adapter reads it. */
export type GenerationEvent =
  | { type: 'started'; inputTokens: number }
  | { type: 'text'; text: string; tokens: number }
  | { type: 'done'; inputTokens: number; outputTokens: number; finishReason: 'stop' | 'length' | 'cancelled' };

interface Pending {
  onMessage(message: FromWorker): void;
  onCrash(error: UpstreamError): void;
}

interface Slot {
  spec: LocalModelSpec;
  /** null after a worker crash: the model loads again on its next call. */
  loading: Promise<LoadedInfo> | null;
  lastUsed: number;
  active: number;
  waiting: (() => void)[];
}

const WORKER_PATH = fileURLToPath(new URL('./worker.mjs', import.meta.url));

export class LocalRuntime {
  readonly #options: LocalRuntimeOptions;
  #resolve: SpecResolver | null = null;
  #worker: ChildProcess | null = null;
  #workerReady: Promise<ChildProcess> | null = null;
  readonly #pending = new Map<string, Pending>();
  readonly #slots = new Map<string, Slot>();
  #closed = false;
  /** Tokens per second of the last finished generation, for the metrics. */
  lastTokensPerSecond = 0;
  /** Tokens generated since start (cancelled generations included, up to where they stopped). */
  tokensGenerated = 0;
  /** Calls generating now (queued ones are in queueDepth). */
  generating = 0;
  restarts = 0;

  constructor(options: LocalRuntimeOptions) {
    this.#options = options;
  }

  /** Set once by the platform: how a model id becomes a file and a context size. */
  setResolver(resolve: SpecResolver): void {
    this.#resolve = resolve;
  }

  /** The worker's process id while one runs (tests kill it to check crash handling). */
  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  get loadedModels(): string[] {
    return [...this.#slots.keys()];
  }

  get queueDepth(): number {
    let depth = 0;
    for (const slot of this.#slots.values()) depth += slot.waiting.length;
    return depth;
  }

  /** Loads the model (unloading the least recently used one if the runtime is full). */
  async load(modelId: string): Promise<LoadedInfo> {
    let slot = this.#slots.get(modelId);
    if (!slot) {
      if (!this.#resolve) throw new Error('the local runtime has no model resolver');
      const spec = await this.#resolve(modelId);
      slot = this.#slots.get(modelId);
      if (!slot) {
        await this.#makeRoom();
        slot = this.#slots.get(modelId) ?? { spec, loading: null, lastUsed: performance.now(), active: 0, waiting: [] };
        this.#slots.set(modelId, slot);
      }
    }
    slot.lastUsed = performance.now();
    if (slot.loading) return slot.loading;
    const loading = this.#loadInWorker(modelId, slot.spec);
    slot.loading = loading;
    const current = slot;
    loading.catch(() => {
      if (current.loading !== loading) return;
      current.loading = null;
      if (current.active === 0 && current.waiting.length === 0 && this.#slots.get(modelId) === current) this.#slots.delete(modelId);
    });
    return loading;
  }

  /** Unloads the model if it is loaded; calls running on it fail. */
  async unload(modelId: string): Promise<void> {
    const slot = this.#slots.get(modelId);
    if (!slot) return;
    this.#slots.delete(modelId);
    const worker = this.#worker;
    if (!worker || !slot.loading) return;
    await slot.loading.catch(() => undefined);
    await this.#request(worker, { op: 'unload', callId: randomUUID(), modelId }).catch(() => undefined);
  }

  /** Exact prompt tokens by the model's own tokenizer and chat template. */
  async countTokens(modelId: string, messages: WorkerMessage[]): Promise<number> {
    await this.load(modelId);
    const worker = await this.#startWorker();
    const answer = await this.#request(worker, { op: 'count', callId: randomUUID(), modelId, messages });
    return answer.op === 'counted' ? answer.inputTokens : 0;
  }

  /**
   * Waits for a free place on the model (a 429 with Retry-After when its queue is full), loads it,
   * and starts generating; events go to `onEvent` until `done` or an error. `abort` stops it.
   */
  async generate(
    modelId: string,
    messages: WorkerMessage[],
    params: GenerationParams,
    onEvent: (event: GenerationEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    await this.load(modelId);
    const slot = this.#slots.get(modelId);
    if (!slot) throw crashed('the model was unloaded before the call started');
    await this.#acquire(modelId, slot, signal);
    const started = performance.now();
    this.generating++;
    try {
      const worker = await this.#startWorker();
      // The worker may have been restarted since the load: the model is loaded again.
      await this.load(modelId);
      const callId = randomUUID();
      const onAbort = () => this.#send(worker, { op: 'abort', callId });
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await new Promise<void>((resolve, reject) => {
          this.#pending.set(callId, {
            onMessage: (message) => {
              if (message.op === 'started') onEvent({ type: 'started', inputTokens: message.inputTokens });
              else if (message.op === 'text') onEvent({ type: 'text', text: message.text, tokens: message.tokens });
              else if (message.op === 'done') {
                this.#pending.delete(callId);
                this.tokensGenerated += message.outputTokens;
                const seconds = (performance.now() - started) / 1000;
                if (message.outputTokens > 0 && seconds > 0) this.lastTokensPerSecond = message.outputTokens / seconds;
                onEvent({
                  type: 'done',
                  inputTokens: message.inputTokens,
                  outputTokens: message.outputTokens,
                  finishReason: message.finishReason,
                });
                resolve();
              } else if (message.op === 'failed') {
                this.#pending.delete(callId);
                reject(workerFailure(message));
              }
            },
            onCrash: reject,
          });
          this.#send(worker, { op: 'generate', callId, modelId, messages, params });
        });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } finally {
      this.generating--;
      this.#release(slot);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.kill('SIGKILL');
      await exited;
    }
    // Whatever was still waiting on it (a deployment's load) fails now rather than never.
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) call.onCrash(crashed('the local runtime is closed'));
    this.#worker = null;
    this.#workerReady = null;
    this.#slots.clear();
  }

  async #acquire(modelId: string, slot: Slot, signal: AbortSignal): Promise<void> {
    slot.lastUsed = performance.now();
    if (slot.active < this.#options.concurrency) {
      slot.active++;
      return;
    }
    if (slot.waiting.length >= this.#options.queue) {
      throw new AppError('RATE_LIMITED', {
        message: 'LOCAL_MODEL_BUSY',
        params: { model: modelId },
        headers: { 'retry-after': '1' },
      });
    }
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = slot.waiting.indexOf(wake);
        if (at !== -1) slot.waiting.splice(at, 1);
        reject(
          new UpstreamError('the call was cancelled while queued', { kind: 'aborted', providerId: `local:${modelId}`, retryable: false }),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      slot.waiting.push(wake);
    });
  }

  #release(slot: Slot): void {
    slot.lastUsed = performance.now();
    const next = slot.waiting.shift();
    // The place passes straight to the next waiter; active stays the same.
    if (next) next();
    else slot.active--;
  }

  /** Unloads idle models, least recently used first, until one more fits. */
  async #makeRoom(): Promise<void> {
    while (this.#slots.size >= this.#options.maxModels) {
      const idle = [...this.#slots.entries()]
        .filter(([, s]) => s.active === 0 && s.waiting.length === 0)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      const victim = idle[0];
      if (!victim) {
        throw new AppError('RATE_LIMITED', { message: 'LOCAL_RUNTIME_FULL', headers: { 'retry-after': '1' } });
      }
      await this.unload(victim[0]);
    }
  }

  async #loadInWorker(modelId: string, spec: LocalModelSpec): Promise<LoadedInfo> {
    const worker = await this.#startWorker();
    const answer = await this.#request(worker, {
      op: 'load',
      callId: randomUUID(),
      modelId,
      path: spec.path,
      contextSize: spec.contextSize,
      threads: this.#options.threads,
      sequences: this.#options.concurrency,
      chatTemplate: spec.chatTemplate,
      gpu: this.#options.gpu,
    });
    return { contextSize: answer.op === 'loaded' ? answer.contextSize : spec.contextSize, loadedAt: new Date() };
  }

  #startWorker(): Promise<ChildProcess> {
    if (this.#closed) return Promise.reject(crashed('the local runtime is closed'));
    if (this.#workerReady) return this.#workerReady;
    const worker = fork(WORKER_PATH, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', execArgv: [] });
    this.#worker = worker;
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.op === 'ready') resolve(worker);
        else this.#pending.get(message.callId)?.onMessage(message);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code, signal) => {
        reject(crashed(`the local runtime exited (${signal ?? code})`));
        this.#onExit(worker, code, signal);
      });
    });
    this.#workerReady = ready;
    return ready;
  }

  #onExit(worker: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#workerReady = null;
    // Its models are gone with it: they load again, in the next worker, on their next call.
    for (const [modelId, slot] of this.#slots) {
      slot.loading = null;
      if (slot.active === 0 && slot.waiting.length === 0) this.#slots.delete(modelId);
    }
    if (!this.#closed) this.restarts++;
    const error = crashed(`the local runtime stopped (${signal ?? `exit code ${code}`})`);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) call.onCrash(error);
  }

  #send(worker: ChildProcess, message: ToWorker): void {
    if (worker.connected) worker.send(message);
  }

  /** One request, one answer (load, unload, count). */
  #request(worker: ChildProcess, message: Exclude<ToWorker, { op: 'generate' | 'abort' }>): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.#pending.set(message.callId, {
        onMessage: (answer) => {
          this.#pending.delete(message.callId);
          if (answer.op === 'failed') reject(workerFailure(answer));
          else resolve(answer);
        },
        onCrash: reject,
      });
      this.#send(worker, message);
    });
  }
}

function crashed(message: string): UpstreamError {
  return new UpstreamError(message, { kind: 'server', providerId: 'local', retryable: false, status: 502 });
}

function workerFailure(message: Extract<FromWorker, { op: 'failed' }>): UpstreamError {
  return new UpstreamError(message.message, { kind: message.kind, providerId: 'local', retryable: false });
}
