import cluster from 'node:cluster';
import { loadConfig } from '@maas/api';
import { runPrimary, workerCount } from './cluster.js';
import { tuneGarbageCollection } from './gc-tuning.js';
import { serve } from './serve.js';

tuneGarbageCollection();

const config = loadConfig();
// Only the primary decides; a worker is a server process like a single one.
const workers = cluster.isPrimary ? workerCount(config) : 1;
if (cluster.isPrimary && workers > 1) {
  await runPrimary(config, workers, (message) => process.stderr.write(`${message}\n`));
} else {
  // One banner for a cluster: from its first worker (or whichever created the initial admin).
  const firstWorker = config.workerSlot === undefined || config.workerSlot === 0;
  await serve(config, { banner: firstWorker ? 'always' : 'when-admin-created', workerPidHeader: config.exposeWorkerPid });
}
