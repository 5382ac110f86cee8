import { createConnection } from 'node:net';

/** The shared Redis of a development machine and of CI (.ci/run starts it). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Whether the shared Redis answers PING. Tests that need it skip with a message when it does not,
 * instead of failing on a machine without Redis; CI starts one, so they run there.
 */
export async function sharedRedisAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: 6379 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export const NEEDS_REDIS = 'needs Redis at 127.0.0.1:6379 (start one: redis-server --port 6379); skipped';
