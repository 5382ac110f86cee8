// The inference layer's internal request and answer: what every surface translates into, and every
// provider adapter translates out of. It is lossless: a field a provider can use is a field here, and
// a field the internal type cannot carry is a bug in this file, not a reason to drop it.
//
// Shape: modelled on OpenAI Chat Completions (the protocol most upstreams speak), with content
// normalised into ordered typed parts so that Anthropic and Gemini adapters never parse OpenAI's
// data-URL conventions themselves.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
  /** Anthropic prompt-caching hint (`cache_control`), kept so an Anthropic upstream can use it. */
  cacheControl?: { type: 'ephemeral'; ttl?: string };
}

/** An image by URL (http(s)) or inline bytes (base64, with its media type). */
export interface ImagePart {
  type: 'image';
  source: { kind: 'url'; url: string } | { kind: 'base64'; mediaType: string; data: string };
  /** OpenAI's `detail`. */
  detail?: 'auto' | 'low' | 'high';
}

/** Audio input (OpenAI `input_audio`): base64 bytes and their format (wav, mp3, …). */
export interface AudioPart {
  type: 'audio';
  data: string;
  format: string;
}

/** A document: inline base64 bytes, a URL, or a provider file id. */
export interface FilePart {
  type: 'file';
  source: { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string } | { kind: 'file_id'; fileId: string };
  filename?: string;
}

export type ContentPart = TextPart | ImagePart | AudioPart | FilePart;
export type ContentPartType = ContentPart['type'];

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model wrote it (may be invalid JSON). */
  arguments: string;
}

export interface Message {
  role: Role;
  /** null: no content (an assistant turn that only calls tools). A plain string becomes one text part. */
  content: ContentPart[] | null;
  name?: string;
  /** Assistant turns: the tools the model called. */
  toolCalls?: ToolCall[];
  /** Tool turns: the call this result answers. */
  toolCallId?: string;
  /** Assistant turns: a refusal the model gave instead of content. */
  refusal?: string;
  /** Assistant turns: reasoning text some providers return and want back (Anthropic `thinking`). */
  reasoning?: { text: string; signature?: string }[];
}

export interface FunctionTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** How the caller asked the output to be limited, so it reaches the upstream under the same name. */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

export type Operation = 'chat' | 'embeddings' | 'image_generation' | 'image_edit' | 'speech' | 'transcription' | 'video_generation';

/** Inbound wire protocols (surfaces). */
export type SurfaceProtocol = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'app-chat';

export interface ChatRequest {
  messages: Message[];
  tools?: FunctionTool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** The client's own output limit, if it sent one. */
  maxOutputTokens?: number;
  /** Which field the client used for it (OpenAI clients); adapters of the same protocol send it back under that name. */
  maxTokensField?: MaxTokensField;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  /** Number of choices (OpenAI `n`). Adapters that cannot do n > 1 refuse it with a 400. */
  n?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** OpenAI `response_format` ({type:'json_object'} or {type:'json_schema', json_schema}). */
  responseFormat?: { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; json_schema: Record<string, unknown> };
  logprobs?: boolean;
  topLogprobs?: number;
  reasoningEffort?: string;
  user?: string;
  metadata?: Record<string, string>;
  /**
   * Fields of the client's protocol with no internal equivalent (e.g. OpenAI `logit_bias`,
   * `service_tier`, `prediction`; Anthropic `thinking`). Forwarded untouched only to an adapter
   * that speaks `protocol`; any other adapter ignores them (they are hints, not content).
   */
  extra?: { protocol: SurfaceProtocol; fields: Record<string, unknown> };
}

/**
 * A chat call as the engine hands it to an adapter: the internal request plus what the platform
 * decided (the upstream model name, the output cap that makes the reservation hold).
 */
export interface AdapterChatRequest {
  request: ChatRequest;
  /** Model name sent upstream. */
  upstreamModel: string;
  /** The cap the platform reserved for; adapters always send a limit of at most this. */
  maxOutputTokens: number;
  /** The model's default parameters (temperature, top_p, …) in OpenAI field names, under the request's own. */
  defaults: Record<string, unknown>;
  stream: boolean;
  /**
   * The client's body, when it came in OpenAI Chat Completions shape: an openai-compatible adapter may
   * forward it with minimal edits (model, limit, stream_options) instead of rebuilding it.
   */
  openAiBody?: Record<string, unknown>;
  /** The JSON text `openAiBody` was parsed from, if kept: an exact edit of it spares re-serialising the body. */
  openAiBodyText?: string;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

/** Token usage in the platform's terms; every protocol's fields map into it. */
export interface Usage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  /** Output tokens, reasoning tokens included. */
  outputTokens: number;
  /** Of inputTokens, read from a prompt cache (OpenAI cached_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount). */
  cachedInputTokens: number;
  /** Of inputTokens, written to a prompt cache (Anthropic cache_creation_input_tokens). */
  cacheWriteInputTokens: number;
  /** Of outputTokens, spent reasoning. */
  reasoningTokens: number;
}

