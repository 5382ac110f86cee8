import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** What a listener is told: each payload, and when messages may have been missed (a reconnection). */
export interface NotificationListener {
  message(payload: string): void;
  /** The listening connection was (re)established: anything sent before may have been lost. */
  resync(): void;
}

/**
 * PostgreSQL LISTEN/NOTIFY: what instances that share a database (and no Redis) use to tell each
 * other about changes their caches hold. Delivery is best effort: a listener that was disconnected
 * is told to resync when it is back.
 */
export interface DatabaseNotifications {
  /** Sends `payload` to every listener of `channel` on this database, this process's included. */
  notify(channel: string, payload: string): Promise<void>;
  /** Listens until the returned function is called; a PostgreSQL listener reconnects by itself. */
  listen(channel: string, listener: NotificationListener): () => Promise<void>;
}

const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const RECONNECT_DELAY_MS = 1_000;

function assertChannel(channel: string): void {
  if (!CHANNEL_PATTERN.test(channel)) throw new Error(`invalid notification channel name: ${channel}`);
}

export function postgresNotifications(connectionString: string, notifyThrough: pg.Pool): DatabaseNotifications {
  return {
    notify: async (channel, payload) => {
      assertChannel(channel);
      await notifyThrough.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    listen: (channel, listener) => {
      assertChannel(channel);
      // LISTEN holds a connection of its own for the life of the process; a pooled one would be returned.
      let client: pg.Client | null = null;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const retry = () => {
        if (stopped) return;
        timer = setTimeout(() => void connect(), RECONNECT_DELAY_MS);
        timer.unref();
      };
      const connect = async () => {
        const candidate = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, keepAlive: true });
        candidate.on('error', () => {});
        candidate.on('notification', (note) => {
          if (note.channel === channel && note.payload !== undefined) listener.message(note.payload);
        });
        candidate.on('end', () => {
          if (client !== candidate) return;
          client = null;
          retry();
        });
        try {
          await candidate.connect();
          await candidate.query(`LISTEN ${channel}`);
        } catch {
          await candidate.end().catch(() => {});
          retry();
          return;
        }
        if (stopped) {
          await candidate.end().catch(() => {});
          return;
        }
        client = candidate;
        listener.resync();
      };
      void connect();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        const open = client;
        client = null;
        await open?.end().catch(() => {});
      };
    },
  };
}

/** PGlite runs in this process: one instance, but its LISTEN/NOTIFY works (two platforms over one PGlite in tests). */
export function pgliteNotifications(pglite: PGlite): DatabaseNotifications {
  return {
    notify: async (channel, payload) => {
      assertChannel(channel);
      if (pglite.closed) return;
      await pglite.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    listen: (channel, listener) => {
      assertChannel(channel);
      const unsubscribing = pglite.listen(channel, (payload) => listener.message(payload));
      void unsubscribing.then(
        () => listener.resync(),
        () => {},
      );
      return async () => {
        const unsubscribe = await unsubscribing.catch(() => null);
        if (unsubscribe && !pglite.closed) await unsubscribe().catch(() => {});
      };
    },
  };
}
