// `pnpm start` serves the dashboard at `/`: build it first when it has never been built, so a fresh
// clone shows it without a separate step. A failed build is reported and the API starts anyway.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dashboard = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(dashboard, 'dist', 'index.html'))) {
  console.log('Building the dashboard once (apps/dashboard/dist)…');
  const vite = path.join(dashboard, 'node_modules', '.bin', process.platform === 'win32' ? 'vite.cmd' : 'vite');
  const result = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: dashboard, stdio: 'inherit' });
  if (result.status !== 0) console.warn('The dashboard could not be built; the API starts without it.');
}
