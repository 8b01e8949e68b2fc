import { describe, expect, it } from 'vitest';
import type { ApiKey, ErrorBody, ListKeysResponse } from '#core/wire';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * Rotation as a state of its own, through the local gateway over real HTTP: the old key is `rotating`
 * during its grace period and `rotated` after it, linked to its successor both ways, listed under those
 * statuses, and open to revocation only. The handlers' clock is under the test's control.
 */
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
const lk = useLatchkey({ now: clock });

const getKey = async (id: string) =>
  (await lk.call<{ key: ApiKey }>('GET', `/v1/keys/${id}`, { token: lk.admin })).body.key;

async function listed(org: string, status: string): Promise<string[]> {
  const res = await lk.call<ListKeysResponse>('GET', `/v1/keys?org_id=${org}&status=${status}`, {
    token: lk.admin,
  });
  expect(res.status).toBe(200);
  return res.body.keys.map((k) => k.id);
}

async function rotate(id: string, grace: number): Promise<{ key: ApiKey; raw_key: string }> {
  const res = await lk.call<{ key: ApiKey; raw_key: string }>('POST', `/v1/keys/${id}/rotate`, {
    token: lk.admin,
    body: { grace_period_seconds: grace },
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe('rotation status', () => {
  it('is rotating during the grace period and rotated after it, linked to its successor', async () => {
    const org = 'rot-states';
    const old = await createKey(lk.call, lk.admin, { org_id: org, roles: ['admin'] });
    expect(old.key).toMatchObject({ status: 'active', rotated_to: null, rotated_from: null });
    const next = await rotate(old.id, 3600);
    expect(next.key).toMatchObject({ status: 'active', rotated_from: old.id, rotated_to: null });

    const during = await getKey(old.id);
    expect(during).toMatchObject({ status: 'rotating', rotated_to: next.key.id, rotated_from: null });
    expect(await listed(org, 'rotating')).toEqual([old.id]);
    expect(await listed(org, 'active')).toEqual([next.key.id]);
    expect(await listed(org, 'rotated')).toEqual([]);
    // A rotating key still authenticates, for the application and for the management API.
    expect((await lk.call('GET', '/v1/echo/x', { token: old.token })).status).toBe(200);
    const made = await lk.call<{ key: ApiKey }>('POST', '/v1/keys', {
      token: old.token,
      body: { name: 'by rotating key' },
    });
    expect(made.status).toBe(201);

    offsetMs += 3601_000;
    const after = await getKey(old.id);
    expect(after).toMatchObject({ status: 'rotated', rotated_to: next.key.id });
    expect(await listed(org, 'rotated')).toEqual([old.id]);
    expect(await listed(org, 'rotating')).toEqual([]);
    // The key it made took its expiry (the end of the grace period) and is merely expired.
    expect(await listed(org, 'expired')).toEqual([made.body.key.id]);
    expect((await lk.call('GET', '/v1/echo/x', { token: old.token })).status).toBe(401);
  });

  it('a rotating key answers PATCH and rotate with 409 and can still be revoked', async () => {
    const old = await createKey(lk.call, lk.admin, { org_id: 'rot-refusals' });
    const next = await rotate(old.id, 600);
    const patch = await lk.call<ErrorBody>('PATCH', `/v1/keys/${old.id}`, {
      token: lk.admin,
      body: { name: 'renamed' },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.error.message).toBe(`Key ${old.id} is rotating and cannot be edited.`);
    const again = await lk.call<ErrorBody>('POST', `/v1/keys/${old.id}/rotate`, {
      token: lk.admin,
      body: {},
    });
    expect(again.status).toBe(409);

    const revoked = await lk.call<{ key: ApiKey }>('DELETE', `/v1/keys/${old.id}`, { token: lk.admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.key).toMatchObject({ status: 'revoked', rotated_to: next.key.id });
    expect(await listed('rot-refusals', 'revoked')).toEqual([old.id]);
    expect(await listed('rot-refusals', 'rotating')).toEqual([]);
  });

  it('an expired key that was never rotated stays expired, not rotated', async () => {
    const org = 'rot-expired';
    const k = await createKey(lk.call, lk.admin, {
      org_id: org,
      expires_at: new Date(clock() + 60_000).toISOString(),
    });
    offsetMs += 61_000;
    expect(await getKey(k.id)).toMatchObject({ status: 'expired', rotated_to: null });
    expect(await listed(org, 'expired')).toEqual([k.id]);
    expect(await listed(org, 'rotated')).toEqual([]);
  });
});
