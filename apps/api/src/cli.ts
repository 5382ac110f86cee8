// `pnpm maas <command>`: operator commands over the server's own configuration. See `pnpm maas --help`.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  env: process.env,
});
