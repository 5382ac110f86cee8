// The media operations (issue 14) as the engine hands them to an adapter and gets them back:
// wire-neutral like the chat types, bytes in and bytes out. The surfaces speak OpenAI's shapes.

/** A file the client sent (an image to edit, a mask, audio to transcribe), held in memory within the upload limit. */
export interface MediaInput {
  bytes: Uint8Array;
  contentType: string;
  filename: string;
}

/** One media call as the engine hands it to an adapter. */
export interface AdapterMediaCall<R> {
  request: R;
  /** Model name sent upstream. */
  upstreamModel: string;
}

export type ImageOutputFormat = 'png' | 'jpeg' | 'webp';

/** `POST /v1/images/generations`. */
export interface ImageGenerationRequest {
  prompt: string;
  /** How many images, 1–10. */
  n: number;
  /** `WIDTHxHEIGHT`; null: the provider's default (the demo's is 1024x1024). */
  size: string | null;
  /** Provider-defined (`standard`, `hd`, `low`, `medium`, `high`, `auto`); null: its default. */
  quality: string | null;
  /** Provider-defined (`vivid`, `natural`); null: its default. */
  style: string | null;
  outputFormat: ImageOutputFormat;
  user?: string;
}

/** `POST /v1/images/edits`: the same, plus the image(s) to edit and an optional mask. */
export interface ImageEditRequest extends ImageGenerationRequest {
  images: MediaInput[];
  mask: MediaInput | null;
}

export interface GeneratedImage {
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
  /** The prompt the provider actually used, when it rewrote it (DALL·E 3). */
  revisedPrompt?: string;
}

export interface ImagesResult {
  images: GeneratedImage[];
  /** Tokens, when the provider bills images by tokens (gpt-image-1) and reports them. */
  usage?: { inputTokens: number; outputTokens: number };
}

export type SpeechFormat = 'wav' | 'mp3' | 'opus' | 'aac' | 'flac' | 'pcm';

/** `POST /v1/audio/speech`. */
export interface SpeechRequest {
  input: string;
  voice: string;
  format: SpeechFormat;
  /** 0.25–4. */
  speed: number;
  instructions?: string;
}

export interface SpeechResult {
  bytes: Uint8Array;
  contentType: string;
  /** Length of the audio, for per-second billing. */
  durationMs: number;
}

/** `POST /v1/audio/transcriptions`. */
export interface TranscriptionRequest {
  file: MediaInput;
  language?: string;
  prompt?: string;
  temperature?: number;
}

export interface TranscriptionSegment {
  id: number;
  /** Seconds from the start. */
  start: number;
  end: number;
  text: string;
}

export interface TranscriptionResult {
  text: string;
  language: string | null;
  /** Length of the audio, for per-minute billing. */
  durationMs: number;
  segments: TranscriptionSegment[];
}

/** `POST /v1/videos`. */
export interface VideoGenerationRequest {
  prompt: string;
  /** Requested length in whole seconds. */
  seconds: number;
  /** `WIDTHxHEIGHT`. */
  size: string;
  inputReference?: MediaInput | null;
}

export interface VideoResult {
  bytes: Uint8Array;
  contentType: string;
  durationMs: number;
  width: number;
  height: number;
}

/** Reports a long job's progress, 0–100. */
export type ProgressReporter = (percent: number) => void | Promise<void>;
