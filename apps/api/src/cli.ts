// `pnpm maas <command>`: operator commands over the server's own configuration. See `pnpm maas --help`.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  // The CLI's entry point hands the environment to main(), which reads it only through loadConfig().
  // eslint-disable-next-line no-restricted-properties
  env: process.env,
});
