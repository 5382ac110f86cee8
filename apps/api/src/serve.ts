import { deleteExpiredFiles, type PlatformConfig, releaseStaleLeases, releaseStaleReservations } from '@maas/api';
import { startBanner } from './banner.js';
import { buildServer } from './server.js';

export interface ServeOptions {
  /** Print the start banner (a cluster prints it from its first worker, and from the one that created the admin). */
  banner: 'always' | 'when-admin-created';
  /** Answer each request with an `x-maas-worker-pid` header (tests of the cluster only). */
  workerPidHeader?: boolean;
}

/** One server process: the HTTP host, its sweepers, and a graceful stop on SIGTERM/SIGINT. */
export async function serve(config: PlatformConfig, options: ServeOptions): Promise<void> {
  const server = await buildServer({ config });
  if (options.workerPidHeader) {
    const pid = String(process.pid);
    server.app.addHook('onRequest', async (_request, reply) => {
      void reply.header('x-maas-worker-pid', pid);
    });
  }
  await server.app.listen({ port: config.port, host: config.host });
  if (options.banner === 'always' || server.bootstrap.initialAdmin) process.stdout.write(`${startBanner(server, config.publicUrl)}\n`);

  // A reservation or wallet lease from before instances beat (no instance_id) still held long after
  // any call could last was left by a crashed process: release it (nothing charged) so the money is
  // spendable again. Holds of instances that beat are released within seconds of their instance
  // dying, by every live instance (packages/api/src/billing/instance.ts).
  const STALE_RESERVATION_MS = 15 * 60_000;
  const sweeper = setInterval(() => {
    Promise.all([
      releaseStaleReservations(server.platform.billingDb, STALE_RESERVATION_MS),
      releaseStaleLeases(server.platform.billingDb, STALE_RESERVATION_MS),
    ])
      .then(([reservations, leases]) => {
        if (reservations + leases > 0) server.app.log.warn({ reservations, leases }, 'released stale model-call holds');
      })
      .catch((error: unknown) => server.app.log.warn({ err: error }, 'stale reservation sweep failed'));
  }, 60_000);
  sweeper.unref();

  // Generated media past their retention (MAAS_GENERATED_FILE_RETENTION_HOURS) are deleted, bytes and row.
  const fileSweeper = setInterval(() => {
    deleteExpiredFiles(server.platform)
      .then((deleted) => {
        if (deleted > 0) server.app.log.info({ deleted }, 'deleted expired generated files');
      })
      .catch((error: unknown) => server.app.log.warn({ err: error }, 'expired file sweep failed'));
  }, 10 * 60_000);
  fileSweeper.unref();

  let stopping = false;
  async function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // A request stuck forever must not keep the process alive past a supervisor's patience.
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    try {
      await server.close();
      process.exit(0);
    } catch (error) {
      server.app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
