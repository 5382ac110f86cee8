import type { InvalidationChannel, PlatformConfig } from '@maas/api';
import type { DatabaseHandle } from '@maas/db';
import { Redis } from 'ioredis';

// How long a broadcast waits for a connection that is still being made (a CLI command's first one).
const PUBLISH_WAIT_MS = 2_000;

/** Resolves once `client` is ready, or rejects after `ms` (Redis is away: the TTL covers the change). */
async function whenReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new Error(`redis not ready within ${ms} ms`)), ms);
    client.on('ready', onReady);
  });
}

// PostgreSQL channel names are identifiers; NOTIFY is per database, so one name serves every platform.
const DATABASE_CHANNEL = 'maas_invalidation';

/**
 * Redis pub/sub: a subscriber connection of its own (a subscribed connection can do nothing else)
 * and one to publish on. ioredis reconnects by itself; every time the subscriber is ready again it
 * subscribes and the platform resyncs, since what was published meanwhile is lost.
 */
function redisChannel(url: string, namespace: string, warn: (message: string, error?: unknown) => void): InvalidationChannel {
  const channel = `${namespace}:invalidation`;
  const options = { connectTimeout: 2_000, maxRetriesPerRequest: 1, lazyConnect: true } as const;
  // Publishing waits at most PUBLISH_WAIT_MS for a connection (no offline queue): then the TTL covers that change.
  const publisher = new Redis(url, { ...options, enableOfflineQueue: false });
  const subscriber = new Redis(url, options);
  let down = false;
  const onError = (error: unknown) => {
    if (!down) warn('invalidation channel down (Redis): revocations reach other instances within the cache TTL only', error);
    down = true;
  };
  publisher.on('error', () => {});
  subscriber.on('error', onError);
  return {
    publish: async (payload) => {
      if (publisher.status === 'wait') void publisher.connect().catch(() => {});
      await whenReady(publisher, PUBLISH_WAIT_MS);
      await publisher.publish(channel, payload);
    },
    start: (listener) => {
      subscriber.on('message', (from: string, payload: string) => {
        if (from === channel) listener.message(payload);
      });
      // Subscribed on every (re)connection, including a first one made after start-up failed; the
      // resync comes once the subscription is confirmed, so nothing falls between the two.
      subscriber.on('ready', () => {
        down = false;
        subscriber.subscribe(channel).then(() => listener.resync(), onError);
      });
      subscriber.connect().catch(onError);
      publisher.connect().catch(() => {});
    },
    close: async () => {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

/** PostgreSQL LISTEN/NOTIFY (or PGlite's, in-process): the channel when there is no Redis. */
function databaseChannel(database: DatabaseHandle): InvalidationChannel {
  let stop: (() => Promise<void>) | null = null;
  return {
    publish: (payload) => database.notifications.notify(DATABASE_CHANNEL, payload),
    start: (listener) => {
      stop = database.notifications.listen(DATABASE_CHANNEL, listener);
    },
    close: async () => {
      await stop?.();
    },
  };
}

/** How this instance tells the others about revocations and catalogue changes: Redis when configured, else the database. */
export function createInvalidationChannel(
  config: PlatformConfig,
  database: DatabaseHandle,
  warn: (message: string, error?: unknown) => void,
): InvalidationChannel {
  return config.redisUrl ? redisChannel(config.redisUrl, config.rateLimitNamespace, warn) : databaseChannel(database);
}
