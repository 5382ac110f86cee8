import type { AdapterContext, HttpRequest, ProviderAdapter, ProviderTarget, SseResponse } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import { buildOpenAiChatBody, chatResultFromOpenAi, OpenAiChunkReader } from '../../protocols/openai-chat.js';
import { openAiRequestText } from '../../protocols/openai-chat-text.js';
import { protocolError, transportError, upstreamErrorMessage } from '../../transport/index.js';
import type { AdapterChatRequest, AdapterStream, ChatResult, OpenAiChunkSink, StreamEvent, Usage } from '../../types.js';
import { openAiSpeak, openAiTranscribe } from './audio.js';
import { embeddingsFromOpenAi, openAiEmbeddingsBody } from './embeddings.js';
import { estimateOpenAiInputTokens } from './estimate.js';
import { editOpenAiImages, generateOpenAiImages } from './images.js';
import { OpenAiChunkPass } from './pass-through.js';
import { generateOpenAiVideo } from './videos.js';

// Any server that speaks OpenAI Chat Completions at `<base URL>/chat/completions` (and embeddings at
// `<base URL>/embeddings`) with Bearer auth.
// A client's OpenAI body is forwarded with minimal edits, and stream chunks pass through as text.

interface Endpoint {
  url: string;
  embeddingsUrl: string;
  jsonHeaders: Record<string, string>;
  sseHeaders: Record<string, string>;
  baseUrl: string;
  apiKey: string | null;
}

// Derived from a target object (which lives in its platform's resolver cache), so a WeakMap keyed
// by it shares nothing across platforms; rebuilt when the target's fields changed.
const endpoints = new WeakMap<ProviderTarget, Endpoint>();

