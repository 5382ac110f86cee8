// Portkey's open-source gateway (@portkey-ai/gateway 1.15.2, a dev dependency of the bench only)
// in its own process, as the peer row of `pnpm bench` (issue 18 target 7). Its start script reads
// its port from argv and serves at once; everything it needs is installed, nothing is downloaded.
// Its streaming needs @hono/node-server 1.13.8 (pinned beside it, Portkey issues #1389 and #1550).
import { connect } from 'node:net';

const port = Number(process.argv[2] ?? 4105);
process.argv = [process.argv[0]!, 'start-server.js', `--port=${port}`, '--headless'];
// Its start-up spinner writes to stdout many times a second; the bench's output is a table.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
// A script without type declarations: imported by a name TypeScript does not resolve.
const entry = '@portkey-ai/gateway/build/start-server.js';
await import(entry);

const listening = () =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
while (!(await listening())) await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write = write;

process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.send?.('ready');
