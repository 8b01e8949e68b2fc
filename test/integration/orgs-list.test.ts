import { describe, expect, it } from 'vitest';
import type { ErrorBody, ListOrgsResponse, Org } from '#core/wire';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/** `GET /v1/orgs`: every organization, by org id, a bounded page at a time; admin key only. */
const lk = useLatchkey();

async function page(query: string, token = lk.admin) {
  return lk.call<ListOrgsResponse>('GET', `/v1/orgs${query}`, { token });
}

/** Every organization, following next_cursor with pages of `limit`. */
async function all(limit: number): Promise<Org[]> {
  const orgs: Org[] = [];
  let cursor: string | null = null;
  do {
    const res = await page(`?limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(res.status).toBe(200);
    expect(res.body.orgs.length).toBeLessThanOrEqual(limit);
    orgs.push(...res.body.orgs);
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return orgs;
}

describe('GET /v1/orgs', () => {
  it('lists organizations with keys and organizations with a limit of their own, by org id', async () => {
    await createKey(lk.call, lk.admin, { org_id: 'ol-charlie' });
    await createKey(lk.call, lk.admin, { org_id: 'ol-charlie' });
    const revoked = await createKey(lk.call, lk.admin, { org_id: 'ol-alpha' });
    await lk.call('DELETE', `/v1/keys/${revoked.id}`, { token: lk.admin });
    const put = await lk.call('PUT', '/v1/orgs/ol-bravo', { token: lk.admin, body: { max_keys: 3 } });
    expect(put.status).toBe(200);

    const mine = (await all(2)).filter((o) => o.org_id.startsWith('ol-'));
    expect(mine).toEqual([
      { org_id: 'ol-alpha', plan: null, max_keys: expect.any(Number), active_keys: 0 },
      { org_id: 'ol-bravo', plan: null, max_keys: 3, active_keys: 0 },
      { org_id: 'ol-charlie', plan: null, max_keys: expect.any(Number), active_keys: 2 },
    ]);
    const ids = (await all(100)).map((o) => o.org_id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('pages: next_cursor is null on the last page and a page holds at most limit', async () => {
    for (const org of ['op-1', 'op-2', 'op-3']) await createKey(lk.call, lk.admin, { org_id: org });
    const first = await page('?limit=1');
    expect(first.body.orgs).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const whole = await page('?limit=100');
    expect(whole.body.next_cursor).toBeNull();
    expect(whole.body.orgs.map((o) => o.org_id)).toEqual(expect.arrayContaining(['op-1', 'op-2', 'op-3']));
  });

  it('is for the admin key only, and refuses a cursor it did not issue', async () => {
    const manager = await createKey(lk.call, lk.admin, { roles: ['admin'] });
    const byKey = await page('', manager.token);
    expect(byKey.status).toBe(403);
    const forged = Buffer.from(JSON.stringify({ org_id: '../x' })).toString('base64url');
    const bad = await lk.call<ErrorBody>('GET', `/v1/orgs?cursor=${forged}`, { token: lk.admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const unknown = await lk.call<ErrorBody>('GET', '/v1/orgs?status=active', { token: lk.admin });
    expect(unknown.status).toBe(400);
  });
});
