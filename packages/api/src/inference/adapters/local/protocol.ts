// The messages between the local runtime's supervisor (runtime.ts, in the API process) and its
// worker process (worker.mjs). Every request carries a callId; its answers carry the same one.

export interface WorkerMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerationParams {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
}

export type ToWorker =
  | {
      op: 'load';
      callId: string;
      modelId: string;
      path: string;
      contextSize: number;
      threads: number;
      sequences: number;
      chatTemplate: string | null;
      gpu: boolean;
    }
  | { op: 'unload'; callId: string; modelId: string }
  | { op: 'generate'; callId: string; modelId: string; messages: WorkerMessage[]; params: GenerationParams }
  | { op: 'count'; callId: string; modelId: string; messages: WorkerMessage[] }
  | { op: 'abort'; callId: string };

export type FromWorker =
  | { op: 'ready'; pid: number }
  | { op: 'loaded'; callId: string; contextSize: number; trainedContextSize: number }
  | { op: 'unloaded'; callId: string }
  | { op: 'started'; callId: string; inputTokens: number }
  /** A piece of the answer and how many generated tokens it came from. */
  | { op: 'text'; callId: string; text: string; tokens: number }
  | { op: 'done'; callId: string; inputTokens: number; outputTokens: number; finishReason: 'stop' | 'length' | 'cancelled' }
  | { op: 'counted'; callId: string; inputTokens: number }
  | { op: 'failed'; callId: string; kind: 'client' | 'server'; message: string };
