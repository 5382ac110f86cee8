// Provider kind `anthropic`: the Messages API (https://docs.anthropic.com/en/api/messages).
//
// Base URL rule: the stored base URL is the API's origin WITHOUT `/v1`, as Anthropic's SDKs take it
// (ANTHROPIC_BASE_URL=https://api.anthropic.com); the adapter appends `/v1/messages`. A base that
// already ends in `/v1` is tolerated (only `/messages` is appended), so either spelling works.
import type { AdapterContext, HttpRequest, ProviderAdapter, ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import type { AdapterChatRequest, AdapterStream, ChatResult, StreamEvent, Usage } from '../../types.js';
import { estimateAnthropicInputTokens } from './estimate.js';
import { toAnthropicRequest } from './request.js';
import { fromAnthropicMessage, isMessageResponse } from './response.js';
import { AnthropicStreamError, AnthropicStreamTranslator } from './stream.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';

/** `{base}/v1/messages`, keeping the base's query string. */
export function anthropicMessagesUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/v1') ? `${path}/messages` : `${path}/v1/messages`;
  return url.toString();
}

export function anthropicHeaders(target: ProviderTarget, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': target.options.anthropicVersion ?? ANTHROPIC_DEFAULT_VERSION,
  };
  if (target.apiKey) headers['x-api-key'] = target.apiKey;
  return headers;
}

function httpRequest(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext): HttpRequest {
  let url: string;
  try {
    url = anthropicMessagesUrl(target.baseUrl);
  } catch (cause) {
    throw new UpstreamError(`invalid base URL for provider ${target.name}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
      cause,
    });
  }
  return {
    url,
    method: 'POST',
    headers: anthropicHeaders(target, call.stream),
    body: JSON.stringify(toAnthropicRequest(call)),
    signal: context.signal,
  };
}

/** Anthropic's in-stream error types that mean "try again later", as its HTTP 429/529 would. */
const RETRY_LATER_ERRORS = new Set(['overloaded_error', 'rate_limit_error', 'api_error']);

function streamFailure(target: ProviderTarget, error: AnthropicStreamError, delivered: string): UpstreamError {
  return new UpstreamError(`${target.name}: ${error.message}`, {
    kind: error.errorType === 'protocol_error' ? 'protocol' : RETRY_LATER_ERRORS.has(error.errorType) ? 'server' : 'client',
    providerId: target.providerId,
    // Events may already have reached the client: the same request must not be sent again.
    retryable: false,
    code: error.errorType,
    contentSoFar: delivered,
  });
}

class AnthropicAdapterStream implements AdapterStream {
  readonly #translator = new AnthropicStreamTranslator();
  readonly #target: ProviderTarget;
  readonly #sse: Awaited<ReturnType<AdapterContext['transport']['openSse']>>;

  constructor(target: ProviderTarget, sse: Awaited<ReturnType<AdapterContext['transport']['openSse']>>) {
    this.#target = target;
    this.#sse = sse;
  }

  get completed(): boolean {
    return this.#translator.completed;
  }

  get usage(): Usage | null {
    return this.#translator.usage;
  }

  get deliveredText(): string {
    return this.#translator.deliveredText;
  }

  cancel(): void {
    this.#sse.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    const translator = this.#translator;
    try {
      for await (const message of this.#sse) {
        let events: StreamEvent[];
        try {
          events = translator.accept(message.event, message.data);
        } catch (error) {
          if (error instanceof AnthropicStreamError) throw streamFailure(this.#target, error, translator.deliveredText);
          throw error;
        }
        for (const event of events) yield event;
        if (translator.completed) return;
      }
      if (!translator.completed) {
        throw new UpstreamError(`${this.#target.name}: the stream ended before message_stop`, {
          kind: 'protocol',
          providerId: this.#target.providerId,
          retryable: false,
          contentSoFar: translator.deliveredText,
        });
      }
    } finally {
      // After message_stop the SSE body drains its last bytes and keeps the socket; only a stream
      // that did not finish is cut.
      if (!translator.completed) this.#sse.cancel();
    }
  }
}

export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',
  operations: ['chat'],
  acceptedParts: ['text', 'image', 'file'],
  supportsTools: true,
  defaultBaseUrl: ANTHROPIC_DEFAULT_BASE_URL,
  requiresApiKey: true,
  estimateInputTokens: estimateAnthropicInputTokens,

  async chat(target, call, context): Promise<ChatResult> {
    const response = await context.transport.request(target, httpRequest(target, { ...call, stream: false }, context));
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch (cause) {
      throw new UpstreamError(`${target.name}: the answer is not JSON`, {
        kind: 'protocol',
        providerId: target.providerId,
        retryable: true,
        cause,
      });
    }
    if (!isMessageResponse(body)) {
      throw new UpstreamError(`${target.name}: the answer is not a Messages API message`, {
        kind: 'protocol',
        providerId: target.providerId,
        retryable: true,
      });
    }
    return fromAnthropicMessage(body);
  },

  async streamChat(target, call, context): Promise<AdapterStream> {
    const sse = await context.transport.openSse(target, httpRequest(target, { ...call, stream: true }, context));
    return new AnthropicAdapterStream(target, sse);
  },
};
