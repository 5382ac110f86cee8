// OpenAI `/images/generations` (JSON) and `/images/edits` (multipart) ⇄ the internal image calls.
// Images are always asked for as `b64_json`: the platform stores them as the caller's files itself,
// so it never has to fetch a URL an upstream handed out (which could point anywhere).
import type { AdapterContext, ProviderTarget } from '../../adapter.js';
import { imageTypeOf, parseImageSize, pngSize } from '../../image-bytes.js';
import type { AdapterMediaCall, GeneratedImage, ImageEditRequest, ImageGenerationRequest, ImagesResult } from '../../media-types.js';
import { protocolError } from '../../transport/index.js';

/** Where the adapter's endpoint lives: its chat URL (siblings are derived from it) and JSON headers. */
export interface ImagesEndpoint {
  url: string;
  jsonHeaders: Record<string, string>;
}

function siblingUrl(endpoint: ImagesEndpoint, path: string): string {
  const url = new URL(endpoint.url);
  url.pathname = url.pathname.replace(/\/chat\/completions$/, path);
  return url.toString();
}

/** The fields both operations send, as strings (a multipart form has no numbers). */
function commonFields(call: AdapterMediaCall<ImageGenerationRequest>): Record<string, string> {
  const { request } = call;
  const fields: Record<string, string> = {
    model: call.upstreamModel,
    prompt: request.prompt,
    n: String(request.n),
    response_format: 'b64_json',
  };
  if (request.size !== null) fields.size = request.size;
  if (request.quality !== null) fields.quality = request.quality;
  if (request.style !== null) fields.style = request.style;
  // PNG is every image model's default; only a different format is asked for (DALL·E refuses the field).
  if (request.outputFormat !== 'png') fields.output_format = request.outputFormat;
  if (request.user !== undefined) fields.user = request.user;
  return fields;
}

export function openAiImageGenerationBody(call: AdapterMediaCall<ImageGenerationRequest>): Record<string, unknown> {
  const { n, ...rest } = commonFields(call);
  return { ...rest, n: Number(n) };
}

/** The edit form, encoded by the standard FormData (so the boundary and part headers are the platform's own). */
export async function openAiImageEditForm(call: AdapterMediaCall<ImageEditRequest>): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(commonFields(call))) form.append(name, value);
  const imageField = call.request.images.length > 1 ? 'image[]' : 'image';
  // Copies: a Blob part must be a view of its own ArrayBuffer.
  for (const image of call.request.images) {
    form.append(imageField, new Blob([new Uint8Array(image.bytes)], { type: image.contentType }), image.filename);
  }
  const { mask } = call.request;
  if (mask) form.append('mask', new Blob([new Uint8Array(mask.bytes)], { type: mask.contentType }), mask.filename);
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type') ?? 'multipart/form-data';
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The images of an OpenAI images answer, or null when it is not one. */
export function imagesFromOpenAi(json: unknown, requestedSize: string | null): ImagesResult | null {
  if (!isRecord(json) || !Array.isArray(json.data)) return null;
  const asked = parseImageSize(requestedSize);
  const images: GeneratedImage[] = [];
  for (const item of json.data) {
    if (!isRecord(item) || typeof item.b64_json !== 'string') return null;
    const bytes = new Uint8Array(Buffer.from(item.b64_json, 'base64'));
    const contentType = imageTypeOf(bytes);
    if (contentType === null) return null;
    const size = pngSize(bytes) ?? asked ?? { width: 0, height: 0 };
    images.push({
      bytes,
      contentType,
      ...size,
      ...(typeof item.revised_prompt === 'string' && item.revised_prompt ? { revisedPrompt: item.revised_prompt } : {}),
    });
  }
  const usage = isRecord(json.usage) ? json.usage : null;
  return {
    images,
    ...(usage && typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number'
      ? { usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } }
      : {}),
  };
}

function parseImages(target: ProviderTarget, body: Buffer, requestedSize: string | null): ImagesResult {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw protocolError(target, 'images body is not valid JSON', true);
  }
  const result = imagesFromOpenAi(json, requestedSize);
  if (!result) throw protocolError(target, 'response is not a list of base64 images', true);
  return result;
}

export async function generateOpenAiImages(
  endpoint: ImagesEndpoint,
  target: ProviderTarget,
  call: AdapterMediaCall<ImageGenerationRequest>,
  context: AdapterContext,
): Promise<ImagesResult> {
  const res = await context.transport.request(target, {
    url: siblingUrl(endpoint, '/images/generations'),
    headers: endpoint.jsonHeaders,
    body: JSON.stringify(openAiImageGenerationBody(call)),
    signal: context.signal,
  });
  return parseImages(target, res.body, call.request.size);
}

export async function editOpenAiImages(
  endpoint: ImagesEndpoint,
  target: ProviderTarget,
  call: AdapterMediaCall<ImageEditRequest>,
  context: AdapterContext,
): Promise<ImagesResult> {
  const { body, contentType } = await openAiImageEditForm(call);
  const { 'content-type': _json, ...headers } = endpoint.jsonHeaders;
  const res = await context.transport.request(target, {
    url: siblingUrl(endpoint, '/images/edits'),
    headers: { ...headers, 'content-type': contentType },
    body,
    signal: context.signal,
  });
  return parseImages(target, res.body, call.request.size);
}
