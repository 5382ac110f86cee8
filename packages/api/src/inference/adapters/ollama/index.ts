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
import { Readable } from 'node:stream';
import type { ModelFileToDeploy, ProviderAdapter, ProviderTarget } from '../../adapter.js';
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

async function failure(target: ProviderTarget, step: string, response: Response): Promise<UpstreamError> {
  const text = (await response.text().catch(() => '')).slice(0, 300);
  return new UpstreamError(`ollama ${step} answered ${response.status}: ${text}`, {
    kind: response.status >= 500 ? 'server' : 'client',
    providerId: target.providerId,
    retryable: false,
    status: response.status,
  });
}

async function pushBlob(target: ProviderTarget, file: ModelFileToDeploy, signal: AbortSignal): Promise<void> {
  const url = `${root(target)}/api/blobs/sha256:${file.sha256}`;
  const exists = await fetch(url, { method: 'HEAD', headers: headers(target), signal });
  if (exists.ok) return;
  // Streamed from disk: a model file is never held in memory.
  const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
  // `duplex` is Node's (a streamed request body); the DOM's RequestInit, which the dashboard's
  // typecheck of this package sees, does not name it.
  const init: RequestInit & { duplex: 'half' } = {
    method: 'POST',
    headers: { ...headers(target), 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) },
    body,
    duplex: 'half',
    signal,
  };
  const pushed = await fetch(url, init);
  if (!pushed.ok) throw await failure(target, 'blob upload', pushed);
  await pushed.body?.cancel();
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

  async deployModelFile(target, file, { signal }) {
    await pushBlob(target, file, signal);
    const created = await fetch(`${root(target)}/api/create`, {
      method: 'POST',
      headers: { ...headers(target), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: file.name,
        files: { [file.filename]: `sha256:${file.sha256}` },
        parameters: { num_ctx: file.contextSize },
        stream: false,
      }),
      signal,
    });
    if (!created.ok) throw await failure(target, 'create', created);
    const answer = (await created.json().catch(() => null)) as { status?: string; error?: string } | null;
    if (answer?.status !== 'success') {
      throw new UpstreamError(`ollama create did not succeed: ${answer?.error ?? JSON.stringify(answer)}`.slice(0, 300), {
        kind: 'protocol',
        providerId: target.providerId,
        retryable: false,
      });
    }
  },

  async removeModelFile(target, name) {
    await fetch(`${root(target)}/api/delete`, {
      method: 'DELETE',
      headers: { ...headers(target), 'content-type': 'application/json' },
      body: JSON.stringify({ model: name }),
    }).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
  },
};
