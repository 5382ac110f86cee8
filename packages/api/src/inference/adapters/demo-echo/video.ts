// The demo provider's video generation (issue 14): a real, deterministic clip made offline, MJPEG
// in AVI (see avi.ts for why). The picture is a colour field whose hues come from a hash of the
// prompt, with a bright block that crosses it once per clip and a bar along the bottom that fills
// as time passes, so a player shows motion and the whole length. Rendered at a preview size (the
// requested aspect ratio, the longer side at most 256 pixels) and 8 frames per second, so a 12 s
// clip takes well under a second of CPU; progress is reported frame by frame.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import jpeg from 'jpeg-js';
import type { ProgressReporter, VideoGenerationRequest, VideoResult } from '../../media-types.js';
import { mjpegAvi } from './avi.js';

export const DEMO_VIDEO_FPS = 8;
export const DEMO_VIDEO_MAX_SIDE = 256;
export const DEMO_VIDEO_CONTENT_TYPE = 'video/x-msvideo';
/** Paces the demo so a client polling the job sees it in progress; a 4 s clip takes about half a second. */
const FRAME_PACING_MS = 15;

/** The preview size for a requested `WIDTHxHEIGHT`: the same aspect ratio, even sides, the longer one ≤ 256. */
export function demoVideoSize(size: string): { width: number; height: number } {
  const [w = 0, h = 0] = size.split('x').map(Number);
  const scale = Math.min(1, DEMO_VIDEO_MAX_SIDE / Math.max(w, h, 1));
  const even = (n: number) => Math.max(16, Math.round((n * scale) / 2) * 2);
  return { width: even(w), height: even(h) };
}

function hsl(hue: number, saturation: number, lightness: number): [number, number, number] {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const f = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function renderFrame(width: number, height: number, frame: number, frames: number, seed: Buffer): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  const t = frames > 1 ? frame / (frames - 1) : 1;
  const baseHue = (seed.readUInt16BE(0) % 360) + t * 60;
  const [r1, g1, b1] = hsl(baseHue % 360, 0.55, 0.35);
  const [r2, g2, b2] = hsl((baseHue + 120) % 360, 0.55, 0.55);
  const block = Math.max(8, Math.round(Math.min(width, height) / 4));
  const blockX = Math.round(t * (width - block));
  const blockY = Math.round((height - block) / 2 + Math.sin(t * Math.PI * 2) * (height - block) * 0.3);
  const barTop = height - Math.max(4, Math.round(height / 30));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const mix = (x + y) / (width + height);
      let r = r1 + (r2 - r1) * mix;
      let g = g1 + (g2 - g1) * mix;
      let b = b1 + (b2 - b1) * mix;
      if (x >= blockX && x < blockX + block && y >= blockY && y < blockY + block) [r, g, b] = [245, 245, 235];
      if (y >= barTop) [r, g, b] = x <= t * width ? [250, 200, 40] : [30, 30, 30];
      rgba[i] = r;
      rgba[i + 1] = g;
      rgba[i + 2] = b;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

/** The same prompt, reference image, length and size always give the same bytes. */
export async function demoVideo(request: VideoGenerationRequest, onProgress: ProgressReporter, signal: AbortSignal): Promise<VideoResult> {
  const { width, height } = demoVideoSize(request.size);
  const frames = request.seconds * DEMO_VIDEO_FPS;
  // A reference image changes the colours too: the same prompt from another image is another clip.
  const hash = createHash('sha256').update(request.prompt);
  if (request.inputReference) hash.update(request.inputReference.bytes);
  const seed = hash.digest();
  const encoded: Buffer[] = [];
  for (let frame = 0; frame < frames; frame++) {
    signal.throwIfAborted();
    const rgba = renderFrame(width, height, frame, frames, seed);
    encoded.push(jpeg.encode({ data: rgba, width, height }, 80).data);
    await onProgress(Math.floor(((frame + 1) * 100) / frames));
    // Yields to the event loop between frames (and paces the clip, see FRAME_PACING_MS).
    await sleep(FRAME_PACING_MS, undefined, { signal });
  }
  return {
    bytes: mjpegAvi({ width, height, framesPerSecond: DEMO_VIDEO_FPS, frames: encoded }),
    contentType: DEMO_VIDEO_CONTENT_TYPE,
    durationMs: (frames * 1000) / DEMO_VIDEO_FPS,
    width,
    height,
  };
}
