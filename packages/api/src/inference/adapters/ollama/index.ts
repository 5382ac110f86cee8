// Provider kind `ollama` (issue 15 part 4): an external engine for uploaded model files. The
// platform pushes the GGUF file to the Ollama server (`POST /api/blobs/sha256:<digest>`, then
// `POST /api/create` with `files`), then calls the model on Ollama's OpenAI-compatible endpoint
// (`<base>/v1`), so chat and embeddings are the openai-compatible adapter's. The provider's base
// URL is the Ollama server's root (e.g. http://127.0.0.1:11434).
//
// vLLM, the next engine, would implement the same two methods: start (or ask an operator to start)
// `vllm serve <path> --served-model-name <name>` for a whole model, or `POST /v1/load_lora_adapter`
// {lora_name, lora_path} for an adapter on a running server, both reading the file by path; its
// calls are already openai-compatible.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import type { EngineContext, ModelFileToDeploy, ProviderAdapter, ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import { openAiCompatibleAdapter } from '../openai-compatible/index.js';

function root(target: ProviderTarget): string {
  return target.baseUrl.replace(/\/+$/, '');
}

/** The same provider seen as an OpenAI-compatible one, at `<base>/v1`. */
function openAiTarget(target: ProviderTarget): ProviderTarget {
  return { ...target, baseUrl: `${root(target)}/v1` };
}

function headers(target: ProviderTarget): Record<string, string> {
  return target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
}

interface EngineAnswer {
  status: number;
  text: string;
}

/**
 * One call to the engine's own API through the platform's guarded dispatcher (its connections go
 * through the connect-time address guard, as every upstream's do); undici's `request` never follows
 * a redirect. The answer is read whole: these answers are small.
 */
async function engineCall(
  dispatcher: Dispatcher,
  url: string,
  init: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body?: string | Readable; signal?: AbortSignal },
): Promise<EngineAnswer> {
  const answer = await request(url, { dispatcher, ...init });
  return { status: answer.statusCode, text: await answer.body.text() };
}

function failure(target: ProviderTarget, step: string, answer: EngineAnswer): UpstreamError {
  return new UpstreamError(`ollama ${step} answered ${answer.status}: ${answer.text.slice(0, 300)}`, {
    kind: answer.status >= 500 ? 'server' : 'client',
    providerId: target.providerId,
    retryable: false,
    status: answer.status,
  });
}

const ok = (answer: EngineAnswer) => answer.status >= 200 && answer.status < 300;

async function pushBlob(target: ProviderTarget, file: ModelFileToDeploy, context: EngineContext & { signal: AbortSignal }): Promise<void> {
  const url = `${root(target)}/api/blobs/sha256:${file.sha256}`;
  const exists = await engineCall(context.dispatcher, url, { method: 'HEAD', headers: headers(target), signal: context.signal });
  if (ok(exists)) return;
  // Streamed from disk: a model file is never held in memory.
  const pushed = await engineCall(context.dispatcher, url, {
    method: 'POST',
    headers: { ...headers(target), 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) },
    body: createReadStream(file.path),
    signal: context.signal,
  });
  if (!ok(pushed)) throw failure(target, 'blob upload', pushed);
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export const ollamaAdapter: ProviderAdapter = {
  ...openAiCompatibleAdapter,
  kind: 'ollama',
  operations: ['chat', 'embeddings'],
  requiresApiKey: false,
  defaultBaseUrl: undefined,
  chat: (target, call, context) => openAiCompatibleAdapter.chat(openAiTarget(target), call, context),
  streamChat: (target, call, context) => openAiCompatibleAdapter.streamChat(openAiTarget(target), call, context),
  embed: (target, call, context) => openAiCompatibleAdapter.embed!(openAiTarget(target), call, context),

  async deployModelFile(target, file, context) {
    await pushBlob(target, file, context);
    const created = await engineCall(context.dispatcher, `${root(target)}/api/create`, {
      method: 'POST',
      headers: { ...headers(target), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: file.name,
        files: { [file.filename]: `sha256:${file.sha256}` },
        parameters: { num_ctx: file.contextSize },
        stream: false,
      }),
      signal: context.signal,
    });
    if (!ok(created)) throw failure(target, 'create', created);
    const answer = parsed(created.text) as { status?: string; error?: string } | null;
    if (answer?.status !== 'success') {
      throw new UpstreamError(`ollama create did not succeed: ${answer?.error ?? JSON.stringify(answer)}`.slice(0, 300), {
        kind: 'protocol',
        providerId: target.providerId,
        retryable: false,
      });
    }
  },

  async removeModelFile(target, name, context) {
    await engineCall(context.dispatcher, `${root(target)}/api/delete`, {
      method: 'DELETE',
      headers: { ...headers(target), 'content-type': 'application/json' },
      body: JSON.stringify({ model: name }),
    }).catch(() => undefined);
  },
};
