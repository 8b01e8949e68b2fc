import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_MATRIX } from '#core/permissions';
import { signRequest } from '#core/signer';
import type { LocalMode } from '#local/local-mode';
import { useLatchkey } from '../helpers/latchkey';
import { client, createKey, startTestLatchkey } from '../helpers/local';
import { withBadChecksum } from '../helpers/tokens';

/**
 * Named plans (`LATCHKEY_PLANS`) and `GET /v1/roles` through the local gateway on DynamoDB Local: an
 * organization on a plan follows the plan's limit, also when the operator changes the setting (a local
 * mode restarted over the same table with other plans), the limit holds under concurrent creates, and
 * any valid credential reads the role matrix.
 */
const PLANS = { trial: 1, starter: 3, enterprise: null, closed: 0 };
const lk = useLatchkey({ settings: { LATCHKEY_PLANS: JSON.stringify(PLANS) } });
const others: LocalMode[] = [];
afterAll(async () => {
  for (const other of others) await other.stop();
});

const org = () => `org-${randomBytes(4).toString('hex')}`;
const putOrg = (orgId: string, body: unknown) =>
  lk.call<Record<string, unknown>>('PUT', `/v1/orgs/${orgId}`, { token: lk.admin, body });
const create = (orgId: string) =>
  lk.call<{ error?: { code: string } }>('POST', '/v1/keys', {
    token: lk.admin,
    body: { name: 'plan key', org_id: orgId },
  });

