// A tiny llama-architecture model with random weights and its own small vocabulary (a few hundred
// KB), generated rather than downloaded: the test suite and the README's walkthrough serve it on
// the local runtime (issue 15). It talks nonsense, but it is a real GGUF that llama.cpp loads,
// tokenizes, templates and samples from, deterministically for a given seed.
import { type GgufTensor, type GgufValue, writeGguf } from './writer.js';

const WORDS = [
  'the',
  'a',
  'and',
  'of',
  'to',
  'in',
  'is',
  'it',
  'you',
  'that',
  'was',
  'for',
  'on',
  'are',
  'with',
  'as',
  'be',
  'at',
  'this',
  'have',
  'from',
  'or',
  'one',
  'had',
  'by',
  'word',
  'but',
  'not',
  'what',
  'all',
  'were',
  'we',
  'when',
  'your',
  'can',
  'said',
  'hello',
  'world',
  'model',
  'tiny',
  'local',
  'runtime',
  'token',
  'answer',
  'question',
  'yes',
  'no',
  'good',
  'day',
];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:\'"-()';

/** ChatML: the control tokens below are in the vocabulary, so the template tokenizes exactly. */
export const TINY_MODEL_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const TINY_MODEL_CONTEXT_LENGTH = 512;

// SentencePiece token types as llama.cpp reads them.
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types: number[] = [UNKNOWN, CONTROL, CONTROL, CONTROL, CONTROL];
  // Byte fallback: any text tokenizes, whatever its characters.
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(BYTE);
  }
  const pieces = new Set<string>(['\u2581', ...ALPHABET]);
  for (const letter of 'abcdefghijklmnopqrstuvwxyz') pieces.add(`\u2581${letter}`);
  // Every prefix of each word, so SentencePiece's pairwise merges can reach the whole word.
  for (const word of WORDS) for (let end = 1; end <= word.length; end++) pieces.add(`\u2581${word.slice(0, end)}`);
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(NORMAL);
  }
  // Longer pieces score higher, so merges prefer them.
  const scores = tokens.map((token, i) => (types[i] === NORMAL ? token.length * 10 - i / 1000 : 0));
  return { tokens, scores, types };
}

/** A seeded PRNG (mulberry32), so the same seed always writes the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TinyModelOptions {
  seed?: number;
  embedding?: number;
  layers?: number;
}

/** The bytes of the tiny model (about 500 KB with the defaults). */
export function makeTinyModel(options: TinyModelOptions = {}): Buffer {
  const next = random(options.seed ?? 15);
  const normal = (scale: number) => (next() + next() + next() - 1.5) * 2 * scale;
  const filled = (length: number, value: (i: number) => number) => Float32Array.from({ length }, (_, i) => value(i));

  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const nEmbd = options.embedding ?? 64;
  const nHead = 4;
  const nFf = nEmbd * 2;
  const nLayer = options.layers ?? 2;
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], data: filled(nEmbd * nVocab, () => normal(0.5)) },
    { name: 'output_norm.weight', dims: [nEmbd], data: filled(nEmbd, () => 1) },
    {
      name: 'output.weight',
      dims: [nEmbd, nVocab],
      // Control tokens (the end of a turn among them) get zero logits: the random model almost never
      // ends on its own, so a stream runs to its max_tokens, as tests of limits and aborts want.
      data: filled(nEmbd * nVocab, (i) => (Math.floor(i / nEmbd) < 5 ? 0 : normal(0.15))),
    },
  ];
  for (let layer = 0; layer < nLayer; layer++) {
    const block = (name: string, dims: number[], value: () => number) =>
      tensors.push({ name: `blk.${layer}.${name}.weight`, dims, data: filled(dims[0]! * (dims[1] ?? 1), value) });
    block('attn_norm', [nEmbd], () => 1);
    block('attn_q', [nEmbd, nEmbd], () => normal(0.1));
    block('attn_k', [nEmbd, nEmbd], () => normal(0.1));
    block('attn_v', [nEmbd, nEmbd], () => normal(0.1));
    block('attn_output', [nEmbd, nEmbd], () => normal(0.1));
    block('ffn_norm', [nEmbd], () => 1);
    block('ffn_gate', [nEmbd, nFf], () => normal(0.1));
    block('ffn_up', [nEmbd, nFf], () => normal(0.1));
    block('ffn_down', [nFf, nEmbd], () => normal(0.1));
  }
  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: 'llama' },
    'general.name': { type: 'string', value: 'maas-tiny' },
    'general.file_type': { type: 'u32', value: 0 },
    'llama.context_length': { type: 'u32', value: TINY_MODEL_CONTEXT_LENGTH },
    'llama.embedding_length': { type: 'u32', value: nEmbd },
    'llama.block_count': { type: 'u32', value: nLayer },
    'llama.feed_forward_length': { type: 'u32', value: nFf },
    'llama.attention.head_count': { type: 'u32', value: nHead },
    'llama.attention.head_count_kv': { type: 'u32', value: nHead },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
    'llama.rope.dimension_count': { type: 'u32', value: nEmbd / nHead },
    'llama.rope.freq_base': { type: 'f32', value: 10000 },
    'llama.vocab_size': { type: 'u32', value: nVocab },
    'tokenizer.ggml.model': { type: 'string', value: 'llama' },
    'tokenizer.ggml.tokens': { type: 'string[]', value: vocab.tokens },
    'tokenizer.ggml.scores': { type: 'f32[]', value: vocab.scores },
    'tokenizer.ggml.token_type': { type: 'i32[]', value: vocab.types },
    'tokenizer.ggml.unknown_token_id': { type: 'u32', value: 0 },
    'tokenizer.ggml.bos_token_id': { type: 'u32', value: 1 },
    'tokenizer.ggml.eos_token_id': { type: 'u32', value: 4 },
    'tokenizer.ggml.add_bos_token': { type: 'bool', value: true },
    'tokenizer.ggml.add_eos_token': { type: 'bool', value: false },
    'tokenizer.chat_template': { type: 'string', value: TINY_MODEL_CHAT_TEMPLATE },
  };
  return writeGguf(metadata, tensors);
}
