/**
 * Every relative link in the README and `docs/*.md` resolves: the file exists, and an anchor names a
 * heading of the page it points at (with the anchor GitHub gives that heading). Links to other sites
 * are not followed: the tests make no network call.
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  headingAnchors,
  isExternal,
  markdownFiles,
  markdownLinks,
  ROOT,
  readMarkdown,
} from '../helpers/markdown';

/** Where a link from `from` points: a path from the repository root and an anchor (both may be empty). */
function resolveLink(from: string, target: string): { path: string; anchor: string } {
  const hash = target.indexOf('#');
  const file = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
  const path = file === '' ? from : normalize(join(dirname(from), decodeURIComponent(file)));
  return { path, anchor };
}

describe('Markdown links', () => {
  it('finds the pages and their links', () => {
    expect(markdownFiles()).toEqual(
      expect.arrayContaining(['README.md', 'docs/deploy.md', 'docs/protocol.md']),
    );
    const links = markdownLinks(readMarkdown('README.md'));
    expect(links.filter((l) => !isExternal(l.target)).length).toBeGreaterThan(10);
  });

  it.each(markdownFiles().map((file) => [file]))('%s: every relative link and anchor resolves', (file) => {
    const broken: string[] = [];
    for (const { line, target } of markdownLinks(readMarkdown(file))) {
      if (isExternal(target)) continue;
      const { path, anchor } = resolveLink(file, target);
      const where = `${file}:${line} → ${target}`;
      if (relative(ROOT, join(ROOT, path)).startsWith('..')) broken.push(`${where} (outside the repository)`);
      else if (!existsSync(join(ROOT, path))) broken.push(`${where} (no such file)`);
      else if (anchor && !path.endsWith('.md'))
        broken.push(`${where} (anchor into a file that is not Markdown)`);
      else if (anchor && !headingAnchors(readMarkdown(path)).has(anchor))
        broken.push(`${where} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});

describe('heading anchors', () => {
  it('are made as GitHub makes them', () => {
    const anchors = headingAnchors(
      [
        '# latchkey',
        '## What `cdk destroy` keeps, and why',
        '### 2.6 Signing profiles: the path/nonce boundary',
        '## Node.js versions',
        '```bash',
        '# a comment, not a heading',
        '```',
        '## Hot keys',
        '## Hot keys',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'latchkey',
      'what-cdk-destroy-keeps-and-why',
      '26-signing-profiles-the-pathnonce-boundary',
      'nodejs-versions',
      'hot-keys',
      'hot-keys-1',
    ]);
  });

  it('catch a link to a heading that does not exist', () => {
    const page = '## Deploy\n\nSee [the outputs](#outputs) and [deploying](#deploy).\n';
    const missing = markdownLinks(page).filter((l) => !headingAnchors(page).has(l.target.slice(1)));
    expect(missing).toEqual([{ line: 3, target: '#outputs' }]);
  });
});
