import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_EXPOSURE_NOTICE, localDataPaths, localLogFile } from '#local/constants';
import { freePort } from '#local/net';
import { runCli } from '../helpers/cli';
import { fencedBlock } from '../helpers/markdown';
import { ROOT, startLocalProcess, waitForLine } from '../helpers/process';

/**
 * `npm start` as a user runs it: a real process, real ports, the documented walkthroughs (the README's
 * curl walkthrough, protocol §2.2's openssl signing, the CLI's) run verbatim with curl and bash,
 * Ctrl-C, a restart on the same data, and its failure messages; and as an HTTP API, where the README's
 * walkthrough and the openssl signing run verbatim too.
 */
const start = startLocalProcess;

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The README's walkthrough, then the signed-requests example of the protocol reference, then the CLI's
 * walkthrough, exactly as written, with only the base URL pointed at this run.
 */
function walkthrough(url: string, { cli = true } = {}): string {
  const blocks = [
    fencedBlock('README.md', 'bash walkthrough'),
    fencedBlock('docs/protocol.md', 'bash signed'),
    ...(cli ? [fencedBlock('docs/cli.md', 'bash cli')] : []),
  ];
  const script = blocks.join('\n');
  return script.replace(/^export LATCHKEY_URL=.*$/gm, `export LATCHKEY_URL=${url}`);
}

