import { sendDemoEcho, streamDemoEcho } from './demo-echo.js';
import { sendChatCompletion, streamChatCompletion } from './openai-compatible.js';
import type { ChatCompletionRequest, UpstreamCallOptions, UpstreamCompletion, UpstreamStream, UpstreamTarget } from './types.js';

export * from './types.js';
export { closeUpstreamPools, listUpstreamModels, sendChatCompletion, streamChatCompletion } from './openai-compatible.js';
export { DEMO_ECHO_SUFFIX, demoEchoReply, sendDemoEcho, streamDemoEcho } from './demo-echo.js';
export {
  countsAgainstProvider,
  orderTargets,
  ProviderCooldowns,
  providerCooldowns,
  withFailover,
  type CooldownOptions,
  type CooldownState,
  type FailedAttempt,
  type FailoverOptions,
  type FailoverResult,
} from './failover.js';
export { countPromptTokens, countTextTokens } from './token-count.js';

export interface DispatchOptions extends UpstreamCallOptions {
  stream?: boolean;
}

/**
 * One entry point for every provider kind, so the chat service never branches
 * on `target.kind`. With `stream: true` it resolves once the upstream has
 * accepted the request (headers received), before any token is read.
 */
export function dispatchChat(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: UpstreamCallOptions & { stream: true },
): Promise<UpstreamStream>;
export function dispatchChat(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options?: UpstreamCallOptions & { stream?: false },
): Promise<UpstreamCompletion>;
export function dispatchChat(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options?: DispatchOptions,
): Promise<UpstreamStream | UpstreamCompletion>;
export function dispatchChat(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: DispatchOptions = {},
): Promise<UpstreamStream | UpstreamCompletion> {
  switch (target.kind) {
    case 'openai-compatible':
      return options.stream === true ? streamChatCompletion(target, request, options) : sendChatCompletion(target, request, options);
    case 'demo-echo':
      return options.stream === true ? streamDemoEcho(target, request, options) : sendDemoEcho(target, request, options);
    default: {
      const unknownKind: never = target.kind;
      return Promise.reject(new Error(`unknown upstream kind: ${String(unknownKind)}`));
    }
  }
}
