/**
 * The package is ready to publish: the tarball `npm pack` makes holds what users import (every `exports`
 * target, its declarations, the CDK construct's prebundled Lambdas, the CLI, local mode for `latchkey
 * dev`) and the documentation, and nothing else; `publint` and `@arethetypeswrong/cli` find nothing in
 * it; `npm publish --dry-run` prints no warning. latchkey is ESM only (its Lambda bundles await their INIT
 * at the top level), so the types check uses attw's `esm-only` profile: CommonJS `require` of an ES module
 * is not checked. npm test builds dist/ first, so the pack runs with --ignore-scripts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  private?: boolean;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
};

/** Everything the tarball may hold: the package's own files, what users import or run, and the docs. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^bin\/latchkey-cli\.mjs$/,
  /^dist\/(sdk|cdk|integration)\/index\.js$/,
  /^dist\/verify\/(index|lambda|hono|express)\.js$/,
  /^dist\/verify\/chunks\/chunk-[A-Z0-9]+\.js$/,
  /^dist\/cli\.js$/,
  /^dist\/lambda\/[a-z-]+\/index\.mjs$/,
  /^dist\/local\/mode\/index\.js$/,
  /^dist\/types\/(lib|lambdas)\/.+\.d\.ts$/,
  /^docs\/[a-z-]+(\.schema)?\.(md|json)$/,
  /^docs\/images\/[a-z0-9-]+\.png$/,
  /^examples\/.+\.(ts|mjs|json|md)$/,
];

let dir: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-publish-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
  });
  const [{ filename, files: list }] = JSON.parse(packed.stdout) as [
    { filename: string; files: { path: string }[] },
  ];
  tarball = join(dir, filename);
  files = list.map((f) => f.path);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the package as published', () => {
  it('is public, with a 0.x version', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^0\.\d+\.\d+$/);
  });

  it('the tarball holds what users import and the docs, and nothing else', () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    // Every export's targets (types first, then the code), and the CLI.
    const targets = Object.values(pkg.exports).flatMap((target) => {
      if (typeof target === 'string') return [target];
      expect(Object.keys(target)[0]).toBe('types');
      return [target.types, target.default];
    });
    for (const target of [...targets, ...Object.values(pkg.bin)])
      expect(files, target).toContain(posix.normalize(target));
    expect(files).toContain('CHANGELOG.md');
    expect(files.some((f) => f.startsWith('test/') || f.endsWith('.map') || /^lib\/.+\.ts$/.test(f))).toBe(
      false,
    );
  });

  it('publint finds nothing in the tarball', async () => {
    // pkgDir unset: publint finds the package root inside the tarball it unpacks.
    const bytes = readFileSync(tarball);
    const { messages } = await publint({
      pack: {
        tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((m) => formatMessage(m, pkg as never) ?? m.code)).toEqual([]);
  });

  it('attw: every entry point resolves to its types (ESM-only profile)', async () => {
    const attw = join(ROOT, 'node_modules/.bin/attw');
    const out = await run(attw, [tarball, '--profile', 'esm-only', '--format', 'json'], { cwd: dir }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const report = JSON.parse(out.stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, Array<{ kind: string; entrypoint: string; resolutionKind?: string }>>;
    };
    expect(Object.keys(report.analysis.entrypoints)).toEqual(
      expect.arrayContaining(Object.keys(pkg.exports)),
    );
    // The esm-only profile ignores node10 and node16-from-CJS resolutions; anything else is a problem.
    const problems = Object.values(report.problems)
      .flat()
      .filter((p) => !['node10', 'node16-cjs'].includes(p.resolutionKind ?? ''));
    expect(problems).toEqual([]);
  }, 60_000);

  it('npm publish --dry-run prints no warning about the package', async () => {
    const { stderr } = await run('npm', ['publish', '--dry-run', '--ignore-scripts'], { cwd: ROOT });
    const warnings = stderr
      .split('\n')
      .filter((line) => /^npm warn/i.test(line))
      // Whether this machine is logged in to the registry is not the package's concern.
      .filter((line) => !/requires you to be logged in/.test(line));
    expect(warnings).toEqual([]);
  }, 60_000);
});
