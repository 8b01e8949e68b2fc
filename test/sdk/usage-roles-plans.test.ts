/**
 * The SDK's and the CLI's side of usage over time, roles and plans, against local mode over real HTTP:
 * `getUsage` / `keys usage` (bar chart and --json), `listRoles` / `roles`, `setOrgPlan` /
 * `orgs set --plan` (and its refusal of --plan with --max-keys), `listPlans` / `plans`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageChart } from '#cli/usage';
import { noRefusals } from '#core/outcomes';
import type { LocalMode } from '#local/local-mode';
import { LatchkeyClient } from '#sdk/index';
import { runCli } from '../helpers/cli';
import { startTestLatchkey } from '../helpers/local';

let local: LocalMode;
let admin: LatchkeyClient;
beforeAll(async () => {
  local = await startTestLatchkey({ settings: { LATCHKEY_PLANS: '{"starter": 3, "enterprise": null}' } });
  admin = new LatchkeyClient({ baseUrl: local.url, key: local.adminKey, retries: 0 });
});
afterAll(() => local?.stop());

const cli = (args: string[]) => runCli(args, { LATCHKEY_URL: local.url, LATCHKEY_KEY: local.adminKey });

describe('usage', () => {
  it('getUsage and keys usage count the allowed requests of today', async () => {
    const created = await admin.createKey({ name: 'usage-sdk' });
    const user = new LatchkeyClient({ baseUrl: local.url, key: created.raw_key, retries: 0 });
    for (let i = 0; i < 3; i++) await user.whoami();
    const usage = await admin.getUsage(created.key.id, 7);
    expect(usage.key_id).toBe(created.key.id);
    expect(usage.days).toHaveLength(7);
    expect(usage.days.at(-1)?.calls).toBe(3);

    const chart = await cli(['keys', 'usage', created.key.id, '--days', '3']);
    expect(chart.code).toBe(0);
    const lines = chart.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\d{4}-\d{2}-\d{2} {2}3 {2}█{40}$/);
    expect(lines[3]).toBe('total 3 calls in 3 days (UTC)');
    const json = await cli(['keys', 'usage', created.key.id, '--days', '2', '--json']);
    expect(JSON.parse(json.stdout).days).toHaveLength(2);
  });

  it('the chart scales bars to the busiest day and leaves zero days empty', () => {
    expect(
      usageChart([
        { date: '2026-11-28', calls: 0, refused: noRefusals() },
        { date: '2026-11-29', calls: 1000, refused: noRefusals() },
        { date: '2026-11-30', calls: 500, refused: noRefusals() },
      ]).split('\n'),
    ).toEqual([
      '2026-11-28      0',
      `2026-11-29  1,000  ${'█'.repeat(40)}`,
      `2026-11-30    500  ${'█'.repeat(20)}`,
      'total 1,500 calls in 3 days (UTC)',
    ]);
  });
});

describe('usage by outcome', () => {
  it('the chart adds a column per refusal outcome that occurred, and the refusals to the total', () => {
    const day = (date: string, calls: number, refused: Partial<ReturnType<typeof noRefusals>>) => ({
      date,
      calls,
      refused: { ...noRefusals(), ...refused },
    });
    expect(
      usageChart([
        day('2026-11-28', 0, {}),
        day('2026-11-29', 1000, { rate_limited: 1200 }),
        day('2026-11-30', 500, { rate_limited: 3, revoked: 2 }),
      ]).split('\n'),
    ).toEqual([
      'date        allowed  rate_limited  revoked',
      '2026-11-28        0             0        0',
      `2026-11-29    1,000         1,200        0  ${'█'.repeat(40)}`,
      `2026-11-30      500             3        2  ${'█'.repeat(20)}`,
      'total 1,500 calls in 3 days (UTC); refused 1,205: rate_limited 1,203, revoked 2',
    ]);
  });

  it('getUsage and keys usage show a refusal of the key counted by its outcome', async () => {
    const created = await admin.createKey({ name: 'refused', rate_limit_per_minute: 1 });
    await admin.updateKey(created.key.id, { enabled: false });
    const res = await fetch(`${local.url}/v1/echo/ping`, {
      headers: { authorization: `Bearer ${created.raw_key}` },
    });
    expect(res.status).toBe(401);
    const usage = await admin.getUsage(created.key.id, 1);
    expect(usage.days[0]?.refused).toEqual({ ...noRefusals(), disabled: 1 });
    const chart = await cli(['keys', 'usage', created.key.id, '--days', '1']);
    expect(chart.stdout).toContain('disabled');
    expect(chart.stdout).toContain('refused 1: disabled 1');
  });
});

describe('roles and plans', () => {
  it('listRoles and roles show the matrix and the default role', async () => {
    const roles = await admin.listRoles();
    expect(roles.default_role).toBe('member');
    expect(roles.roles.viewer).toEqual(['api:read']);
    const out = await cli(['roles']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^viewer +api:read$/m);
    expect(out.stdout).toMatch(/^default role +member$/m);
  });

  it("listPlans and plans show the deployment's plans (admin key only)", async () => {
    expect(await admin.listPlans()).toEqual({ plans: { starter: 3, enterprise: null } });
    const out = await cli(['plans']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^starter +3 keys$/m);
    expect(out.stdout).toMatch(/^enterprise +unlimited$/m);
    expect(JSON.parse((await cli(['plans', '--json'])).stdout)).toEqual({
      plans: { starter: 3, enterprise: null },
    });
    const created = await admin.createKey({ name: 'plans-reader', roles: ['admin'] });
    const key = new LatchkeyClient({ baseUrl: local.url, key: created.raw_key, retries: 0 });
    await expect(key.listPlans()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('setOrgPlan and orgs set --plan put an organization on a plan; --plan with --max-keys is a usage error', async () => {
    const org = await admin.setOrgPlan('plan-sdk', 'starter');
    expect(org).toMatchObject({ org_id: 'plan-sdk', plan: 'starter', max_keys: 3 });
    const set = await cli(['orgs', 'set', 'plan-cli', '--plan', 'enterprise', '--json']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ plan: 'enterprise', max_keys: null });
    const both = await cli(['orgs', 'set', 'plan-cli', '--plan', 'starter', '--max-keys', '2']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either --max-keys or --plan, not both');
  });
});
