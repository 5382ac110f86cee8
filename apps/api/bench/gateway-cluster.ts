// `pnpm bench --workers N`: the gateway as N cluster workers on one port (issue 18 target 6), the
// same start as MAAS_WORKERS=N. To the bench this primary is the gateway process: it answers 'cpu'
// with the CPU time of all its workers and its own, so CPU per request stays comparable.
import cluster, { type Worker } from 'node:cluster';

function ask(worker: Worker, message: string): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const onMessage = (answer: unknown) => {
      if (typeof answer === 'object' && answer !== null && 'cpu' in answer) {
        worker.off('message', onMessage);
        resolve((answer as { cpu: NodeJS.CpuUsage }).cpu);
      }
    };
    worker.on('message', onMessage);
    worker.send(message);
  });
}

/** Forks `count` workers of this script and serves the bench's messages; ends the process on 'stop'. */
export async function runCluster(count: number, env: Record<string, string>, dropDatabase: () => Promise<void>): Promise<never> {
  const workers = Array.from({ length: count }, () => cluster.fork(env));
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', (message) => (message === 'ready' ? resolve() : reject(new Error(JSON.stringify(message)))));
          worker.once('exit', (code) => reject(new Error(`gateway worker exited with ${code}`)));
        }),
    ),
  );
  process.on('message', (message) => {
    if (message === 'cpu') {
      void Promise.all(workers.map((worker) => ask(worker, 'cpu'))).then((usages) => {
        const own = process.cpuUsage();
        process.send?.({
          cpu: usages.reduce((sum, usage) => ({ user: sum.user + usage.user, system: sum.system + usage.system }), own),
        });
      });
    }
    if (message === 'stop') {
      for (const worker of workers) worker.send('stop');
      void Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))))
        .then(dropDatabase)
        .then(() => process.exit(0));
    }
  });
  process.send?.('ready');
  return new Promise<never>(() => {});
}
