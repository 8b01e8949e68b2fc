/**
 * `latchkey dev`: local mode started by the CLI (what `npm start` runs), in this process through
 * `main(argv, io)` with real ports, a real DynamoDB Local and a data folder: its banner, one access line
 * per request instead of the handlers' JSON lines (which go to the log file), a clean stop. While it
 * runs, `latchkey admin-key --local` reads the admin key in a child process that cannot load
 * @aws-sdk/client-secrets-manager (an optional dependency an installed package may not have).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '#cli/index';
import { localLogFile } from '#local/constants';
import { freePort } from '#local/net';
import { ROOT } from '../helpers/process';
import { API_TYPES, REFUSALS } from '../helpers/refusals';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-dev-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function until<T>(read: () => T | null | undefined, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CLI's launcher in a child process whose module resolution refuses the Secrets Manager client. */
function launchWithoutSecretsSdk(args: string[], env: Record<string, string>) {
  const hooks = join(dataDir, 'no-secrets-sdk.mjs');
  writeFileSync(
    hooks,
    "import { register } from 'node:module';\n" +
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(
        'export async function resolve(specifier, context, next) {\n' +
          "  if (specifier.startsWith('@aws-sdk/client-secrets-manager')) {\n" +
          "    throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });\n" +
          '  }\n' +
          '  return next(specifier, context);\n' +
          '}\n',
      )}));\n`,
  );
  const child = spawn(process.execPath, ['--import', hooks, join(ROOT, 'bin/latchkey-cli.mjs'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe.each(API_TYPES)('latchkey dev (%s API)', (apiType) => {
  it('runs local mode with an access log, serves admin-key --local without the AWS SDK, and stops cleanly', async () => {
    const modeDir = join(dataDir, apiType);
    const env = {
      PORT: String(await freePort()),
      LATCHKEY_SECRETS_PORT: String(await freePort()),
      LATCHKEY_DYNAMODB_PORT: String(await freePort()),
      LATCHKEY_DATA_DIR: modeDir,
      LATCHKEY_API_TYPE: apiType,
    };
    const refusedStatus = REFUSALS[apiType].bad_credential.status;
    let stdout = '';
    let stderr = '';
    const stop = new AbortController();
    const exited = main(['dev'], {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env,
      signal: stop.signal,
    });
    let code: number | undefined;
    void exited.then((c) => {
      code = c;
    });
    try {
      const url = await until(
        () => (code === undefined ? /^latchkey listening on (\S+)$/m.exec(stdout)?.[1] : `exited: ${stderr}`),
        'latchkey dev to listen',
      );
      expect(url).toBe(`http://127.0.0.1:${env.PORT}`);
      const adminKey = /^Admin key \(generated now, shown once here\): (\S+)$/m.exec(stdout)?.[1] ?? '';
      expect(adminKey).toMatch(/^[A-Za-z0-9]{32,}$/);
      // The banner's commands work from any folder: npx, and the launcher by its path.
      expect(stdout).toMatch(
        /npx latchkey whoami \(in scripts, without npm's start-up: node \S*bin\/latchkey-cli\.mjs whoami\)/,
      );

      const ok = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(ok.status).toBe(200);
      const refused = await fetch(`${url}/v1/whoami?token=x`, { headers: { authorization: 'Bearer nope' } });
      expect(refused.status).toBe(refusedStatus);
      // Each API's own request-id header (an HTTP API's is apigw-requestid).
      const requestId = refused.headers.get(apiType === 'http' ? 'apigw-requestid' : 'x-amzn-requestid');
      expect(requestId).toMatch(/\S/);

      await until(() => (stdout.includes(` ${refusedStatus} `) ? true : null), 'the access lines');
      const access = stdout.split('\n').filter((l) => /^[A-Z]+ \//.test(l));
      expect(access[0]).toMatch(/^GET \/v1\/whoami 200 admin \d+ ms$/);
      // The reason the authorizer logged; the query string is not printed.
      expect(access[1]).toMatch(new RegExp(`^GET /v1/whoami ${refusedStatus} [a-z_]+ \\d+ ms$`));
      expect(stdout).not.toContain('{"level"');
      expect(access.join('\n')).not.toContain(adminKey);
      // The handlers' JSON lines still go to the log file, for latchkey logs tail.
      const log = readFileSync(localLogFile(modeDir), 'utf8');
      expect(log).toContain(`"request_id":"${requestId}"`);

      const read = await launchWithoutSecretsSdk(['admin-key', '--local'], env);
      expect(read.stderr).toBe('');
      expect(read.stdout).toBe(`${adminKey}\n`);
      expect(read.code).toBe(0);
    } finally {
      stop.abort();
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('latchkey: shutting down');
    for (const port of [env.PORT, env.LATCHKEY_SECRETS_PORT, env.LATCHKEY_DYNAMODB_PORT]) {
      expect(await portIsFree(Number(port))).toBe(true);
    }
  }, 180_000);
});
