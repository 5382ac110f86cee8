import type { Dispatcher } from 'undici';
// What every provider kind implements, and the shared HTTP transport they all sit on. One folder
// per kind under adapters/, registered in adapters/index.ts; nothing else branches on a kind.
import type {
  AdapterChatRequest,
  AdapterEmbeddingsRequest,
  AdapterStream,
  ChatRequest,
  ChatResult,
  ContentPartType,
  EmbeddingsResult,
  MaxTokensField,
  Operation,
} from './types.js';
import type {
  AdapterMediaCall,
  ImageEditRequest,
  ImageGenerationRequest,
  ImagesResult,
  ProgressReporter,
  SpeechRequest,
  SpeechResult,
  TranscriptionRequest,
  TranscriptionResult,
  VideoGenerationRequest,
  VideoResult,
} from './media-types.js';

export interface UpstreamTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From request sent to response headers received. */
  firstByteMs: number;
  /** Longest silence allowed between two body chunks. */
  idleMs: number;
}

/** One route of a model to one provider, resolved (API key decrypted) and cached by the engine. */
export interface ProviderTarget {
  providerId: string;
  name: string;
  kind: string;
  /** As stored; adapters apply their own base-URL rules (adapter.resolveUrl). */
  baseUrl: string;
  apiKey: string | null;
  /** Model name sent upstream. */
  upstreamModel: string;
  timeouts: UpstreamTimeouts;
  /** Lower is tried first. */
  priority: number;
  /** Relative share among targets of equal priority. */
  weight: number;
  /** Kind-specific settings stored on the provider (e.g. which output-limit field an OpenAI-compatible server wants). */
  options: ProviderOptions;
}

export interface ProviderOptions {
  /** OpenAI-compatible only: the field used when the client sent no limit (default max_tokens; reasoning models want max_completion_tokens). */
  maxTokensField?: MaxTokensField;
  /** Anthropic only: the `anthropic-version` header (default 2023-06-01). */
  anthropicVersion?: string;
}

export interface HttpRequest {
  /** Absolute URL (built by the adapter from the target's base URL). */
  url: string;
  method?: 'POST' | 'GET' | 'DELETE';
  headers: Record<string, string>;
  /** JSON text (or bytes) to send. */
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

export interface BufferedHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body, capped by the transport (an oversized body is an UpstreamError of kind 'protocol'). */
  body: Buffer;
}

/** One server-sent event as the upstream framed it. */
export interface SseMessage {
  event: string | undefined;
  data: string;
}

export interface SseResponse extends AsyncIterable<SseMessage> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Stop reading and release the connection; safe to call more than once. */
  cancel(): void;
  /**
   * Reads the body pushed, network read by network read, instead of iterating it (a pass-through
   * that needs no events): `onText` returns false at the protocol's end. Resolves true if it was
   * seen, false if the body ended first.
   */
  pump(onText: (text: string) => boolean): Promise<boolean>;
}

/**
 * Pools, timeouts, size caps and abort, shared by every adapter and owned by the platform (two
 * platforms in one process share no pool). Non-2xx answers are thrown as UpstreamError with a
 * bounded, sanitised message; connect failures, timeouts and aborts likewise.
 */
export interface HttpTransport {
  request(target: ProviderTarget, request: HttpRequest): Promise<BufferedHttpResponse>;
  /** Resolves once the response headers arrived with a 2xx; the body is read as SSE. */
  openSse(target: ProviderTarget, request: HttpRequest): Promise<SseResponse>;
  close(options?: { force?: boolean }): Promise<void>;
}

/** What an engine's own API calls go through: the platform's guarded dispatcher (connect-time address guard). */
export interface EngineContext {
  dispatcher: Dispatcher;
}

export interface AdapterContext {
  transport: HttpTransport;
  signal: AbortSignal;
  requestId: string;
}

/** A model file handed to an external engine (issue 15 part 4): where it is, and the name to serve it under. */
export interface ModelFileToDeploy {
  /** A path on this machine to read the bytes from. */
  path: string;
  sha256: string;
  bytes: number;
  filename: string;
  /** The engine's model name; calls go to it as the upstream model. */
  name: string;
  contextSize: number;
}

export interface ProviderAdapter {
  readonly kind: string;
  /** Operations this kind can serve. */
  readonly operations: readonly Operation[];
  /** Message part types it accepts; the engine refuses any other with a 400 naming the part. */
  readonly acceptedParts: readonly ContentPartType[];
  /** Whether it takes tool definitions and tool turns. */
  readonly supportsTools: boolean;
  /** Base URL used when a provider of this kind is created without one, if any. */
  readonly defaultBaseUrl?: string;
  /** Whether a provider of this kind needs an API key. */
  readonly requiresApiKey: boolean;
  /**
   * Input tokens this provider will count for the request, never fewer than it really counts
   * (the reservation is made from this; a provider whose tokenizer counts more must say so here).
   */
  estimateInputTokens(request: ChatRequest): number;
  /**
   * The exact input tokens, when counting needs the provider itself (the local runtime tokenizes
   * with the model's own vocabulary and chat template): the reservation is made from it instead.
   */
  countInputTokens?(target: ProviderTarget, request: ChatRequest): Promise<number>;
  chat(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext): Promise<ChatResult>;
  /**
   * Engines that serve uploaded model files (ollama; vLLM next): push the file and make it servable
   * under `file.name`. Present only on such kinds; an admin picks one as a model's deployment runtime.
   */
  deployModelFile?(target: ProviderTarget, file: ModelFileToDeploy, context: EngineContext & { signal: AbortSignal }): Promise<void>;
  /** Removes what deployModelFile made (best effort). */
  removeModelFile?(target: ProviderTarget, name: string, context: EngineContext): Promise<void>;
  /** Resolves once the upstream accepted the request (headers received), before any token is read. */
  streamChat(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext): Promise<AdapterStream>;
  /** Operation `embeddings` (issue 14): present exactly when `operations` includes it. */
  embed?(target: ProviderTarget, call: AdapterEmbeddingsRequest, context: AdapterContext): Promise<EmbeddingsResult>;
  // The media operations (issue 14); each present exactly when `operations` includes it.
  generateImages?(target: ProviderTarget, call: AdapterMediaCall<ImageGenerationRequest>, context: AdapterContext): Promise<ImagesResult>;
  editImages?(target: ProviderTarget, call: AdapterMediaCall<ImageEditRequest>, context: AdapterContext): Promise<ImagesResult>;
  speak?(target: ProviderTarget, call: AdapterMediaCall<SpeechRequest>, context: AdapterContext): Promise<SpeechResult>;
  transcribe?(target: ProviderTarget, call: AdapterMediaCall<TranscriptionRequest>, context: AdapterContext): Promise<TranscriptionResult>;
  /** A video job: may take minutes; reports progress as it goes. */
  generateVideo?(
    target: ProviderTarget,
    call: AdapterMediaCall<VideoGenerationRequest>,
    context: AdapterContext & { onProgress: ProgressReporter },
  ): Promise<VideoResult>;
}
