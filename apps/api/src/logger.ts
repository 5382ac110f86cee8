import type { FastifyServerOptions } from 'fastify';

/**
 * pino options for Fastify's logger: secrets redacted; JSON lines, or readable lines (pino-pretty,
 * in a worker thread) for a human at a terminal.
 */
export function loggerOptions(level: string, format: 'json' | 'pretty' | undefined): FastifyServerOptions['logger'] {
  const pretty = (format ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  return {
    level,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        '*.password',
        '*.api_key',
        '*.refresh_token',
        '*.access_token',
      ],
      censor: '[redacted]',
    },
  };
}
