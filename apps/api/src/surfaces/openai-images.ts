import {
  type Actor,
  AppError,
  callImages,
  fileContentUrl,
  type ImageGenerationRequest,
  type ImageOutputFormat,
  type ImagesCallResult,
  MAX_IMAGES_PER_CALL,
  type MediaInput,
  type Platform,
} from '@maas/api';

// /v1/images/generations and /v1/images/edits ⇄ the image call path (issue 14): OpenAI's request
// fields read and checked here (JSON for generations, the fields of a multipart form for edits),
// the images stored as the caller's files by the call, and answered in OpenAI's shape: each image as
// a `url` to its file (served with auth) or as `b64_json`.

export type ImageResponseFormat = 'url' | 'b64_json';

interface ParsedImageRequest {
  model: string;
  request: ImageGenerationRequest;
  responseFormat: ImageResponseFormat;
}

const MAX_PROMPT_CHARS = 32_000;
const MAX_SIDE = 4_096;
const OUTPUT_FORMATS: readonly ImageOutputFormat[] = ['png', 'jpeg', 'webp'];

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'IMAGES_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

function optionalText(value: unknown, field: string, max = 200): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw invalid(field, `must be a string of 1 to ${max} characters`);
  return value;
}

/** `n` as JSON sends it (a number) or a form sends it (a string of digits). */
function countOf(value: unknown): number {
  if (value === undefined || value === null) return 1;
  const n = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_IMAGES_PER_CALL) {
    throw invalid('n', `must be an integer from 1 to ${MAX_IMAGES_PER_CALL}`);
  }
  return n;
}

function sizeOf(value: unknown): string | null {
  const size = optionalText(value, 'size', 11);
  if (size === null || size === 'auto') return null;
  const match = /^(\d{1,4})x(\d{1,4})$/.exec(size);
  if (!match || [match[1], match[2]].some((side) => Number(side) < 1 || Number(side) > MAX_SIDE)) {
    throw invalid('size', `must be WIDTHxHEIGHT (each side 1 to ${MAX_SIDE}) or auto`);
  }
  return size;
}

/** The fields both endpoints share, from a JSON body or a form's fields. */
export function parseImageFields(body: unknown): ParsedImageRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'must be a JSON object');
  const fields = body as Record<string, unknown>;
  const model = fields.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('model', 'must be a model name');
  const prompt = fields.prompt;
  if (typeof prompt !== 'string' || prompt.trim().length === 0 || prompt.length > MAX_PROMPT_CHARS) {
    throw invalid('prompt', `must be a non-empty string of at most ${MAX_PROMPT_CHARS} characters`);
  }
  const format = fields.response_format ?? 'url';
  if (format !== 'url' && format !== 'b64_json') throw invalid('response_format', "must be 'url' or 'b64_json'");
  const outputFormat = fields.output_format ?? 'png';
  if (!OUTPUT_FORMATS.includes(outputFormat as ImageOutputFormat)) throw invalid('output_format', "must be 'png', 'jpeg' or 'webp'");
  const request: ImageGenerationRequest = {
    prompt,
    n: countOf(fields.n),
    size: sizeOf(fields.size),
    quality: optionalText(fields.quality, 'quality', 32),
    style: optionalText(fields.style, 'style', 32),
    outputFormat: outputFormat as ImageOutputFormat,
  };
  const user = optionalText(fields.user, 'user', 256);
  if (user !== null) request.user = user;
  return { model, request, responseFormat: format };
}

/** OpenAI's images answer; `url` points at the file's content on this platform. */
export function toOpenAiImages(platform: Platform, result: ImagesCallResult, format: ImageResponseFormat) {
  return {
    created: Math.floor(Date.now() / 1000),
    data: result.images.map((image) => ({
      ...(format === 'b64_json'
        ? { b64_json: Buffer.from(image.bytes).toString('base64') }
        : { url: fileContentUrl(platform, image.fileId) }),
      ...(image.revisedPrompt ? { revised_prompt: image.revisedPrompt } : {}),
    })),
    ...(result.outcome.inputTokens + result.outcome.outputTokens > 0
      ? {
          usage: {
            input_tokens: result.outcome.inputTokens,
            output_tokens: result.outcome.outputTokens,
            total_tokens: result.outcome.inputTokens + result.outcome.outputTokens,
          },
        }
      : {}),
  };
}

interface ImagesCall {
  actor: Actor;
  signal: AbortSignal;
  requestId: string;
}

export async function imageGenerations(platform: Platform, call: ImagesCall & { body: unknown }) {
  const parsed = parseImageFields(call.body);
  const result = await callImages(
    platform,
    { actor: call.actor, model: parsed.model, signal: call.signal, requestId: call.requestId },
    { operation: 'image_generation', request: parsed.request },
  );
  return toOpenAiImages(platform, result, parsed.responseFormat);
}

export async function imageEdits(
  platform: Platform,
  call: ImagesCall & { fields: Record<string, string>; images: MediaInput[]; mask: MediaInput | null },
) {
  const parsed = parseImageFields(call.fields);
  const result = await callImages(
    platform,
    { actor: call.actor, model: parsed.model, signal: call.signal, requestId: call.requestId },
    { operation: 'image_edit', request: { ...parsed.request, images: call.images, mask: call.mask } },
  );
  return toOpenAiImages(platform, result, parsed.responseFormat);
}
