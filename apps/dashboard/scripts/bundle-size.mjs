// The first load's JavaScript, gzipped: the entry chunk and every chunk it imports statically,
// read from Vite's manifest (dist/.vite/manifest.json). Dynamic imports (one per screen) are not
// part of the first load. `node scripts/bundle-size.mjs` checks an existing build against the budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const INITIAL_JS_BUDGET = 300 * 1024;

/**
 * @param {string} dist
 * @param {string[]} [alsoLoaded] manifest keys loaded with the first screen (e.g. 'src/screens/Overview.tsx')
 * @returns {{ files: string[], gzipBytes: number }}
 */
export function initialJs(dist, alsoLoaded = []) {
  const manifest = JSON.parse(readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8'));
  const entries = [...Object.keys(manifest).filter((key) => manifest[key].isEntry), ...alsoLoaded];
  const seen = new Set();
  const walk = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const next of manifest[key].imports ?? []) walk(next);
  };
  entries.forEach(walk);
  const files = [...seen].map((key) => manifest[key].file).filter((file) => file.endsWith('.js'));
  const gzipBytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length, 0);
  return { files, gzipBytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  // The sign-in page alone, and the shell with the overview (the first screen after signing in).
  const sizes = [initialJs(dist), initialJs(dist, ['src/screens/Overview.tsx'])];
  for (const { files, gzipBytes } of sizes) {
    console.log(`first load: ${files.join(', ')} = ${kb(gzipBytes)} gzipped (budget ${kb(INITIAL_JS_BUDGET)})`);
  }
  if (sizes.some((size) => size.gzipBytes > INITIAL_JS_BUDGET)) {
    console.error('The first load is over budget: split the new code by screen (React.lazy).');
    process.exit(1);
  }
}
