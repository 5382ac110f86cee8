// Every wire format's error rendering, side by side. Each takes the one DescribedError that
// `describeError` (packages/api core/errors.ts) made of whatever was thrown; none converts again.
export { type AnthropicErrorBody, type AnthropicErrorType, renderAnthropicError } from './anthropic.js';
export { renderChatStreamError } from './chat-stream.js';
export { protocolLocale } from './locale.js';
export { type McpErrorBody, renderMcpError, sendMcpError } from './mcp.js';
export { type OpenAiErrorBody, renderOpenAiError, renderOpenAiUnknownEndpoint } from './openai.js';
export { errorHeaders, newRequestId, REQUEST_ID_HEADER, type RenderedError } from './rendered.js';
export { type Envelope, renderRestError } from './rest.js';
export { answerClientError, sendAnthropicError, sendOpenAiError, sendRendered, sendRestError } from './send.js';
