// Starting the bench's processes and reading set-up answers, shared by run.ts and rest.ts.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Forks `script` (a file of this folder) under tsx and resolves once it says 'ready'. */
export function start(script: string, argv: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  // The gateway samples retained memory after a full collection.
  const flags = script === 'gateway-server.ts' ? ['--expose-gc'] : [];
  const child = fork(path.join(here, script), argv, {
    execArgv: ['--import', 'tsx', ...flags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => (message === 'ready' ? resolve(child) : reject(new Error(JSON.stringify(message)))));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

// Set-up answers are read loosely: a wrong shape fails loudly on first use.
export async function json(url: string, method: string, body: unknown, token?: string): Promise<any> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await response.json();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** The gateway's JWT secret in the bench; the REST floor verifies the same tokens with it. */
export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

/**
 * Sends `request` to a bench process and resolves when it answers `ready`; its `{ layersFailed }`
 * answer rejects (the gateway's layer servers, layers.ts and rest-layers.ts).
 */
export function askAndWait(child: ChildProcess, request: object, ready: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message === ready) resolve();
      else if (typeof message === 'object' && message !== null && 'layersFailed' in message)
        reject(new Error(String(message.layersFailed)));
      else return;
      child.off('message', onMessage);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}
