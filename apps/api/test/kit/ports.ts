import { createServer } from 'node:net';

/*
 * A port for a server a test starts later (a child process, a private PostgreSQL). Taken below
 * Linux's ephemeral range (32768–60999): a port the kernel handed out for `listen(0)` is also one
 * it hands to outgoing connections, and with a whole suite connecting in parallel one of those took
 * a probed port in the seconds before the child bound it (EADDRINUSE in CI).
 */
const LOW = 20_000;
const HIGH = 32_768;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 50 tries`);
}