function endpointFor(target: ProviderTarget): Endpoint {
  const cached = endpoints.get(target);
  if (cached && cached.baseUrl === target.baseUrl && cached.apiKey === target.apiKey) return cached;
  let url: URL;
  try {
    url = new URL(target.baseUrl);
  } catch (cause) {
    throw new UpstreamError(`invalid base URL for provider ${target.name}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
      cause,
    });
  }
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const jsonHeaders: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const sseHeaders: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (target.apiKey !== null && target.apiKey !== '') {
    jsonHeaders.authorization = `Bearer ${target.apiKey}`;
    sseHeaders.authorization = jsonHeaders.authorization;
  }
  // Keep the query string: some OpenAI-compatible hosts version their API with it.
  const endpoint = {
    url: `${url.origin}${basePath}/chat/completions${url.search}`,
    embeddingsUrl: `${url.origin}${basePath}/embeddings${url.search}`,
    jsonHeaders,
    sseHeaders,
    baseUrl: target.baseUrl,
    apiKey: target.apiKey,
  };
  endpoints.set(target, endpoint);
  return endpoint;
}

function request(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext, stream: boolean): HttpRequest {
  const endpoint = endpointFor(target);
  const asked = call.stream === stream ? call : { ...call, stream };
  const noLimitField = target.options.maxTokensField ?? 'max_tokens';
  return {
    url: endpoint.url,
    headers: stream ? endpoint.sseHeaders : endpoint.jsonHeaders,
    // The client's own text with the few edits needed when they can be made exactly on it.
    body: openAiRequestText(asked, noLimitField) ?? JSON.stringify(buildOpenAiChatBody(asked, noLimitField)),
    signal: context.signal,
  };
}

export const openAiCompatibleAdapter: ProviderAdapter = {
  kind: 'openai-compatible',
  operations: ['chat', 'embeddings', 'image_generation', 'image_edit', 'speech', 'transcription', 'video_generation'],
  acceptedParts: ['text', 'image', 'audio', 'file'],
  supportsTools: true,
  requiresApiKey: false,
  estimateInputTokens: estimateOpenAiInputTokens,

  async chat(target, call, context): Promise<ChatResult> {
    const res = await context.transport.request(target, request(target, call, context, false));
    const text = res.body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw protocolError(target, 'response body is not valid JSON', true);
    }
    const result = chatResultFromOpenAi(json);
    if (!result) throw protocolError(target, 'response is not a chat.completion object', true);
    // Kept so an OpenAI surface can answer with the upstream's own text (openAiCompletionText).
    result.openAi!.text = text;
    return result;
  },

  async streamChat(target, call, context): Promise<AdapterStream> {
    const sse = await context.transport.openSse(target, request(target, call, context, true));
    return new OpenAiStream(target, sse, context.signal);
  },

  async embed(target, call, context) {
    const endpoint = endpointFor(target);
    const res = await context.transport.request(target, {
      url: endpoint.embeddingsUrl,
      headers: endpoint.jsonHeaders,
      body: JSON.stringify(openAiEmbeddingsBody(call)),
      signal: context.signal,
    });
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw protocolError(target, 'embeddings body is not valid JSON', true);
    }
    const result = embeddingsFromOpenAi(json, call.request.inputs.length);
    if (!result) throw protocolError(target, 'response is not an embeddings list', true);
    return result;
  },

  generateImages: (target, call, context) => generateOpenAiImages(endpointFor(target), target, call, context),
  editImages: (target, call, context) => editOpenAiImages(endpointFor(target), target, call, context),
  speak: (target, call, context) => openAiSpeak(endpointFor(target), target, call, context),
  transcribe: (target, call, context) => openAiTranscribe(endpointFor(target), target, call, context),
  generateVideo: generateOpenAiVideo,
};

/** Model ids the upstream advertises at GET <base>/models, e.g. for a provider health check. */
export async function listOpenAiModels(target: ProviderTarget, context: AdapterContext): Promise<string[]> {
  const endpoint = endpointFor(target);
  const res = await context.transport.request(target, {
    url: endpoint.url.replace('/chat/completions', '/models'),
    method: 'GET',
    headers: endpoint.jsonHeaders,
    signal: context.signal,
  });
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw protocolError(target, 'model list is not valid JSON', true);
  }
  const data = typeof json === 'object' && json !== null && 'data' in json ? json.data : undefined;
  if (!Array.isArray(data)) throw protocolError(target, 'model list has no data array', true);
  return data.flatMap((model: unknown) =>
    typeof model === 'object' && model !== null && 'id' in model && typeof model.id === 'string' ? [model.id] : [],
  );
}

/** An OpenAI SSE answer: iterated as the internal events read from its chunks, or passed through to an OpenAI surface. */
class OpenAiStream implements AdapterStream {
  completed = false;
  readonly #reader = new OpenAiChunkReader();
  #pass: OpenAiChunkPass | null = null;
  readonly #target: ProviderTarget;
  readonly #sse: SseResponse;
  readonly #signal: AbortSignal;
  #started = false;
  #yielded = 0;

  constructor(target: ProviderTarget, sse: SseResponse, signal: AbortSignal) {
    this.#target = target;
    this.#sse = sse;
    this.#signal = signal;
  }

  get usage(): Usage | null {
    return this.#pass ? this.#pass.usage : this.#reader.usage;
  }

  get deliveredText(): string {
    return this.#pass ? this.#pass.deliveredText : this.#reader.deliveredText;
  }

  async passThrough(sink: OpenAiChunkSink): Promise<void> {
    if (this.#started) throw new Error('an AdapterStream can only be read once');
    this.#started = true;
    const pass = (this.#pass = new OpenAiChunkPass(this.#target, sink));
    let sawDone: boolean;
    try {
      // Pushed, not iterated: no promise per network read.
      sawDone = await this.#sse.pump((text) => pass.feed(text));
    } catch (err) {
      throw transportError(err, this.#target, this.#signal, pass.passed === 0, pass.deliveredText);
    }
    // Some OpenAI-compatible servers omit [DONE]: a body that ended after a finish is complete.
    if (sawDone || pass.finished) {
      this.completed = true;
      return;
    }
    throw protocolError(this.#target, 'stream ended before [DONE]', pass.passed === 0, pass.deliveredText);
  }

  cancel(): void {
    this.#sse.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    if (this.#started) throw new Error('an AdapterStream can only be iterated once');
    this.#started = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<StreamEvent, void, undefined> {
    const events: StreamEvent[] = [];
    try {
      for await (const message of this.#sse) {
        const data = message.data;
        if (data === '[DONE]') {
          this.completed = true;
          break;
        }
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw protocolError(this.#target, 'stream carried an event that is not JSON', this.#yielded === 0, this.deliveredText);
        }
        if (typeof json !== 'object' || json === null || Array.isArray(json)) continue;
        const chunk = json as Record<string, unknown>;
        if (chunk.error !== undefined) {
          // Providers report failures after a 200 as an `error` event in the stream.
          const { message: text, code } = upstreamErrorMessage(data, 200);
          throw new UpstreamError(text, {
            kind: 'server',
            providerId: this.#target.providerId,
            retryable: this.#yielded === 0,
            code,
            contentSoFar: this.deliveredText,
          });
        }
        if (message.event === 'error') {
          throw protocolError(this.#target, `stream error event: ${data.slice(0, 200)}`, this.#yielded === 0, this.deliveredText);
        }
        // Keep-alive pings some servers send are not chunks.
        if (!Array.isArray(chunk.choices)) continue;
        this.#yielded++;
        events.length = 0;
        this.#reader.read(chunk, events);
        for (const event of events) yield event;
      }
    } catch (err) {
      this.#sse.cancel();
      throw transportError(err, this.#target, this.#signal, this.#yielded === 0, this.deliveredText);
    } finally {
      // A consumer that stopped early: stop the upstream generating tokens nobody will read.
      if (!this.completed && !this.#reader.finished) this.#sse.cancel();
    }
    if (!this.completed) {
      // The body ended without [DONE]: accept it if the model said it had finished (some
      // OpenAI-compatible servers omit [DONE]).
      if (this.#reader.finished) {
        this.completed = true;
        return;
      }
      throw protocolError(this.#target, 'stream ended before [DONE]', this.#yielded === 0, this.deliveredText);
    }
  }
}
