// The local runtime's worker process (issue 15 part 3): node-llama-cpp runs here, never in the API
// process, so a native crash or abort takes down only this process; the supervisor (runtime.ts)
// fails its calls cleanly and starts a new one. Plain JavaScript so that `fork` needs no loader
// (tsx, vitest) in the child. The messages are described in protocol.ts.
import { Template } from '@huggingface/jinja';
import { getLlama } from 'node-llama-cpp';

/** A ChatML-style template, for a file that carries none (issue 15: "a safe default"). */
const DEFAULT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

let llamaPromise;
/** Loaded models by model id: { model, context, template, free: sequences not in use }. */
const models = new Map();
/** Calls generating, by call id: their abort flag. */
const calls = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function llama(options) {
  // build: 'never' uses the prebuilt binary inside the npm package and never downloads or compiles.
  llamaPromise ??= getLlama({ gpu: options.gpu ? 'auto' : false, build: 'never', logLevel: 'error', progressLogs: false });
  return llamaPromise;
}

async function load({ modelId, path, contextSize, threads, sequences, chatTemplate, gpu }) {
  const instance = await llama({ gpu });
  const model = await instance.loadModel({ modelPath: path, gpuLayers: gpu ? 'auto' : 0 });
  try {
    const trained = model.trainContextSize;
    const size = Math.max(16, Math.min(contextSize, trained > 0 ? trained : contextSize));
    const context = await model.createContext({ contextSize: size, threads, sequences, batchSize: Math.min(512, size) });
    const free = [];
    for (let i = 0; i < sequences; i++) free.push(context.getSequence());
    const template = new Template(chatTemplate ?? model.fileInfo.metadata?.tokenizer?.chat_template ?? DEFAULT_TEMPLATE);
    models.set(modelId, { model, context, template, free });
    return { contextSize: context.contextSize, trainedContextSize: trained };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

async function unload(modelId) {
  const entry = models.get(modelId);
  if (!entry) return;
  models.delete(modelId);
  await entry.context.dispose();
  await entry.model.dispose();
}

function tokenString(model, token) {
  return token === undefined || token === null ? '' : model.detokenize([token], true);
}

/** The prompt as the model's tokens: the chat template rendered, special tokens parsed. */
function promptTokens(entry, messages) {
  const { model, template } = entry;
  const bos = tokenString(model, model.tokens.bos);
  const eos = tokenString(model, model.tokens.eos);
  const text = template.render({ messages, add_generation_prompt: true, bos_token: bos, eos_token: eos });
  const tokens = model.tokenize(text, true);
  // Templates that write {{ bos_token }} themselves already start with it.
  if (model.tokens.shouldPrependBosToken && model.tokens.bos !== null && tokens[0] !== model.tokens.bos) tokens.unshift(model.tokens.bos);
  return tokens;
}

/** The longest tail of `text` that begins one of the stop strings: held back until it is decided. */
function heldBack(text, stops) {
  let longest = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

async function generate({ callId, modelId, messages, params }) {
  const entry = models.get(modelId);
  if (!entry) throw Object.assign(new Error(`model ${modelId} is not loaded`), { kind: 'server' });
  const sequence = entry.free.pop();
  if (!sequence) throw Object.assign(new Error('no free sequence'), { kind: 'server' });
  const state = { aborted: false };
  calls.set(callId, state);
  try {
    const { model } = entry;
    const prompt = promptTokens(entry, messages);
    const room = entry.context.contextSize - prompt.length;
    if (room < 1) {
      throw Object.assign(new Error(`the prompt has ${prompt.length} tokens; the context holds ${entry.context.contextSize}`), {
        kind: 'client',
      });
    }
    send({ op: 'started', callId, inputTokens: prompt.length });
    const maxTokens = Math.min(params.maxTokens, room);
    const stops = (params.stop ?? []).filter((s) => s.length > 0);
    await sequence.clearHistory();
    const options = { temperature: params.temperature ?? 1, topP: params.topP, topK: params.topK };
    if (params.seed !== undefined) options.seed = params.seed;

    let outputTokens = 0;
    let sentTokens = 0;
    let text = ''; // decoded so far, committed pieces only
    let pending = []; // tokens whose bytes do not yet decode to whole characters
    let sent = 0; // characters of `text` sent
    let finishReason = 'length';
    let stopStringHit = false;
    for await (const token of sequence.evaluate(prompt, options)) {
      if (state.aborted) {
        finishReason = 'cancelled';
        break;
      }
      if (model.isEogToken(token)) {
        finishReason = 'stop';
        break;
      }
      outputTokens++;
      pending.push(token);
      const decoded = model.detokenize(pending);
      // A character split across byte tokens decodes once its last byte arrived.
      if (!decoded.endsWith('\uFFFD') || pending.length >= 4) {
        text += decoded;
        pending = [];
      }
      let end = text.length;
      if (stops.length > 0) {
        let cut = -1;
        for (const stop of stops) {
          const at = text.indexOf(stop, Math.max(0, sent - stop.length));
          if (at !== -1 && (cut === -1 || at < cut)) cut = at;
        }
        if (cut !== -1) {
          end = Math.max(cut, sent);
          stopStringHit = true;
        } else end = text.length - heldBack(text, stops);
      }
      if (end > sent) {
        send({ op: 'text', callId, text: text.slice(sent, end), tokens: outputTokens - sentTokens });
        sent = end;
        sentTokens = outputTokens;
      }
      if (stopStringHit) {
        finishReason = 'stop';
        break;
      }
      if (outputTokens >= maxTokens) break;
    }
    // What was held back for a stop string that never came, or an incomplete character.
    if (finishReason !== 'cancelled' && !stopStringHit) {
      const rest = text.slice(sent) + (pending.length > 0 ? model.detokenize(pending) : '');
      if (rest !== '' || outputTokens > sentTokens) send({ op: 'text', callId, text: rest, tokens: outputTokens - sentTokens });
    }
    send({ op: 'done', callId, inputTokens: prompt.length, outputTokens, finishReason });
  } finally {
    calls.delete(callId);
    entry.free.push(sequence);
  }
}

function fail(callId, error) {
  send({ op: 'failed', callId, kind: error?.kind ?? 'server', message: error instanceof Error ? error.message : String(error) });
}

process.on('message', (message) => {
  switch (message.op) {
    case 'load':
      load(message).then(
        (info) => send({ op: 'loaded', callId: message.callId, ...info }),
        (error) => fail(message.callId, error),
      );
      return;
    case 'unload':
      unload(message.modelId).then(
        () => send({ op: 'unloaded', callId: message.callId }),
        (error) => fail(message.callId, error),
      );
      return;
    case 'generate':
      generate(message).catch((error) => fail(message.callId, error));
      return;
    case 'count':
      try {
        const entry = models.get(message.modelId);
        if (!entry) throw new Error(`model ${message.modelId} is not loaded`);
        send({ op: 'counted', callId: message.callId, inputTokens: promptTokens(entry, message.messages).length });
      } catch (error) {
        fail(message.callId, error);
      }
      return;
    case 'abort': {
      const state = calls.get(message.callId);
      if (state) state.aborted = true;
      return;
    }
  }
});

// The supervisor went away: nothing is left to serve.
process.on('disconnect', () => process.exit(0));
send({ op: 'ready', pid: process.pid });
