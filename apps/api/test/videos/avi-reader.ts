// Reads an MJPEG AVI as a player would (RIFF chunks, the avih/strh/strf headers, the 00dc frames
// and the idx1 index) and decodes every frame, so a test checks the demo's clip is a real video.
import jpeg from 'jpeg-js';

export interface AviClip {
  microsPerFrame: number;
  totalFrames: number;
  width: number;
  height: number;
  handler: string;
  compression: string;
  rate: number;
  scale: number;
  frames: { width: number; height: number }[];
  indexEntries: number;
}

function chunks(buf: Buffer, start: number, end: number): { id: string; data: Buffer; at: number }[] {
  const out: { id: string; data: Buffer; at: number }[] = [];
  let at = start;
  while (at + 8 <= end) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (at + 8 + size > end) throw new Error(`chunk ${id} at ${at} overruns its parent`);
    out.push({ id, data: buf.subarray(at + 8, at + 8 + size), at });
    at += 8 + size + (size % 2);
  }
  if (at !== end) throw new Error('trailing bytes after the last chunk');
  return out;
}

function listOf(chunk: { data: Buffer }, type: string) {
  if (chunk.data.toString('latin1', 0, 4) !== type) throw new Error(`expected LIST ${type}`);
  return chunks(chunk.data, 4, chunk.data.length);
}

export function readMjpegAvi(bytes: Buffer): AviClip {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'AVI ') throw new Error('not a RIFF AVI');
  if (bytes.readUInt32LE(4) !== bytes.length - 8) throw new Error('RIFF size does not match the file');
  const top = chunks(bytes, 12, bytes.length);
  const [hdrl, movi, idx1] = top;
  if (hdrl?.id !== 'LIST' || movi?.id !== 'LIST' || idx1?.id !== 'idx1') throw new Error('expected hdrl, movi, idx1');
  const header = listOf(hdrl, 'hdrl');
  const avih = header.find((c) => c.id === 'avih')!.data;
  const strl = listOf(
    header.find((c) => c.id === 'LIST')!,
    'strl',
  );
  const strh = strl.find((c) => c.id === 'strh')!.data;
  const strf = strl.find((c) => c.id === 'strf')!.data;
  const frames = listOf(movi, 'movi').map((c) => {
    if (c.id !== '00dc') throw new Error(`unexpected movi chunk ${c.id}`);
    const image = jpeg.decode(c.data, { useTArray: true });
    return { width: image.width, height: image.height };
  });
  return {
    microsPerFrame: avih.readUInt32LE(0),
    totalFrames: avih.readUInt32LE(16),
    width: avih.readUInt32LE(32),
    height: avih.readUInt32LE(36),
    handler: strh.toString('latin1', 0, 8),
    scale: strh.readUInt32LE(20),
    rate: strh.readUInt32LE(24),
    compression: strf.toString('latin1', 16, 20),
    frames,
    indexEntries: idx1.data.length / 16,
  };
}
