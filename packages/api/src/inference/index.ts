// The inference layer's public face: what surfaces and the host use.
export type * from './types.js';
export type {
  AdapterContext,
  BufferedHttpResponse,
  HttpRequest,
  HttpTransport,
  ProviderAdapter,
  ProviderOptions,
  ProviderTarget,
  SseMessage,
  SseResponse,
  UpstreamTimeouts,
} from './adapter.js';
export { ADAPTERS, adapterFor, PROVIDER_KINDS, type ProviderKind } from './adapters/index.js';
export {
  type CallOutcome,
  type CallStatus,
  type ChatCallInput,
  completeChatCall,
  costOf,
  type PreparedChatCall,
  resolveForCall,
  prepareChatCall,
  streamChatCall,
  type StreamingChatCall,
  upstreamFailure,
} from './engine.js';
export { completeEmbeddingsCall, type EmbeddingsCallInput, type PreparedEmbeddingsCall, prepareEmbeddingsCall } from './embeddings.js';
export { UpstreamError, type UpstreamErrorKind } from './errors.js';
export { callImages, type DeliveredImage, type ImageCall, type ImagesCallResult, MAX_IMAGES_PER_CALL } from './images.js';
export { callSpeech, SPEECH_MAX_INPUT_CHARACTERS, speakToFile, type SpokenFile, speechWorstCaseMs } from './speech.js';
export { callTranscription, transcriptionWorstCaseMs } from './transcription.js';
export type * from './media-types.js';
export {
  billedOutcome,
  type OperationBill,
  type OperationCallInput,
  type OperationSteps,
  type PreparedOperationCall,
  prepareOperationCall,
  runOperationCall,
} from './operation-call.js';
export { assertQuantity, type BilledUnits, imagePrice, largestImagePrice, unitsCost, unitsJson } from './units.js';
export { countsAgainstProvider, orderTargets, ProviderCooldowns, withFailover } from './failover.js';
export { Inference } from './inference.js';
export { countPromptTokens, countTextTokens, messageText, truncateToTokens } from './token-count.js';
export {
  buildOpenAiChatBody,
  chatResultFromOpenAi,
  OpenAiChunkReader,
  OpenAiChunkWriter,
  type OpenAiChatCall,
  parseOpenAiChatRequest,
  readOpenAiUsage,
  toOpenAiCompletion,
  toOpenAiMessage,
  toOpenAiUsage,
} from './protocols/openai-chat.js';
export { openAiCompletionText, openAiRequestText, replaceTopLevelModel } from './protocols/openai-chat-text.js';
export {
  type EmbeddingEncoding,
  embeddingToBase64,
  type OpenAiEmbeddingsCall,
  parseOpenAiEmbeddingsRequest,
  toOpenAiEmbeddings,
} from './protocols/openai-embeddings.js';
export {
  type OpenAiCompletionsCall,
  parseOpenAiCompletionsRequest,
  TextCompletionChunkWriter,
  toOpenAiTextCompletion,
} from './protocols/openai-completions.js';
export {
  newResponseItemId,
  type OpenAiResponsesCall,
  parseOpenAiResponsesRequest,
  ResponsesStreamWriter,
  toResponsesObject,
  toResponsesUsage,
} from './protocols/openai-responses.js';
