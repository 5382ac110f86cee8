import type { Locale } from '@maas/api';
import type { FastifyRequest } from 'fastify';

/**
 * The language of errors on the LLM wire protocols (OpenAI's, Anthropic's): their ecosystems expect
 * English, so another language only when the request names one. `Accept-Language: *`, which
 * fetch-based clients send by default, names none. `/api/v1` keeps its contract (zh-CN default).
 */
export function protocolLocale(request: FastifyRequest): Locale {
  const header = request.headers['accept-language'];
  const accept = typeof header === 'string' ? header.trim() : undefined;
  return accept && accept !== '*' ? request.locale : 'en';
}
