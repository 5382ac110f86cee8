import { PROVIDER_KINDS, type ProviderKind } from '@maas/db';
import type { ProviderAdapter } from '../adapter.js';
import { anthropicAdapter } from './anthropic/index.js';
import { demoEchoAdapter } from './demo-echo/index.js';
import { geminiAdapter } from './gemini/index.js';
import { ollamaAdapter } from './ollama/index.js';
import { openAiCompatibleAdapter } from './openai-compatible/index.js';

export { PROVIDER_KINDS, type ProviderKind };

/**
 * The provider kinds the engine can call: ONE line per kind. A kind in PROVIDER_KINDS without an
 * adapter here is accepted by the database but its routes are skipped (see adapterFor).
 */
export const ADAPTERS: Partial<Record<ProviderKind, ProviderAdapter>> = {
  'openai-compatible': openAiCompatibleAdapter,
  'demo-echo': demoEchoAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  ollama: ollamaAdapter,
};

/** The adapter of a kind, or undefined when none is registered (yet). */
export function adapterFor(kind: string): ProviderAdapter | undefined {
  return (ADAPTERS as Record<string, ProviderAdapter | undefined>)[kind];
}
