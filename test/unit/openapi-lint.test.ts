/**
 * Redocly CLI (a devDependency) lints docs/openapi.json with its recommended ruleset (redocly.yaml): no
 * error and no warning. It runs as its own process with telemetry and the update notice off, and its
 * output is captured, so a passing run prints nothing. A copy of the document broken on purpose shows
 * the lint really refuses errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process';

const run = promisify(execFile);
const CLI = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
const DOCUMENT = join(ROOT, 'docs/openapi.json');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
}

/** `redocly lint <file> --format=json`; its exit status is 1 when it finds an error. */
async function lint(file: string): Promise<LintReport> {
  const options = {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 16 * 1024 * 1024,
  };
  const stdout = await run(process.execPath, [CLI, 'lint', file, '--format=json'], options).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  return JSON.parse(stdout) as LintReport;
}

const summary = (report: LintReport) =>
  report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`).join('\n');

const scratch = mkdtempSync(join(tmpdir(), 'latchkey-redocly-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Redocly lint of docs/openapi.json', () => {
  it('finds no error and no warning', async () => {
    const report = await lint(DOCUMENT);
    expect(report.totals, summary(report)).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('refuses a document with an error (a reference to a schema that does not exist)', async () => {
    const broken = readFileSync(DOCUMENT, 'utf8').replace(
      '"$ref": "#/components/schemas/Whoami"',
      '"$ref": "#/components/schemas/NoSuchSchema"',
    );
    expect(broken).toContain('NoSuchSchema');
    const file = join(scratch, 'broken.json');
    writeFileSync(file, broken);
    const report = await lint(file);
    expect(report.totals.errors, summary(report)).toBeGreaterThan(0);
    expect(report.problems.map((p) => p.ruleId)).toContain('no-unresolved-refs');
  }, 60_000);
});
