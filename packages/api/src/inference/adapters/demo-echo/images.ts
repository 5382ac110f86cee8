// Offline, deterministic images for the demo provider (issue 14): a real PNG (8-bit RGB, zlib via
// node:zlib, CRC-32 per chunk) of exactly the asked size, drawn from the prompt: a two-colour
// gradient from the whole prompt's hash and one shape per word (a disc or a square whose colour,
// place and size come from the word's hash). The same prompt and size always give the same bytes.
// An edit draws the prompt over a gradient taken from the input image's bytes (it does not decode
// the input): different inputs give different results, and the size defaults to the input's own.
import { crc32, deflateSync } from 'node:zlib';
import { AppError } from '../../../core/errors.js';
import { parseImageSize, pngSize } from '../../image-bytes.js';
import type { GeneratedImage, ImageEditRequest, ImageGenerationRequest, ImagesResult } from '../../media-types.js';

/** The size of an image asked for without one. */
export const DEMO_IMAGE_DEFAULT_SIZE = { width: 1024, height: 1024 };
/** Longest side the demo draws: a bigger picture proves nothing more and costs memory. */
export const DEMO_IMAGE_MAX_SIDE = 2048;
const MAX_SHAPES = 16;

type Rgb = [number, number, number];

/** 32-bit FNV-1a over the UTF-16 code units (as the demo embeddings). */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A small deterministic generator (mulberry32) seeded by a hash. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function colour(next: () => number): Rgb {
  return [Math.floor(next() * 256), Math.floor(next() * 256), Math.floor(next() * 256)];
}

/** `WIDTHxHEIGHT` within the demo's limits, else a 400 naming `size`. */
export function demoImageSize(size: string | null, fallback = DEMO_IMAGE_DEFAULT_SIZE): { width: number; height: number } {
  if (size === null) return fallback;
  const { width, height } = parseImageSize(size) ?? { width: 0, height: 0 };
  if (width < 1 || height < 1 || width > DEMO_IMAGE_MAX_SIDE || height > DEMO_IMAGE_MAX_SIDE) {
    throw new AppError('INVALID_REQUEST', {
      message: 'IMAGE_SIZE_UNSUPPORTED',
      params: { size, max: DEMO_IMAGE_MAX_SIDE },
      details: { field: 'size' },
    });
  }
  return { width, height };
}

/** Draws the prompt on an RGB canvas (3 bytes a pixel, rows top to bottom). */
function drawPrompt(prompt: string, width: number, height: number, backgroundSeed: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  const bg = random(backgroundSeed);
  const [top, bottom] = [colour(bg), colour(bg)];
  for (let y = 0; y < height; y++) {
    const t = height === 1 ? 0 : y / (height - 1);
    const row: Rgb = [0, 1, 2].map((c) => Math.round(top[c]! + (bottom[c]! - top[c]!) * t)) as Rgb;
    for (let x = 0; x < width; x++) pixels.set(row, (y * width + x) * 3);
  }
  const words = prompt.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_SHAPES);
  const side = Math.min(width, height);
  for (const word of words) {
    const next = random(fnv1a(word));
    const fill = colour(next);
    const cx = Math.floor(next() * width);
    const cy = Math.floor(next() * height);
    const r = Math.max(1, Math.floor(side * (0.05 + next() * 0.15)));
    const disc = next() < 0.5;
    for (let y = Math.max(0, cy - r); y < Math.min(height, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x < Math.min(width, cx + r); x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        pixels.set(fill, (y * width + x) * 3);
      }
    }
  }
  return pixels;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGB PNG of the pixels (each row with filter type 0). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

function image(prompt: string, size: { width: number; height: number }, backgroundSeed: number): GeneratedImage {
  const bytes = encodePng(size.width, size.height, drawPrompt(prompt, size.width, size.height, backgroundSeed));
  return { bytes: new Uint8Array(bytes), contentType: 'image/png', width: size.width, height: size.height };
}

/** n images of the prompt; the i-th differs from the others by its background. */
export function demoGenerateImages(request: ImageGenerationRequest): ImagesResult {
  const size = demoImageSize(request.size);
  const seed = fnv1a(request.prompt);
  return { images: Array.from({ length: request.n }, (_, i) => image(request.prompt, size, seed + i)) };
}

export function demoEditImages(request: ImageEditRequest): ImagesResult {
  const first = request.images[0];
  const size = demoImageSize(request.size, (first && pngSize(first.bytes)) ?? DEMO_IMAGE_DEFAULT_SIZE);
  const seed = fnv1a(Buffer.from(first?.bytes ?? new Uint8Array(0)).toString('latin1'), fnv1a(request.prompt));
  return { images: Array.from({ length: request.n }, (_, i) => image(request.prompt, size, seed + i)) };
}