let dataDir: string;
let port: number;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
  port = await freePort();
  env = {
    PORT: String(port),
    LATCHKEY_SECRETS_PORT: String(await freePort()),
    LATCHKEY_DYNAMODB_PORT: String(await freePort()),
    LATCHKEY_DATA_DIR: dataDir,
  };
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs the documented walkthroughs verbatim, stops on Ctrl-C, and keeps every key across a restart', async () => {
    const first = start(env);
    let firstKey = '';
    try {
      const line = await waitForLine(first, /latchkey listening on http:\/\/\S+/);
      expect(line).toBe(`latchkey listening on http://127.0.0.1:${port}`);
      expect(first.output()).toMatch(/Admin key \(generated now/);

      const script = walkthrough(`http://127.0.0.1:${port}`);
      const transcript = execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        // About 20 CLI calls through npx, each paying npm's start-up: generous on a loaded 2-core machine.
        timeout: 240_000,
      });
      // The walkthrough ends with the revoked key being refused.
      expect(transcript).toContain('"code":"unauthorized"');
      expect(transcript).toMatch(/"principal":"key"/);
      // The signed GET and POST are echoed back, the POST with its body.
      expect(transcript).toMatch(/"method":"GET","path":"\/v1\/echo\/orders"/);
      expect(transcript).toContain('"method":"POST","path":"/v1/echo/orders"');
      expect(transcript).toContain('"body":"{\\"sku\\": \\"A-1\\", \\"qty\\": 2}"');
      // The CLI block ran to its end: the rotated key is listed as revoked.
      expect(transcript).toMatch(/^Revoked key [A-Za-z0-9]{16} \(ci\) at /m);
      expect(transcript).toMatch(/^active keys +1$/m);
      firstKey = /lk_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}/.exec(transcript)?.[0] ?? '';
      expect(firstKey).not.toBe('');
      // latchkey doctor --local passes against it, from the same environment npm start was given.
      const doctor = await runCli(['doctor', '--local'], env);
      expect(doctor.stderr).toBe('');
      expect(doctor.stdout).toContain('16 passed, 0 failed, 0 skipped (REST API)');
      expect(doctor.code).toBe(0);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shutting down');
    // Everything it started is gone: the ports are free again.
    for (const p of [env.PORT, env.LATCHKEY_SECRETS_PORT, env.LATCHKEY_DYNAMODB_PORT]) {
      expect(await portIsFree(Number(p))).toBe(true);
    }
    // One access line per request on the terminal, the handlers' JSON lines in the log file; neither
    // contains the key or the admin key.
    const accessLines = first
      .output()
      .split('\n')
      .filter((l) => /^[A-Z]+ \/\S* \d{3} /.test(l));
    expect(accessLines.length).toBeGreaterThan(0);
    expect(accessLines).toContainEqual(expect.stringMatching(/^POST \/v1\/keys 201 admin \d+ ms$/));
    expect(first.output()).not.toContain('{"level"');
    const logLines = readFileSync(localLogFile(dataDir), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    const adminKey =
      /Admin key \(generated now, shown once here\): (\S+)/.exec(first.output())?.[1] ?? 'missing';
    for (const l of [...logLines, ...accessLines]) {
      expect(l).not.toContain(firstKey.slice(20));
      expect(l).not.toContain(adminKey);
    }

    const second = start(env);
    try {
      await waitForLine(second, /latchkey listening on/);
      expect(second.output()).not.toMatch(/generated now/);
      const admin = execFileSync('npm', ['run', '-s', 'admin-key'], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      })
        .toString()
        .trim();
      expect(admin).toBe(adminKey);
      const res = await fetch(`http://127.0.0.1:${port}/v1/keys?limit=100`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const body = (await res.json()) as { keys: Array<{ status: string }> };
      expect(body.keys.length).toBeGreaterThanOrEqual(1);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 360_000);

  it("LATCHKEY_API_TYPE=http answers as an HTTP API: the same keys, the HTTP API's own refusals", async () => {
    const httpDir = mkdtempSync(join(tmpdir(), 'latchkey-start-http-'));
    const httpPort = await freePort();
    const httpEnv = {
      PORT: String(httpPort),
      LATCHKEY_SECRETS_PORT: String(await freePort()),
      LATCHKEY_DYNAMODB_PORT: String(await freePort()),
      LATCHKEY_DATA_DIR: httpDir,
      LATCHKEY_API_TYPE: 'http',
    };
    const run = start(httpEnv);
    try {
      await waitForLine(run, /latchkey listening on/);
      expect(run.output()).toContain(
        'Local gateway answers as an API Gateway HTTP API (LATCHKEY_API_TYPE=http)',
      );
      const url = `http://127.0.0.1:${httpPort}`;
      const admin = /Admin key \(generated now, shown once here\): (\S+)/.exec(run.output())?.[1] ?? '';
      const created = await fetch(`${url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'http mode', roles: ['viewer'] }),
      });
      expect(created.status).toBe(201);
      const token = ((await created.json()) as { raw_key: string }).raw_key;
      const as = (authorization: string | null, method = 'GET', path = '/v1/echo/x') =>
        fetch(`${url}${path}`, { method, headers: authorization === null ? {} : { authorization } });
      const ok = await as(`Bearer ${token}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('apigw-requestid')).toMatch(/\S/);
      for (const [authorization, method, status, message] of [
        // No identity source (RFC 9421 requests carry none): the authorizer refuses a missing credential.
        [null, 'GET', 403, 'Forbidden'],
        [`Bearer ${token.slice(0, -1)}x`, 'GET', 403, 'Forbidden'],
        [`Bearer ${token}`, 'POST', 403, 'Forbidden'],
      ] as const) {
        const res = await as(authorization, method);
        expect(res.status).toBe(status);
        expect(await res.json()).toEqual({ message });
      }
      // The README's walkthrough and the protocol's openssl signing, verbatim, behind the HTTP API: the
      // same answers, and the revoked key's refusal is the HTTP API's own.
      const transcript = execFileSync('bash', ['-euo', 'pipefail', '-c', walkthrough(url, { cli: false })], {
        cwd: ROOT,
        env: { ...process.env, ...httpEnv },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      });
      expect(transcript).toMatch(/"principal":"key"/);
      expect(transcript).toMatch(/"method":"GET","path":"\/v1\/echo\/orders"/);
      expect(transcript).toContain('"body":"{\\"sku\\": \\"A-1\\", \\"qty\\": 2}"');
      expect(transcript).toContain('{"message":"Forbidden"}');
      expect(transcript).not.toContain('"code":"unauthorized"');
      // Public routes and the access lines work as in REST mode.
      expect((await fetch(`${url}/v1/openapi.json`)).status).toBe(200);
      expect(run.output()).toMatch(/^GET \/v1\/echo\/x 200 /m);
    } finally {
      run.child.kill('SIGINT');
      await run.exited;
      rmSync(httpDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('explains a busy port in one line, without a stack trace', async () => {
    const blocker = createServer();
    const busy = await freePort();
    await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', () => r()));
    try {
      const s = start({ ...env, PORT: String(busy) });
      expect(await s.exited).toBe(1);
      const lines = s.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^latchkey: Port ${busy} is already in use.*PORT`));
    } finally {
      blocker.close();
    }
  });

  it('uses LATCHKEY_ADMIN_KEY when set; says once that DynamoDB Local cannot be closed; names the credential files', async () => {
    const adminKey = 'A'.repeat(20) + 'b'.repeat(20);
    const otherDir = join(dataDir, 'other');
    // No LATCHKEY_DYNAMODB_PORT: DynamoDB Local on a free port.
    const s = start({
      ...env,
      LATCHKEY_ADMIN_KEY: adminKey,
      LATCHKEY_DATA_DIR: otherDir,
      LATCHKEY_DYNAMODB_PORT: '',
    });
    try {
      await waitForLine(s, /latchkey listening on/);
      expect(s.output()).not.toContain(adminKey);
      // DynamoDB Local has no bind option: one line at start says it listens on every interface.
      const lines = s.output().split('\n');
      expect(lines.filter((l) => l === DYNAMODB_EXPOSURE_NOTICE)).toHaveLength(1);
      expect(lines.filter((l) => /every network interface/.test(l))).toHaveLength(1);
      const credentials = localDataPaths(otherDir).credentials;
      expect(s.output()).toContain(`AWS_SHARED_CREDENTIALS_FILE=${credentials} aws --profile latchkey-local`);
      expect(statSync(credentials).mode & 0o777).toBe(0o600);
      const dynamodbCredentials = localDataPaths(otherDir).dynamodbCredentials;
      expect(s.output()).toMatch(
        new RegExp(`^DynamoDB Local: +http://127\\.0\\.0\\.1:\\d+ .*${dynamodbCredentials}, mode 0600`, 'm'),
      );
      expect(statSync(dynamodbCredentials).mode & 0o777).toBe(0o600);
      const res = await fetch(`http://127.0.0.1:${port}/v1/whoami`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(res.status).toBe(200);
    } finally {
      s.child.kill('SIGINT');
      await s.exited;
    }
  });

  it('explains a missing or too old Java in one line', async () => {
    const noJava = mkdtempSync(join(tmpdir(), 'latchkey-nojava-'));
    const missing = start({ ...env, PATH: noJava, LATCHKEY_DATA_DIR: join(dataDir, 'nojava') });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(/^latchkey: Java 17 or newer is required for DynamoDB Local: install it/),
    ]);

    writeFileSync(join(noJava, 'java'), '#!/bin/sh\necho \'java version "1.8.0_292"\' >&2\n', {
      mode: 0o755,
    });
    const old = start({
      ...env,
      PATH: `${noJava}:/bin:/usr/bin`,
      LATCHKEY_DATA_DIR: join(dataDir, 'oldjava'),
    });
    expect(await old.exited).toBe(1);
    expect(old.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^latchkey: .*\(found Java 8\)/)]);
  });
});
