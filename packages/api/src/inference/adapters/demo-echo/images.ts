// Offline, deterministic images for the demo provider (issue 14): real PNGs (8-bit RGB, see png.ts)
// of exactly the asked size, drawn from the prompt: one shape per word (a disc or a square whose
// colour, place and size come from the word's hash) on a gradient from the whole prompt's hash. An
// edit draws the same shapes over the decoded input image, only where the mask is transparent. The
// same request always gives the same bytes.
import { AppError } from '../../../core/errors.js';
import { parseImageSize } from '../../image-bytes.js';
import type { GeneratedImage, ImageEditRequest, ImageGenerationRequest, ImagesResult } from '../../media-types.js';
import { decodePng, encodePng, type Raster } from './png.js';

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
export function demoImageSize(size: string | null): { width: number; height: number } {
  if (size === null) return DEMO_IMAGE_DEFAULT_SIZE;
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

/** A vertical two-colour gradient from the seed. */
function gradient(width: number, height: number, seed: number): Raster {
  const rgb = new Uint8Array(width * height * 3);
  const next = random(seed);
  const [top, bottom] = [colour(next), colour(next)];
  for (let y = 0; y < height; y++) {
    const t = height === 1 ? 0 : y / (height - 1);
    const mix = (c: 0 | 1 | 2) => Math.round(top[c] + (bottom[c] - top[c]) * t);
    const row: Rgb = [mix(0), mix(1), mix(2)];
    for (let x = 0; x < width; x++) rgb.set(row, (y * width + x) * 3);
  }
  return { width, height, rgb, alpha: null };
}

/** The raster resized to the size (nearest neighbour), alpha included. */
function resize(source: Raster, width: number, height: number): Raster {
  if (source.width === width && source.height === height) return source;
  const rgb = new Uint8Array(width * height * 3);
  const alpha = source.alpha ? new Uint8Array(width * height) : null;
  for (let y = 0; y < height; y++) {
    const sy = Math.floor((y * source.height) / height);
    for (let x = 0; x < width; x++) {
      const from = sy * source.width + Math.floor((x * source.width) / width);
      rgb.set(source.rgb.subarray(from * 3, from * 3 + 3), (y * width + x) * 3);
      if (alpha && source.alpha) alpha[y * width + x] = source.alpha[from]!;
    }
  }
  return { width, height, rgb, alpha };
}

/**
 * One shape per word of the prompt on the canvas: a disc or a square whose colour, place and size
 * come from the word (and the variant, so the n images of one call differ). Only pixels `editable`
 * allows are painted.
 */
function drawPrompt(canvas: Raster, prompt: string, variant: number, editable: (pixel: number) => boolean = () => true): Raster {
  const { width, height, rgb } = canvas;
  const words = prompt.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_SHAPES);
  const side = Math.min(width, height);
  for (const word of words) {
    const next = random(fnv1a(word) + variant);
    const fill = colour(next);
    const cx = Math.floor(next() * width);
    const cy = Math.floor(next() * height);
    const r = Math.max(1, Math.floor(side * (0.05 + next() * 0.15)));
    const disc = next() < 0.5;
    for (let y = Math.max(0, cy - r); y < Math.min(height, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x < Math.min(width, cx + r); x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        if (editable(y * width + x)) rgb.set(fill, (y * width + x) * 3);
      }
    }
  }
  return canvas;
}

function image(canvas: Raster): GeneratedImage {
  const bytes = encodePng(canvas.width, canvas.height, canvas.rgb);
  return { bytes: new Uint8Array(bytes), contentType: 'image/png', width: canvas.width, height: canvas.height };
}

const MAX_INPUT_PIXELS = DEMO_IMAGE_MAX_SIDE * DEMO_IMAGE_MAX_SIDE;

/** n images of the prompt on gradients from its hash; the i-th differs from the others by its background. */
export function demoGenerateImages(request: ImageGenerationRequest): ImagesResult {
  const { width, height } = demoImageSize(request.size);
  const seed = fnv1a(request.prompt);
  return { images: Array.from({ length: request.n }, (_, i) => image(drawPrompt(gradient(width, height, seed + i), request.prompt, 0))) };
}

/**
 * The prompt drawn over the first image (resized to the asked size; its own size by default). With
 * a mask, only where the mask is transparent is painted, as OpenAI's edits do; without one, where
 * the image itself is transparent if it has an alpha channel, else anywhere. An input the demo cannot
 * decode is stood in for by a gradient from its bytes.
 */
export function demoEditImages(request: ImageEditRequest): ImagesResult {
  const first = request.images[0];
  const decoded = first ? decodePng(first.bytes, MAX_INPUT_PIXELS) : null;
  const { width, height } = demoImageSize(request.size ?? (decoded ? `${decoded.width}x${decoded.height}` : null));
  const mask = request.mask ? decodePng(request.mask.bytes, MAX_INPUT_PIXELS) : null;
  const seed = fnv1a(Buffer.from(first?.bytes ?? new Uint8Array(0)).toString('latin1'), fnv1a(request.prompt));
  return {
    images: Array.from({ length: request.n }, (_, i) => {
      const base = decoded ? resize(decoded, width, height) : gradient(width, height, seed);
      const canvas: Raster = { ...base, rgb: new Uint8Array(base.rgb) };
      const transparency = mask?.alpha ? resize(mask, width, height).alpha : request.mask ? null : base.alpha;
      return image(drawPrompt(canvas, request.prompt, i, transparency ? (pixel) => transparency[pixel] === 0 : undefined));
    }),
  };
}
