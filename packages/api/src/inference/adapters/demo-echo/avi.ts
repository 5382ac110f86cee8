// A minimal AVI (RIFF) writer for Motion JPEG: one video stream whose frames are whole JPEG
// images, with an idx1 index. This is the container and codec the demo provider's videos use
// (issue 14): MJPEG-in-AVI is what many cameras write, and VLC, mpv, ffmpeg/ffplay, Windows' and
// most browsers' download players open it; it needs no patent-encumbered or native encoder, only
// a JPEG encoder (jpeg-js, pure JS). Layout per the OpenDML/Video for Windows AVI spec:
//   RIFF 'AVI ' { LIST 'hdrl' { avih, LIST 'strl' { strh, strf } }, LIST 'movi' { '00dc'… }, idx1 }

const AVIF_HASINDEX = 0x10;
const AVIIF_KEYFRAME = 0x10;

function fourcc(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function chunk(id: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  // Chunks are word-aligned: an odd-sized one is followed by a pad byte not counted in its size.
  return Buffer.concat(data.length % 2 === 1 ? [header, data, Buffer.alloc(1)] : [header, data]);
}

function list(type: string, children: Buffer[]): Buffer {
  return chunk('LIST', Buffer.concat([fourcc(type), ...children]));
}

export interface MjpegAviInput {
  width: number;
  height: number;
  framesPerSecond: number;
  /** Each a complete baseline JPEG of width × height. */
  frames: Buffer[];
}

export function mjpegAvi({ width, height, framesPerSecond, frames }: MjpegAviInput): Buffer {
  const largest = frames.reduce((max, frame) => Math.max(max, frame.length), 0);
  const microsPerFrame = Math.round(1_000_000 / framesPerSecond);

  const avih = Buffer.alloc(56);
  avih.writeUInt32LE(microsPerFrame, 0);
  avih.writeUInt32LE(largest * framesPerSecond, 4); // dwMaxBytesPerSec
  avih.writeUInt32LE(0, 8); // dwPaddingGranularity
  avih.writeUInt32LE(AVIF_HASINDEX, 12);
  avih.writeUInt32LE(frames.length, 16); // dwTotalFrames
  avih.writeUInt32LE(0, 20); // dwInitialFrames
  avih.writeUInt32LE(1, 24); // dwStreams
  avih.writeUInt32LE(largest, 28); // dwSuggestedBufferSize
  avih.writeUInt32LE(width, 32);
  avih.writeUInt32LE(height, 36); // then dwReserved[4], zero

  const strh = Buffer.alloc(56);
  strh.write('vids', 0, 'latin1');
  strh.write('MJPG', 4, 'latin1');
  // dwFlags, wPriority, wLanguage, dwInitialFrames: zero.
  strh.writeUInt32LE(1, 20); // dwScale
  strh.writeUInt32LE(framesPerSecond, 24); // dwRate: rate / scale = frames per second
  strh.writeUInt32LE(0, 28); // dwStart
  strh.writeUInt32LE(frames.length, 32); // dwLength, in frames
  strh.writeUInt32LE(largest, 36); // dwSuggestedBufferSize
  strh.writeInt32LE(-1, 40); // dwQuality: default
  strh.writeUInt32LE(0, 44); // dwSampleSize: frames vary in size
  strh.writeInt16LE(0, 48); // rcFrame left, top, right, bottom
  strh.writeInt16LE(0, 50);
  strh.writeInt16LE(width, 52);
  strh.writeInt16LE(height, 54);

  const strf = Buffer.alloc(40); // BITMAPINFOHEADER
  strf.writeUInt32LE(40, 0);
  strf.writeInt32LE(width, 4);
  strf.writeInt32LE(height, 8);
  strf.writeUInt16LE(1, 12); // biPlanes
  strf.writeUInt16LE(24, 14); // biBitCount
  strf.write('MJPG', 16, 'latin1'); // biCompression
  strf.writeUInt32LE(width * height * 3, 20); // biSizeImage

  const hdrl = list('hdrl', [chunk('avih', avih), list('strl', [chunk('strh', strh), chunk('strf', strf)])]);

  // idx1 offsets count from the 'movi' list type, so the first frame's chunk is at 4.
  const index = Buffer.alloc(16 * frames.length);
  let offset = 4;
  const movieChunks = frames.map((frame, i) => {
    index.write('00dc', i * 16, 'latin1');
    index.writeUInt32LE(AVIIF_KEYFRAME, i * 16 + 4);
    index.writeUInt32LE(offset, i * 16 + 8);
    index.writeUInt32LE(frame.length, i * 16 + 12);
    const framed = chunk('00dc', frame);
    offset += framed.length;
    return framed;
  });
  const movi = list('movi', movieChunks);

  return chunk('RIFF', Buffer.concat([fourcc('AVI '), hdrl, movi, chunk('idx1', index)]));
}
