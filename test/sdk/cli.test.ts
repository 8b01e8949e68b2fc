/**
 * The `latchkey` command against local mode over real HTTP: every command's happy path, human and
 * --json output, exit codes and the one-line error messages. Most cases call `main(argv, io)` in this
 * process (lib/cli); a few spawn the real launcher `npx latchkey` runs (package.json "bin"), for what
 * only a child process shows: help and --version through the launcher, a real command's stdout/stderr
 * split, standard input for `--data @-`, and the missing optional @aws-sdk/client-cloudformation.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { localDataPaths } from '#local/constants';
import type { LocalMode } from '#local/local-mode';
import { writeCredentialFile } from '#local/secrets/credential';
import { LatchkeyClient, type NewKeyResponse } from '#sdk/index';
import { type CliResult, runCli } from '../helpers/cli';
import { startTestLatchkey } from '../helpers/local';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const LAUNCHER = join(ROOT, pkg.bin.latchkey ?? '');
const TOKEN_RE = /lk_[A-Za-z0-9]{16,}_[A-Za-z0-9]{33,}/g;
const ERROR_LINE_RE = /^latchkey: [a-z_0-9]+: .+$/;

let local: LocalMode;
let admin: LatchkeyClient;

beforeAll(async () => {
  local = await startTestLatchkey();
  admin = new LatchkeyClient({ baseUrl: local.url, key: local.adminKey });
});
afterAll(async () => {
  await local?.stop();
});

type Result = CliResult;

interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
}

/** The CLI's environment: LATCHKEY_URL/LATCHKEY_KEY (admin) set, no AWS credentials from the host. */
function cliEnv(overrides: CliOptions['env'] = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    LATCHKEY_URL: local.url,
    LATCHKEY_KEY: local.adminKey,
    ...overrides,
  })) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs the CLI in this process, as `latchkey <args>` would. */
function cli(args: string[], options: CliOptions = {}): Promise<Result> {
  return runCli(args, cliEnv(options.env), options.input);
}

