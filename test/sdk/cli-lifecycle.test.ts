/**
 * The CLI's key-lifecycle commands in this process (`main(argv, io)`) against local mode: keys update,
 * disable, enable and delete (revoke's other name), and audit list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMode } from '#local/local-mode';
import { LatchkeyClient } from '#sdk/index';
import { runCli } from '../helpers/cli';
import { startTestLatchkey } from '../helpers/local';

let local: LocalMode;
let admin: LatchkeyClient;
beforeAll(async () => {
  local = await startTestLatchkey();
  admin = new LatchkeyClient({ baseUrl: local.url, key: local.adminKey, retries: 0 });
});
afterAll(() => local?.stop());

const cli = (args: string[]) => runCli(args, { LATCHKEY_URL: local.url, LATCHKEY_KEY: local.adminKey });

describe('keys update, disable, enable, delete', () => {
  it('changes fields and metadata, switches the key off and on, and deletes it', async () => {
    const { key } = await admin.createKey({
      name: 'cli-edit',
      org_id: 'cli',
      expires_at: '2100-01-01T00:00:00Z',
    });
    const updated = await cli([
      'keys',
      'update',
      key.id,
      '--name',
      'renamed',
      '--rate-limit',
      '30',
      '--no-expiry',
      '--meta',
      'customer=acme',
      '--meta',
      'plan=gold',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).key).toMatchObject({
      name: 'renamed',
      rate_limit_per_minute: 30,
      expires_at: null,
      metadata: { customer: 'acme', plan: 'gold' },
    });
    const disabled = await cli(['keys', 'disable', key.id, '--json']);
    expect(JSON.parse(disabled.stdout).key.status).toBe('disabled');
    const enabled = await cli(['keys', 'enable', key.id]);
    expect(enabled.stdout).toContain(`Enabled key ${key.id}.`);
    const deleted = await cli(['keys', 'delete', key.id, '--json']);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ revoked: true, key: { id: key.id } });
  });

  it('--allowed-cidr sets the list on create and replaces it on update; --any-address clears it', async () => {
    const created = await cli([
      'keys',
      'create',
      '--name',
      'cli-networks',
      '--allowed-cidr',
      '2001:DB8::/32',
      '--allowed-cidr',
      '10.0.0.0/8',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout);
    expect(key.allowed_cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    const shown = await cli(['keys', 'get', key.id]);
    expect(shown.stdout).toMatch(/allowed from\s+10\.0\.0\.0\/8, 2001:db8::\/32/);
    const replaced = await cli(['keys', 'update', key.id, '--allowed-cidr', '192.0.2.0/24', '--json']);
    expect(JSON.parse(replaced.stdout).key.allowed_cidrs).toEqual(['192.0.2.0/24']);
    const cleared = await cli(['keys', 'update', key.id, '--any-address', '--json']);
    expect(JSON.parse(cleared.stdout).key.allowed_cidrs).toEqual([]);
    const both = await cli(['keys', 'update', key.id, '--allowed-cidr', '10.0.0.0/8', '--any-address']);
    expect(both.code).toBe(2);
  });

  it('--credits and --refill set credits on create, keys credits add tops up, --no-credits removes them', async () => {
    const created = await cli([
      'keys',
      'create',
      '--name',
      'cli-credits',
      '--credits',
      '100',
      '--refill',
      '500/month@15',
      '--refill-mode',
      'add',
      '--refill-max',
      '1000',
      '--low-credits',
      '10',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout);
    expect(key.credits).toMatchObject({
      remaining: 100,
      refill: { amount: 500, every: 'month', day: 15, mode: 'add', max: 1000 },
      low_threshold: 10,
    });
    const shown = await cli(['keys', 'get', key.id]);
    expect(shown.stdout).toMatch(
      /credits\s+100 \(refills 500\/month on day 15, add up to 1000; next .*; low below 10\)/,
    );
    const added = await cli(['keys', 'credits', 'add', key.id, '25', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout).key.credits.remaining).toBe(125);
    const removed = await cli(['keys', 'update', key.id, '--no-credits', '--json']);
    expect(JSON.parse(removed.stdout).key.credits).toBeNull();
    expect((await cli(['keys', 'get', key.id])).stdout).toMatch(/credits\s+unlimited/);
    const orphan = await cli(['keys', 'create', '--name', 'x', '--refill', '5/day']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--refill needs --credits N');
    const badSpec = await cli(['keys', 'create', '--name', 'x', '--credits', '5', '--refill', '5/week']);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toContain('--refill takes AMOUNT/day');
  });

  it('refuses nothing to change, and --expires-at with --no-expiry, before calling the API', async () => {
    const none = await cli(['keys', 'update', 'K1aaaaaaaaaaaaaa']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nothing to change');
    const both = await cli([
      'keys',
      'update',
      'K1aaaaaaaaaaaaaa',
      '--expires-at',
      '2100-01-01T00:00:00Z',
      '--no-expiry',
    ]);
    expect(both.code).toBe(2);
  });
});

describe('metadata and status', () => {
  it('keys create --meta sets metadata, and keys get shows it', async () => {
    const created = await cli([
      'keys',
      'create',
      '--name',
      'cli-meta',
      '--org',
      'cli-meta',
      '--meta',
      'customer=acme',
      '--meta',
      'tier=gold',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: { id: string; metadata: unknown } };
    expect(key.metadata).toEqual({ customer: 'acme', tier: 'gold' });
    const shown = await cli(['keys', 'get', key.id]);
    expect(shown.stdout).toMatch(/^metadata +customer=acme, tier=gold$/m);
    const bad = await cli(['keys', 'create', '--name', 'x', '--meta', 'nokey']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--meta takes KEY=VALUE');
  });

  it('keys list --status disabled lists the disabled keys only', async () => {
    const { key: off } = await admin.createKey({ name: 'cli-off', org_id: 'cli-status' });
    await admin.createKey({ name: 'cli-on', org_id: 'cli-status' });
    await admin.disableKey(off.id);
    const res = await cli(['keys', 'list', '--org', 'cli-status', '--status', 'disabled', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).keys.map((k: { id: string }) => k.id)).toEqual([off.id]);
  });
});

describe('audit list', () => {
  it("lists one key's events newest first, as text and as JSON", async () => {
    const { key } = await admin.createKey({ name: 'cli-audit', org_id: 'cli' });
    await admin.disableKey(key.id);
    const text = await cli(['audit', 'list', '--key-id', key.id]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toContain('key.disabled');
    expect(lines[1]).toContain('key.created');
    // The time format every command prints: no milliseconds, a space for the T.
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z {2}key\.disabled /);
    const json = await cli(['audit', 'list', '--key-id', key.id, '--json']);
    expect(JSON.parse(json.stdout).events.map((e: { type: string }) => e.type)).toEqual([
      'key.disabled',
      'key.created',
    ]);
  });
});

describe('errors under --json', () => {
  it('are one line of JSON on stderr, with the exit code unchanged', async () => {
    const unknown = await cli(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stderr).error).toMatchObject({ code: 'usage_error' });
    const refused = await runCli(['whoami', '--json'], {
      LATCHKEY_URL: local.url,
      LATCHKEY_KEY: 'x'.repeat(40),
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    const { error } = JSON.parse(refused.stderr) as {
      error: { code: string; hint: string; request_id: string };
    };
    expect(error.code).toBe('unauthorized');
    expect(error.hint).toBe(`see why: latchkey logs tail --request-id ${error.request_id} --no-follow`);
  });
});

describe('did you mean', () => {
  it.each([
    [['kyes', 'list'], 'Did you mean "keys"?'],
    [['keys', 'updaet', 'X'], 'Did you mean "update"?'],
    [['keys', 'disabel', 'X'], 'Did you mean "disable"?'],
    [['audti', 'list'], 'Did you mean "audit"?'],
    [['keys', 'create', '--nmae', 'x'], 'Did you mean "--name"?'],
    [['keys', 'update', 'X', '--rate-limt', '5'], 'Did you mean "--rate-limit"?'],
  ])('latchkey %j suggests the closest word', async (args, hint) => {
    const res = await cli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(hint);
  });

  it('suggests nothing for a word far from every command', async () => {
    const res = await cli(['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain('Did you mean');
  });
});