describe('PUT /v1/orgs/{org_id} {plan}', () => {
  it('puts the organization on a plan: GET shows the plan and its effective limit', async () => {
    const o = org();
    expect((await putOrg(o, { plan: 'trial' })).body).toEqual({
      org_id: o,
      plan: 'trial',
      max_keys: 1,
      active_keys: 0,
    });
    expect((await create(o)).status).toBe(201);
    const full = await create(o);
    expect(full.status).toBe(409);
    expect(full.body.error?.code).toBe('key_limit_reached');

    expect((await putOrg(o, { plan: 'starter' })).body).toMatchObject({ plan: 'starter', max_keys: 3 });
    expect((await create(o)).status).toBe(201);
    expect((await create(o)).status).toBe(201);
    expect((await create(o)).status).toBe(409);
    const got = await lk.call('GET', `/v1/orgs/${o}`, { token: lk.admin });
    expect(got.body).toEqual({ org_id: o, plan: 'starter', max_keys: 3, active_keys: 3 });
  });

  it('a plan with a null limit is unlimited, one with 0 allows no keys', async () => {
    const open = org();
    expect((await putOrg(open, { plan: 'enterprise' })).body).toMatchObject({ max_keys: null });
    for (let i = 0; i < 4; i++) expect((await create(open)).status).toBe(201);
    const closed = org();
    expect((await putOrg(closed, { plan: 'closed' })).body).toMatchObject({ max_keys: 0 });
    expect((await create(closed)).status).toBe(409);
  });

  it('{max_keys} takes the organization off its plan', async () => {
    const o = org();
    await putOrg(o, { plan: 'trial' });
    expect((await putOrg(o, { max_keys: 2 })).body).toEqual({
      org_id: o,
      plan: null,
      max_keys: 2,
      active_keys: 0,
    });
    expect((await create(o)).status).toBe(201);
    expect((await create(o)).status).toBe(201);
    expect((await create(o)).status).toBe(409);
  });

  it('an organization never set shows no plan and the default limit', async () => {
    const o = org();
    expect((await lk.call('GET', `/v1/orgs/${o}`, { token: lk.admin })).body).toEqual({
      org_id: o,
      plan: null,
      max_keys: 50,
      active_keys: 0,
    });
  });

  it.each([
    [{ plan: 'gold' }, 'plan'],
    [{ plan: 'trial', max_keys: 3 }, 'plan'],
    [{ plan: '' }, 'plan'],
    [{ plan: 3 }, 'plan'],
    [{ plan: 'trial', extra: 1 }, 'extra'],
  ])('%j is a 400 naming %s', async (body, field) => {
    const res = await putOrg(org(), body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
  });

  it('the plan limit holds under concurrent creates', async () => {
    const o = org();
    await putOrg(o, { plan: 'starter' });
    const results = await Promise.all(Array.from({ length: 10 }, () => create(o)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });
});

describe('an operator changing the plans setting', () => {
  it("moves every organization on the plan to the plan's new limit; an undefined plan falls back to the default", async () => {
    const o = org();
    await putOrg(o, { plan: 'trial' });
    expect((await create(o)).status).toBe(201);
    expect((await create(o)).status).toBe(409);

    // The same table, served with trial raised to 2 (as after a redeploy with new plans).
    const raised = await startTestLatchkey({
      tableName: lk.local.tableName,
      adminKey: lk.admin,
      settings: { LATCHKEY_PLANS: JSON.stringify({ ...PLANS, trial: 2 }) },
    });
    others.push(raised);
    const call = client(raised.url);
    expect((await call('GET', `/v1/orgs/${o}`, { token: lk.admin })).body).toEqual({
      org_id: o,
      plan: 'trial',
      max_keys: 2,
      active_keys: 1,
    });
    const body = { name: 'plan key', org_id: o };
    expect((await call('POST', '/v1/keys', { token: lk.admin, body })).status).toBe(201);
    expect((await call('POST', '/v1/keys', { token: lk.admin, body })).status).toBe(409);

    // The plan removed from the setting: the organization keeps its plan name, at the default limit.
    const removed = await startTestLatchkey({
      tableName: lk.local.tableName,
      adminKey: lk.admin,
      settings: { LATCHKEY_PLANS: '{"starter":3}', LATCHKEY_DEFAULT_MAX_KEYS: '3' },
    });
    others.push(removed);
    const call2 = client(removed.url);
    expect((await call2('GET', `/v1/orgs/${o}`, { token: lk.admin })).body).toMatchObject({
      plan: 'trial',
      max_keys: 3,
    });
    expect((await call2('POST', '/v1/keys', { token: lk.admin, body })).status).toBe(201);
    expect((await call2('POST', '/v1/keys', { token: lk.admin, body })).status).toBe(409);
  });
});

describe('GET /v1/roles', () => {
  it('answers any valid credential with the role matrix and the default role', async () => {
    const member = await createKey(lk.call, lk.admin);
    const viewer = await createKey(lk.call, lk.admin, { roles: ['viewer'] });
    const expected = { roles: DEFAULT_ROLE_MATRIX, default_role: 'member' };
    for (const token of [lk.admin, member.token, viewer.token]) {
      const res = await lk.call('GET', '/v1/roles', { token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expected);
    }
    const h = signRequest({ token: member.token, method: 'GET', path: '/v1/roles' });
    expect((await lk.call('GET', '/v1/roles', { authorization: h.authorization })).body).toEqual(expected);
  });

  it('refuses a missing or bad credential with the one 401', async () => {
    expect((await lk.call('GET', '/v1/roles')).status).toBe(401);
    const k = await createKey(lk.call, lk.admin);
    expect((await lk.call('GET', '/v1/roles', { token: withBadChecksum(k.token) })).status).toBe(401);
  });

  it("shows the deployment's own matrix", async () => {
    const custom = await startTestLatchkey({
      settings: {
        LATCHKEY_ROLE_MATRIX: JSON.stringify({ owner: ['keys:read', 'keys:write'], client: ['api:read'] }),
        LATCHKEY_DEFAULT_ROLE: 'client',
      },
    });
    others.push(custom);
    const res = await client(custom.url)('GET', '/v1/roles', { token: custom.adminKey });
    expect(res.body).toEqual({
      roles: { owner: ['keys:read', 'keys:write'], client: ['api:read'] },
      default_role: 'client',
    });
  });
});
