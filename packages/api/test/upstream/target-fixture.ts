import type { ChatMessage, UpstreamTarget } from '../../src/providers/upstream/index.js';

let counter = 0;

/** An openai-compatible target with generous timeouts, unless overridden. */
export function makeTarget(overrides: Partial<UpstreamTarget> = {}): UpstreamTarget {
  counter++;
  return {
    providerId: `prov_${counter}`,
    name: `provider ${counter}`,
    kind: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: null,
    upstreamModel: 'mock-ok',
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    priority: 0,
    weight: 1,
    ...overrides,
  };
}

export const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hello there, how are you today?' },
];
