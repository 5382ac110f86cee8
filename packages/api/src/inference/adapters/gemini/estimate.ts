// The reservation's input-token estimate for a Gemini provider. It must never count fewer tokens
// than Gemini will bill (issue 13 part 5), and the platform has no Gemini tokenizer: text is
// counted with o200k (gpt-tokenizer) and scaled by a safety factor. Gemini's SentencePiece
// vocabulary splits some text (code, rare scripts, long digit runs) into up to ~25 % more pieces
// than o200k; 1.35 covers that with a margin, and a reservation that is a little high only holds a
// little more balance for the few seconds of the call.
import { countTextTokens } from '../../token-count.js';
import type { ChatRequest, ContentPart } from '../../types.js';

export const GEMINI_TOKEN_SAFETY_FACTOR = 1.35;
// Role markers and turn separators Gemini adds around each content.
const PER_MESSAGE_OVERHEAD = 8;
// Gemini 2.x: an image with both sides ≤ 384 px is 258 tokens; a larger one is cut into 768×768
// tiles of 258 tokens each. Without readable dimensions, assume a large image (4×4 tiles).
const TOKENS_PER_IMAGE_TILE = 258;
const UNKNOWN_IMAGE_TILES = 16;
// Audio is 32 tokens per second; 2 000 bytes per second is below any real encoding's bitrate
// (16 kbit/s), so the duration — and the count — is over-estimated, never under.
const AUDIO_TOKENS_PER_SECOND = 32;
const AUDIO_MIN_BYTES_PER_SECOND = 2_000;
// Documents (PDF) are 258 tokens per page; a page is assumed per 2 KB when pages cannot be counted.
const TOKENS_PER_DOCUMENT_PAGE = 258;

function decodedLength(base64: string): number {
  return Math.floor((base64.length * 3) / 4);
}

/** Width and height of a PNG, GIF or JPEG (from its first bytes), or null. */
export function imageDimensions(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'GIF')
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let offset = 2;
    while (offset + 9 < bytes.length) {
      if (bytes[offset] !== 0xff) return null;
      const marker = bytes[offset + 1]!;
      const length = bytes.readUInt16BE(offset + 2);
      // Start-of-frame markers (not DHT/JPG/DAC) carry the dimensions.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: bytes.readUInt16BE(offset + 7), height: bytes.readUInt16BE(offset + 5) };
      }
      offset += 2 + length;
    }
  }
  return null;
}

function imageTokens(base64: string | null): number {
  // 64 KiB of base64 reaches every header we read; decoding the whole image is not needed.
  const size = base64 === null ? null : imageDimensions(Buffer.from(base64.slice(0, 65_536), 'base64'));
  if (size === null || size.width === 0 || size.height === 0) return UNKNOWN_IMAGE_TILES * TOKENS_PER_IMAGE_TILE;
  if (size.width <= 384 && size.height <= 384) return TOKENS_PER_IMAGE_TILE;
  return Math.ceil(size.width / 768) * Math.ceil(size.height / 768) * TOKENS_PER_IMAGE_TILE;
}

function documentTokens(base64: string, mediaType: string): number {
  const bytes = decodedLength(base64);
  if (mediaType === 'application/pdf') {
    const pages = (
      Buffer.from(base64, 'base64')
        .toString('latin1')
        .match(/\/Type\s*\/Page(?![a-z])/g) ?? []
    ).length;
    return Math.max(pages, Math.ceil(bytes / 2_048), 1) * TOKENS_PER_DOCUMENT_PAGE;
  }
  // Text-like documents: at worst a token per byte.
  return bytes;
}

function partTokens(part: ContentPart): { text: string; media: number } {
  switch (part.type) {
    case 'text':
      return { text: part.text, media: 0 };
    case 'image': {
      if (part.source.kind === 'base64') return { text: '', media: imageTokens(part.source.data) };
      const inline = /^data:[^,]*;base64,(.*)$/s.exec(part.source.url);
      return { text: '', media: imageTokens(inline ? inline[1]! : null) };
    }
    case 'audio':
      return { text: '', media: Math.ceil((decodedLength(part.data) / AUDIO_MIN_BYTES_PER_SECOND) * AUDIO_TOKENS_PER_SECOND) + 1 };
    case 'file':
      return { text: '', media: part.source.kind === 'base64' ? documentTokens(part.source.data, part.source.mediaType) : 0 };
  }
}

/** Input tokens Gemini will count for this request, rounded up and never below its real count (see the factor above). */
export function estimateGeminiInputTokens(request: ChatRequest): number {
  let text = '';
  let media = 0;
  let overhead = 0;
  for (const message of request.messages) {
    overhead += PER_MESSAGE_OVERHEAD;
    for (const part of message.content ?? []) {
      const counted = partTokens(part);
      text += `${counted.text}\n`;
      media += counted.media;
    }
    if (message.refusal) text += `${message.refusal}\n`;
    for (const call of message.toolCalls ?? []) text += `${call.name} ${call.arguments}\n`;
  }
  if (request.tools) text += JSON.stringify(request.tools);
  if (request.responseFormat?.type === 'json_schema') text += JSON.stringify(request.responseFormat.json_schema);
  return Math.ceil(countTextTokens(text) * GEMINI_TOKEN_SAFETY_FACTOR) + overhead + media;
}
