/**
 * Local mode's log file (lib/local/log-file.ts) and the CLI's reading of it (lib/cli/logs-local.ts):
 * handler lines written to stdout are copied to the file and still written; other output is not copied;
 * past its size the file is rotated to `.1`; a follower reads across the rotation, every line once, in order.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tailFile } from '#cli/logs-local';
import { openLogFile } from '#local/log-file';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-log-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) =>
  JSON.stringify({ level: 'WARN', message: 'unauthorized', reason: 'wrong_secret', n });

describe('local log file', () => {
  it('copies handler lines (not other output) to a 0600 file and still writes them', () => {
    const path = join(dir, 'latchkey.log');
    const written: string[] = [];
    const write = process.stdout.write;
    // Under the tee: what reaches the stream itself.
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    const file = openLogFile(path);
    try {
      process.stdout.write(`${line(1)}\n`);
      process.stdout.write('latchkey listening on http://127.0.0.1:8787\n');
      process.stderr.write(`${line(2)}\n`);
    } finally {
      file.close();
      process.stdout.write = write;
    }
    expect(readFileSync(path, 'utf8')).toBe(`${line(1)}\n${line(2)}\n`);
    expect(written).toEqual([`${line(1)}\n`, 'latchkey listening on http://127.0.0.1:8787\n']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rotates past its size, and a follower reads every line once, in order, across the rotation', async () => {
    const path = join(dir, 'latchkey.log');
    const file = openLogFile(path, 400);
    const got: string[] = [];
    const stop = new AbortController();
    try {
      for (let n = 0; n < 3; n++) process.stdout.write(`${line(n)}\n`);
      const following = tailFile({
        path,
        follow: true,
        emit: (l) => got.push(l),
        signal: stop.signal,
        pollMs: 10,
      });
      for (let n = 3; n < 12; n++) {
        process.stdout.write(`${line(n)}\n`);
        await new Promise((r) => setTimeout(r, n % 3 === 0 ? 30 : 0));
      }
      await new Promise((r) => setTimeout(r, 100));
      stop.abort();
      await following;
    } finally {
      file.close();
    }
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(400);
    expect(statSync(path).size).toBeLessThanOrEqual(400);
    expect(got.map((l) => JSON.parse(l).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