export interface ChatChoice {
  index: number;
  /** Text of the answer ('' when none). */
  text: string;
  toolCalls: ToolCall[];
  refusal?: string;
  reasoning?: { text: string; signature?: string }[];
  finishReason: FinishReason | null;
  /** OpenAI logprobs object, passed through when present. */
  logprobs?: unknown;
}

export interface ChatResult {
  /** Upstream's id for the answer (surfaces may make their own). */
  id: string;
  created: number;
  choices: ChatChoice[];
  /** null when the upstream reported none (the engine then counts). */
  usage: Usage | null;
  /** The upstream's own chat.completion when it is OpenAI-compatible, parsed and as the text it sent. */
  openAi?: { body: Record<string, unknown>; text?: string };
}

/**
 * One event of a streamed answer. `index` is the choice index (0 unless n > 1). Tool calls arrive as
 * a start (id and name) then argument fragments, in order, per tool call index; an adapter whose
 * protocol sends a whole call at once (Gemini) emits a start then one delta with all arguments.
 */
export type StreamEvent =
  | { type: 'text'; index: number; text: string }
  | { type: 'reasoning'; index: number; text: string; signature?: string }
  | { type: 'refusal'; index: number; text: string }
  | { type: 'tool-call-start'; index: number; toolIndex: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; toolIndex: number; arguments: string }
  | { type: 'finish'; index: number; reason: FinishReason }
  | { type: 'usage'; usage: Usage };

/** Where an OpenAI stream passed through to an OpenAI Chat surface goes (the same-protocol fast path). */
export interface OpenAiChunkSink {
  /** Gets each chunk passed on as one framed SSE event (`data: …\n\n`). */
  write(event: string): void;
  /** The chunk's JSON text as the client sees it (the upstream's model name replaced). */
  rename(json: string): string;
  /** The client asked for the usage-only chunk (the upstream is always asked for it, for billing). */
  includeUsage: boolean;
}

/**
 * A live upstream stream, opened once the upstream accepted the request (headers received).
 * Iterate once. Breaking out of the loop releases the upstream connection.
 */
export interface AdapterStream extends AsyncIterable<StreamEvent> {
  /** True once the provider's natural end was seen. */
  readonly completed: boolean;
  /** Usage reported by the provider, or null. */
  readonly usage: Usage | null;
  /** Text and tool-call argument text delivered so far, for billing a cut stream by what was delivered. */
  readonly deliveredText: string;
  /**
   * Usage of what was delivered so far, from an adapter that counts exactly (the local runtime's own
   * tokenizer): a cut stream is billed by it instead of by counting deliveredText.
   */
  readonly deliveredUsage?: Usage | null;
  cancel(): void;
  /**
   * An OpenAI-protocol stream: writes its chunks to `sink` as the upstream's own text instead of
   * being iterated (then it yields no events), reading only what billing needs. Resolves at the
   * stream's end (`completed`, `usage` and `deliveredText` are then set as iterating would set
   * them); rejects like iterating does.
   */
  passThrough?(sink: OpenAiChunkSink): Promise<void>;
}

/** An embeddings call (OpenAI `/v1/embeddings`): texts in, one vector per text out, in order. */
export interface EmbeddingsRequest {
  /** One or more non-empty texts. */
  inputs: string[];
  /** The vector length asked for (models that support shortening); the provider's default when absent. */
  dimensions?: number;
  user?: string;
}

/** An embeddings call as the engine hands it to an adapter. */
export interface AdapterEmbeddingsRequest {
  request: EmbeddingsRequest;
  /** Model name sent upstream. */
  upstreamModel: string;
}

export interface EmbeddingsResult {
  /** One vector per input, in the inputs' order. */
  vectors: number[][];
  /** Input tokens as the provider counted them; null when it reported none (the engine then counts). */
  usage: { inputTokens: number } | null;
}
