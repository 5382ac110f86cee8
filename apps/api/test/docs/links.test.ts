import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 19 part 3: every link of the repository's documentation resolves inside the repository (a
// README once pointed at a contract file that was not in it). Links to other sites are allowed
// only where the text is about that site.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function markdownFiles(): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'packages/sdk/README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', ...docs];
}

const EXTERNAL_ALLOWED = ['https://github.com/changesets/changesets'];

describe('documentation links', () => {
  it.each(markdownFiles())('%s links only to files of the repository', (file) => {
    const markdown = readFileSync(path.join(root, file), 'utf8');
    const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
    for (const link of links) {
      if (/^[a-z]+:/i.test(link)) {
        expect(EXTERNAL_ALLOWED, `${file}: ${link}`).toContain(link);
        continue;
      }
      if (link.startsWith('#')) continue;
      const target = path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(link.split('#')[0] ?? ''));
      expect(target.startsWith(root), `${file}: ${link} leaves the repository`).toBe(true);
      expect(existsSync(target), `${file}: ${link} does not exist`).toBe(true);
    }
  });

  it('keeps the REST contract the README cites in the repository', () => {
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain('](docs/api-v1-contract.md)');
    expect(readFileSync(path.join(root, 'docs/api-v1-contract.md'), 'utf8')).toMatch(/\/api\/v1/);
  });
});