/** Runs the real launcher as a child process, with PATH and HOME only from the host. */
function launch(args: string[], options: CliOptions = {}): Promise<Result> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...cliEnv(options.env) };
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: local mode answers from this very process.
    const child = spawn(process.execPath, [LAUNCHER, ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Asserts a failed run: exit code, one line on stderr naming the code, no stack trace, nothing on stdout. */
function expectError(result: Result, exitCode: number, code: string): string {
  expect(result.code, result.stderr).toBe(exitCode);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(ERROR_LINE_RE);
  expect(lines[0]).toContain(`latchkey: ${code}: `);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
  return lines[0] ?? '';
}

const json = <T = Record<string, unknown>>(result: Result): T => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
};

describe('help', () => {
  it('every command has --help with examples; usage errors exit 2', async () => {
    const commands = [
      'keys create',
      'keys list',
      'keys get',
      'keys revoke',
      'keys rotate',
      'orgs list',
      'orgs get',
      'orgs set',
      'whoami',
      'request',
      'admin-key',
      'logs tail',
    ];
    const results = await Promise.all(commands.map((c) => cli([...c.split(' '), '--help'])));
    results.forEach((result, i) => {
      expect(result.code, commands[i]).toBe(0);
      expect(result.stdout).toContain(`Usage: latchkey ${commands[i]}`);
      expect(result.stdout).toMatch(/Examples:\n {2}latchkey /);
    });
    const [top, group, viaHelp, none, version] = await Promise.all([
      cli(['--help']),
      cli(['keys', '--help']),
      cli(['help', 'orgs', 'set']),
      cli([]),
      cli(['--version']),
    ]);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toContain(`  ${c}`);
    expect(top.stdout).toContain('LATCHKEY_URL');
    expect(group.stdout).toContain('keys rotate');
    expect(viaHelp.stdout).toContain('Usage: latchkey orgs set ORG (--max-keys N|unlimited | --plan PLAN)');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: latchkey <command>');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the launcher (package.json "bin") prints help and the version; no command is a usage error', async () => {
    const [top, version, none] = await Promise.all([launch(['--help']), launch(['--version']), launch([])]);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toContain('Usage: latchkey <command>');
    expect(top.stdout).toContain('  keys create');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: latchkey <command>');
  });

  it('reports usage errors in one line with exit code 2', async () => {
    const results = await Promise.all([
      cli(['frobnicate']),
      cli(['keys', 'frobnicate']),
      cli(['keys', 'create']),
      cli(['keys', 'create', '--name', 'x', '--rate-limit', 'lots']),
      cli(['keys', 'get']),
      cli(['keys', 'list', '--bogus']),
      cli(['orgs', 'set', 'acme']),
      cli(['whoami'], { env: { LATCHKEY_URL: undefined } }),
      cli(['whoami'], { env: { LATCHKEY_KEY: undefined } }),
      cli(['whoami', '--url', 'ftp://example.com']),
      cli(['request', 'GET', '/v1/whoami', '--sign']),
      cli(['admin-key']),
    ]);
    const codes = results.map((r) => expectError(r, 2, r.stderr.match(/^latchkey: ([a-z_]+):/)?.[1] ?? '?'));
    expect(codes[0]).toBe('latchkey: usage_error: unknown command "frobnicate" (see latchkey --help)');
    expect(codes[2]).toBe('latchkey: usage_error: --name is required');
    expect(codes[3]).toContain('--rate-limit must be an integer');
    expect(codes[5]).toContain("Unknown option '--bogus'");
    expect(codes[7]).toContain('missing_config: no API URL');
    expect(codes[8]).toContain('missing_config: no key');
    expect(codes[10]).toContain('sign: true needs an API-key token');
    for (const line of codes) expect(line).not.toContain(local.adminKey);
  });
});

describe('keys', () => {
  it('keys create prints the key details and its raw key once, with the warning on stderr', async () => {
    const result = await cli([
      'keys',
      'create',
      '--name',
      'cli billing',
      '--role',
      'member',
      '--role',
      'viewer',
      '--rate-limit',
      '120',
      '--expires-at',
      '2099-01-01T00:00:00Z',
      '--description',
      'made by the CLI',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const tokens = result.stdout.match(TOKEN_RE) ?? [];
    expect(tokens).toHaveLength(1);
    expect(result.stdout).toMatch(/^Created key [A-Za-z0-9]{16}\.$/m);
    expect(result.stdout).toMatch(/^name +cli billing$/m);
    expect(result.stdout).toMatch(/^roles +member, viewer$/m);
    expect(result.stdout).toMatch(/^rate limit +120\/min$/m);
    expect(result.stdout).toMatch(/^expires +2099-01-01 00:00:00Z$/m);
    expect(result.stdout).toMatch(/^raw key +lk_/m);
    expect(result.stderr.trim()).toMatch(/^Store this key now/);
    const whoami = await new LatchkeyClient({ baseUrl: local.url, key: tokens[0] ?? '' }).whoami();
    expect(whoami.key?.name).toBe('cli billing');
  });

  it('keys create --json prints the API response; --quiet prints only the raw key', async () => {
    const created = json<NewKeyResponse>(await cli(['keys', 'create', '--name', 'cli json', '--json']));
    expect(created.raw_key).toMatch(TOKEN_RE);
    expect(created.key).toMatchObject({ name: 'cli json', roles: ['member'] });
    expect(created.warning).toMatch(/shown only/);

    const quiet = await cli(['keys', 'create', '--name', 'cli quiet', '-q']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^lk_[A-Za-z0-9]{16,}_[A-Za-z0-9]{33,}\n$/);
    expect(quiet.stderr).toMatch(/^Store this key now/);
  });

  it('keys list: a table of all keys, --json, --status and --org, one page at a time with --limit/--cursor', async () => {
    const org = `cli-${Date.now().toString(36)}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await admin.createKey({ name: `listed ${i}`, org_id: org })).key.id);
    await admin.revokeKey(ids[0] ?? '');

    const table = await cli(['keys', 'list', '--org', org]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +ORG +STATUS +ROLES +RATE\/MIN +CALLS +LAST USED +CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/)[0])).toEqual([...ids].reverse());
    expect(lines[3]).toMatch(/listed 0 +cli-\S+ +revoked +member +60 +0 +- +\d{4}-/);
    expect(table.stdout).not.toMatch(TOKEN_RE);

    const all = json<{ keys: Array<{ id: string }>; next_cursor: null }>(
      await cli(['keys', 'list', '--org', org, '--status', 'active', '--json']),
    );
    expect(all.keys.map((k) => k.id)).toEqual(ids.slice(1).reverse());
    expect(all.next_cursor).toBeNull();

    const page1 = json<{ keys: Array<{ id: string }>; next_cursor: string }>(
      await cli(['keys', 'list', '--org', org, '--limit', '2', '--json']),
    );
    expect(page1.keys.map((k) => k.id)).toEqual([ids[2], ids[1]]);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await cli(['keys', 'list', '--org', org, '--limit', '2', '--cursor', page1.next_cursor]);
    expect(page2.code).toBe(0);
    expect(page2.stdout).toContain(ids[0]);
    expect(page2.stdout).not.toContain(ids[1]);
    const human1 = await cli(['keys', 'list', '--org', org, '--limit', '2']);
    expect(human1.stderr).toContain(`--cursor ${page1.next_cursor}`);

    const empty = await cli(['keys', 'list', '--org', `${org}-empty`]);
    expect(empty.stdout).toBe('No keys.\n');
    expectError(await cli(['keys', 'list', '--status', 'sleeping']), 2, 'usage_error');
    const named = json<{ keys: Array<{ id: string }> }>(
      await cli(['keys', 'list', '--org', org, '--name', 'listed 1', '--json']),
    );
    expect(named.keys.map((k) => k.id)).toEqual([ids[1]]);
  });

  it('keys get, keys revoke, then the revoked key is refused with a one-line error', async () => {
    const { key, raw_key } = await admin.createKey({ name: 'to revoke', description: 'bye' });
    const got = await cli(['keys', 'get', key.id]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^id +${key.id}$`, 'm'));
    expect(got.stdout).toMatch(/^status +active$/m);
    expect(got.stdout).toMatch(/^permissions +api:read, api:write$/m);
    expect(got.stdout).not.toContain(raw_key);
    expect(json(await cli(['keys', 'get', key.id, '--json']))).toEqual({ key });

    const revoked = await cli(['keys', 'revoke', key.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked key ${key.id} \\(to revoke\\) at \\d{4}-`));
    expect(json(await cli(['keys', 'revoke', key.id, '--json']))).toMatchObject({ revoked: true });

    const refused = await cli(['whoami'], { env: { LATCHKEY_KEY: raw_key } });
    const line = expectError(refused, 1, 'unauthorized');
    expect(line).toMatch(
      new RegExp(
        `^latchkey: unauthorized: ${UNAUTHORIZED_MESSAGE.replace(/\.$/, '')}; see why: latchkey logs tail --request-id (\\S+) --no-follow \\(request_id \\1\\)$`,
      ),
    );
    expect(refused.stderr).not.toContain(raw_key);

    expectError(await cli(['keys', 'get', 'AAAAAAAAAAAAAAAA']), 1, 'not_found');
  });

  it('keys rotate prints the new raw key once; the old key works through the grace period', async () => {
    const old = await admin.createKey({ name: 'rotated by cli' });
    const rotated = await cli(['keys', 'rotate', old.key.id, '--grace', '600']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const tokens = rotated.stdout.match(TOKEN_RE) ?? [];
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).not.toBe(old.raw_key);
    expect(rotated.stdout).toMatch(
      new RegExp(`^Rotated key ${old.key.id}: new key \\w+\\. The old key keeps working until`),
    );
    expect(rotated.stderr).toMatch(/^Store this key now/);
    expect((await new LatchkeyClient({ baseUrl: local.url, key: old.raw_key }).whoami()).key?.id).toBe(
      old.key.id,
    );

    const again = json<NewKeyResponse>(
      await cli(['keys', 'rotate', tokens[0]?.split('_')[1] ?? '', '--json']),
    );
    expect(again.raw_key).toMatch(TOKEN_RE);
    expectError(await cli(['keys', 'rotate', old.key.id]), 1, 'conflict');
    expectError(await cli(['keys', 'rotate', old.key.id, '--grace', 'soon']), 2, 'usage_error');
  });

  it('keys get and keys list show a rotated key as rotating, with its successor; --status rotating', async () => {
    const org = `rot-${Date.now().toString(36)}`;
    const old = await admin.createKey({ name: 'to rotate', org_id: org });
    const next = await admin.rotateKey(old.key.id, { grace_period_seconds: 600 });
    const got = await cli(['keys', 'get', old.key.id]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^status +rotating$/m);
    expect(got.stdout).toMatch(new RegExp(`^rotated to +${next.key.id}$`, 'm'));
    const successor = await cli(['keys', 'get', next.key.id]);
    expect(successor.stdout).toMatch(new RegExp(`^rotated from +${old.key.id}$`, 'm'));

    const rotating = await cli(['keys', 'list', '--org', org, '--status', 'rotating']);
    expect(rotating.code, rotating.stderr).toBe(0);
    const rows = rotating.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      new RegExp(`^${old.key.id} +to rotate +${org} +rotating -> ${next.key.id} +member`),
    );
    const active = json<{ keys: Array<{ id: string }> }>(
      await cli(['keys', 'list', '--org', org, '--status', 'active', '--json']),
    );
    expect(active.keys.map((k) => k.id)).toEqual([next.key.id]);
  });

  it('names the server error code: invalid_request, key_limit_reached, forbidden', async () => {
    const invalid = expectError(
      await cli(['keys', 'create', '--name', 'x', '--role', 'wizard']),
      1,
      'invalid_request',
    );
    expect(invalid).toContain('roles');
    const org = `full-${Date.now().toString(36)}`;
    await admin.setOrgLimit(org, 0);
    expectError(await cli(['keys', 'create', '--name', 'x', '--org', org]), 1, 'key_limit_reached');
    const member = (await admin.createKey({ name: 'member' })).raw_key;
    expectError(await cli(['keys', 'list'], { env: { LATCHKEY_KEY: member } }), 1, 'forbidden');
  });
});

describe('orgs and whoami', () => {
  it('orgs set and orgs get, with numbers and unlimited', async () => {
    const org = `acme-${Date.now().toString(36)}`;
    const set = await cli(['orgs', 'set', org, '--max-keys', '10']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`org          ${org}\nmax keys     10\nactive keys  0\n`);
    await admin.createKey({ name: 'in acme', org_id: org });
    expect(json(await cli(['orgs', 'get', org, '--json']))).toEqual({
      org_id: org,
      plan: null,
      max_keys: 10,
      active_keys: 1,
    });
    const unlimited = await cli(['orgs', 'set', org, '--max-keys', 'unlimited']);
    expect(unlimited.stdout).toMatch(/^max keys +unlimited$/m);
    expect((await cli(['orgs', 'get', org])).stdout).toMatch(/^active keys +1$/m);
    expectError(await cli(['orgs', 'set', org, '--max-keys', 'many']), 2, 'usage_error');
    const ambiguous = expectError(await cli(['orgs', 'set', org, '--max-keys', '-1']), 2, 'usage_error');
    expect(ambiguous).toContain("use '--max-keys=-XYZ'");
    expectError(await cli(['orgs', 'set', org, '--max-keys=-1']), 1, 'invalid_request');
  });

  it('orgs list: every organization by org id, all pages or one with --limit; iterateOrgs', async () => {
    const stamp = Date.now().toString(36);
    const names = ['a', 'b', 'c'].map((x) => `ls-${stamp}-${x}`);
    await admin.createKey({ name: 'k', org_id: names[2] });
    await admin.setOrgLimit(names[0] ?? '', 4);
    await admin.createKey({ name: 'k', org_id: names[1] });

    const table = await cli(['orgs', 'list']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ORG +PLAN +MAX KEYS +ACTIVE KEYS$/);
    const mine = lines.filter((l) => l.startsWith(`ls-${stamp}-`));
    expect(mine.map((l) => l.split(/ +/)[0])).toEqual(names);
    expect(mine[0]).toMatch(/^\S+ +- +4 +0$/);
    expect(mine[1]).toMatch(/ 1$/);

    const sdk: string[] = [];
    for await (const org of admin.iterateOrgs({ limit: 1 })) sdk.push(org.org_id);
    expect(sdk.filter((id) => id.startsWith(`ls-${stamp}-`))).toEqual(names);

    const one = await cli(['orgs', 'list', '--limit', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stderr).toMatch(/^More organizations: latchkey orgs list --limit … --cursor \S+$/m);
    const asJson = json<{ orgs: Array<{ org_id: string }>; next_cursor: null }>(
      await cli(['orgs', 'list', '--json']),
    );
    expect(asJson.next_cursor).toBeNull();
    expect(asJson.orgs.map((o) => o.org_id)).toEqual(expect.arrayContaining(names));
  });

  it('whoami for the admin key and for an API key, bearer and signed', async () => {
    const asAdmin = await cli(['whoami']);
    expect(asAdmin.code).toBe(0);
    expect(asAdmin.stdout).toMatch(/^principal +admin$/m);
    expect(asAdmin.stdout).not.toContain(local.adminKey);
    const { key, raw_key } = await admin.createKey({ name: 'who', roles: ['viewer'] });
    for (const extra of [[], ['--sign']]) {
      const result = await cli(['whoami', ...extra], { env: { LATCHKEY_KEY: raw_key } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^principal +key$/m);
      expect(result.stdout).toMatch(new RegExp(`^id +${key.id}$`, 'm'));
      expect(result.stdout).toMatch(/^permissions +api:read$/m);
      expect(result.stdout).not.toContain(raw_key);
    }
    const flags = json(
      await cli(['whoami', '--json', '--url', local.url, '--key', raw_key], {
        env: { LATCHKEY_URL: 'http://127.0.0.1:9', LATCHKEY_KEY: 'nope' },
      }),
    );
    expect(flags).toMatchObject({ principal: 'key', org_id: 'default' });
  });
});

describe('through the launcher', () => {
  it('keys create --quiet: only the raw key on stdout, the warning on stderr; --data @- reads stdin', async () => {
    const quiet = await launch(['keys', 'create', '--name', 'launched', '--rate-limit', '1000', '--quiet']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^lk_[A-Za-z0-9]{16,}_[A-Za-z0-9]{33,}\n$/);
    expect(quiet.stderr).toMatch(/^Store this key now/);
    const piped = json(
      await launch(['request', 'PATCH', '/v1/echo/cfg', '-d', '@-', '--sign'], {
        env: { LATCHKEY_KEY: quiet.stdout.trim() },
        input: 'piped',
      }),
    );
    expect(piped).toMatchObject({ method: 'PATCH', body: 'piped' });
  });
});

describe('request', () => {
  it('sends bearer and signed requests, with and without bodies (text, @file, @-)', async () => {
    const { key, raw_key } = await admin.createKey({ name: 'requester', rate_limit_per_minute: 1000 });
    const env = { LATCHKEY_KEY: raw_key };

    const get = json(await cli(['request', 'GET', '/v1/echo/hello?lang=en'], { env }));
    expect(get).toMatchObject({ method: 'GET', path: '/v1/echo/hello', query: { lang: 'en' } });

    const body = '{"sku": "A-1", "qty": 2}';
    const signed = json(await cli(['request', 'POST', '/v1/echo/orders', '--data', body, '--sign'], { env }));
    expect(signed).toMatchObject({ method: 'POST', body, principal: { type: 'key', key_id: key.id } });

    const file = join(mkdtempSync(join(tmpdir(), 'latchkey-cli-')), 'body.json');
    writeFileSync(file, '{"from": "file"}');
    const fromFile = json(await cli(['request', 'put', '/v1/echo/cfg', '-d', `@${file}`, '--sign'], { env }));
    expect(fromFile).toMatchObject({ method: 'PUT', body: '{"from": "file"}' });
    const fromStdin = json(
      await cli(['request', 'PATCH', '/v1/echo/cfg', '-d', '@-', '--sign'], { env, input: 'piped' }),
    );
    expect(fromStdin).toMatchObject({ method: 'PATCH', body: 'piped' });

    const included = await cli(['request', 'GET', '/v1/echo/x', '-i', '-H', 'X-Trace: 1'], { env });
    expect(included.stdout).toMatch(/^HTTP 200 /);
    expect(included.stdout).toMatch(/^content-type: application\/json/m);
  });

  it('a non-2xx answer is an error naming its code', async () => {
    expectError(await cli(['request', 'GET', '/v1/no-such-route']), 1, 'not_found');
    const viewer = (await admin.createKey({ name: 'viewer', roles: ['viewer'] })).raw_key;
    const line = expectError(
      await cli(['request', 'POST', '/v1/echo/x', '--data', '{}', '--sign'], {
        env: { LATCHKEY_KEY: viewer },
      }),
      1,
      'forbidden',
    );
    expect(line).toMatch(/\(request_id \S+\)$/);
    expectError(await cli(['request', 'GET', 'v1/whoami']), 2, 'usage_error');
    expect(
      expectError(await cli(['request', 'POST', '/v1/echo/x', '-d', '@/no/such/file']), 2, 'usage_error'),
    ).toContain('cannot read --data file /no/such/file (ENOENT)');
    expectError(await cli(['request', 'GET', '/v1/echo/x', '-d', '{}']), 2, 'usage_error');
  });
});

describe('network errors', () => {
  it('are one line naming network_error; --debug adds the stack trace', async () => {
    const env = { LATCHKEY_URL: 'http://127.0.0.1:9' };
    const line = expectError(await cli(['whoami', '--timeout', '2000'], { env }), 1, 'network_error');
    expect(line).toContain('http://127.0.0.1:9');
    const debug = await cli(['whoami', '--debug'], { env });
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n')[0]).toMatch(/^latchkey: network_error: /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('admin-key', () => {
  it("reads the admin key from local mode's Secrets Manager endpoint, signed with its per-run credential", async () => {
    const port = new URL(local.secretsEndpoint).port;
    // Local mode here keeps no data folder: write its credential where --local looks for it.
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-admin-key-'));
    writeCredentialFile(localDataPaths(dataDir).credentials, local.secretsCredential);
    const env = { LATCHKEY_SECRETS_PORT: port, LATCHKEY_DATA_DIR: dataDir };
    const viaLocal = await cli(['admin-key', '--local'], { env });
    expect(viaLocal.code, viaLocal.stderr).toBe(0);
    expect(viaLocal.stdout).toBe(`${local.adminKey}\n`);
    expect(viaLocal.stderr).toBe('');
    const byId = await cli(['admin-key', '--local', '--secret-id', 'latchkey/admin-key'], { env });
    expect(byId.stdout).toBe(`${local.adminKey}\n`);
    expectError(
      await cli(['admin-key', '--local', '--secret-id', 'no/such/secret'], { env }),
      1,
      'not_found',
    );
    // --endpoint-url signs with the caller's own AWS credentials (here local mode's dummy ones for
    // DynamoDB Local), which the endpoint refuses, leaking nothing.
    const dummy = await cli(['admin-key', '--endpoint-url', local.secretsEndpoint]);
    expect(dummy.code).toBe(1);
    expect(dummy.stdout).toBe('');
    expect(dummy.stderr).not.toContain(local.adminKey);
    expectError(
      await cli(['admin-key', '--local'], { env: { ...env, LATCHKEY_SECRETS_PORT: '9' } }),
      1,
      'network_error',
    );
    expectError(await cli(['admin-key', '--stack', 'Latchkey', '--secret-id', 'x']), 2, 'usage_error');
  });

  it('--stack needs @aws-sdk/client-cloudformation (not a dependency) and says so in one line', async () => {
    expect(() =>
      createRequire(join(ROOT, 'package.json')).resolve('@aws-sdk/client-cloudformation'),
    ).toThrow();
    const line = expectError(
      await launch(['admin-key', '--stack', 'Latchkey', '--region', 'eu-west-1']),
      1,
      'missing_dependency',
    );
    expect(line).toContain('npm install @aws-sdk/client-cloudformation');
    expect(line).toContain('--secret-id');
  });
});
