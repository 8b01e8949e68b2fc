/**
 * `latchkey logs tail` against a real local mode with a data folder of its own: local mode appends the
 * handlers' log lines to <data dir>/latchkey.log, and the CLI (in process) prints the authorizer's
 * refusals from it with their reasons, narrowed by key id and request id, and follows new ones.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/index';
import { randomBase62 } from '#core/base62';
import { REFUSAL_REASONS } from '#core/refusals';
import { formatToken, SECRET_LENGTH } from '#core/token';
import { localLogFile } from '#local/constants';
import { runCli } from '../helpers/cli';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-logs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
const lk = useLatchkey({ dataDir, now: clock });
const env = { LATCHKEY_DATA_DIR: dataDir };

type ErrorBody = { error: { code: string; request_id: string } };

/** A well-formed token for a key id with a secret that is not the key's: refused as wrong_secret. */
const wrongToken = (keyId: string) => formatToken('lk', keyId, randomBase62(SECRET_LENGTH));

let a: { id: string; token: string };
let b: { id: string; token: string };
const tokens: string[] = [];
let wrongSecretRequest = '';
let rateLimitedRequest = '';

beforeAll(async () => {
  // 5 s into a fresh rate-limit window of the handlers' clock, so that two calls fall in one window.
  offsetMs += 60_000 - (clock() % 60_000) + 5_000;
  a = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 1 });
  b = await createKey(lk.call, lk.admin);
  const wrongA = wrongToken(a.id);
  const wrongB = wrongToken(b.id);
  tokens.push(a.token, b.token, wrongA, wrongB, lk.admin);

  const refused = await lk.call<ErrorBody>('GET', '/v1/echo/x', { token: wrongA });
  expect(refused.status).toBe(401);
  wrongSecretRequest = refused.body.error.request_id;
  expect((await lk.call('GET', '/v1/echo/x', { token: a.token })).status).toBe(200);
  const limited = await lk.call<ErrorBody>('GET', '/v1/echo/x', { token: a.token });
  expect(limited.body.error.code).toBe('rate_limited');
  rateLimitedRequest = limited.body.error.request_id;
  expect((await lk.call('GET', '/v1/echo/x', { token: wrongB })).status).toBe(401);
});

/** A reason's explanation as the end of a printed line matches it (its parentheses escaped). */
const explained = (reason: keyof typeof REFUSAL_REASONS) =>
  `  — ${REFUSAL_REASONS[reason].explanation.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;

/** No output line carries a token, the admin key or a token's secret part. */
function expectNoSecrets(output: string): void {
  for (const token of tokens) {
    expect(output).not.toContain(token);
    expect(output).not.toContain(token.slice(-49));
  }
}

describe('latchkey logs tail (local mode)', () => {
  it("prints one key's refusals with their reasons and explanations, and no other key's lines", async () => {
    const res = await runCli(['logs', 'tail', '--no-follow', '--key', a.id], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  WARN   unauthorized  wrong_secret +key ${a.id}  request ${wrongSecretRequest}${explained('wrong_secret')}$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `WARN   deny +rate_limited +key ${a.id}  request ${rateLimitedRequest}${explained('rate_limited')}$`,
      ),
    );
    expect(res.stdout).not.toContain(b.id);
    expectNoSecrets(res.stdout);
  });

  it('--request-id narrows it to that request; --json prints the lines as logged', async () => {
    const res = await runCli(
      ['logs', 'tail', '--no-follow', '--request-id', rateLimitedRequest, '--json'],
      env,
    );
    expect(res.code).toBe(0);
    const lines = res.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'deny', reason: 'rate_limited', key_id: a.id }),
    ]);
    expectNoSecrets(res.stdout);
  });

  it('shows only refusals unless --all, and every key without --key', async () => {
    const refusals = await runCli(['logs', 'tail', '--no-follow'], env);
    expect(refusals.stdout).toContain(b.id);
    expect(refusals.stdout).not.toMatch(/ INFO /);
    const all = await runCli(['logs', 'tail', '--no-follow', '--all', '--key', a.id], env);
    expect(all.stdout).toMatch(new RegExp(`INFO   allow +- +key ${a.id}`));
    expectNoSecrets(`${refusals.stdout}${all.stdout}`);
  });

  it('follows: prints a refusal that happens after it started, until stopped', async () => {
    const stop = new AbortController();
    let stdout = '';
    let seen: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const wrongA = wrongToken(a.id);
    tokens.push(wrongA);
    const running = main(['logs', 'tail', '--key', a.id, '--since', '0s'], {
      stdout: (text) => {
        stdout += text;
        if (stdout.includes('wrong_secret')) seen();
      },
      stderr: (text) => {
        stdout += text;
      },
      env,
      signal: stop.signal,
    });
    // Started from now: the earlier refusals are not printed.
    await new Promise((r) => setTimeout(r, 400));
    expect(stdout).toBe('');
    const refused = await lk.call<ErrorBody>('GET', '/v1/echo/y', { token: wrongA });
    await Promise.race([arrived, new Promise((r) => setTimeout(r, 10_000))]);
    stop.abort();
    expect(await running).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `unauthorized  wrong_secret +key ${a.id}  request ${refused.body.error.request_id}${explained('wrong_secret')}$`,
        ),
      ),
    ]);
    expectNoSecrets(stdout);
  });

  it('keeps the log file readable by its owner only', () => {
    expect(statSync(localLogFile(dataDir)).mode & 0o777).toBe(0o600);
  });

  it('says where it looked when there is no log file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'latchkey-logs-empty-'));
    try {
      const res = await runCli(['logs', 'tail', '--no-follow', '--data-dir', empty], {});
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`latchkey: not_found: no log file at ${join(empty, 'latchkey.log')}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a token given as --key without echoing it', async () => {
    const res = await runCli(['logs', 'tail', '--no-follow', '--key', a.token], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--key takes a key id, not a token');
    expectNoSecrets(res.stderr);
  });
});
