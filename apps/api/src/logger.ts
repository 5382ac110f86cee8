import type { FastifyServerOptions } from 'fastify';

/** pino options for Fastify's logger: JSON lines, secrets redacted. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
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
