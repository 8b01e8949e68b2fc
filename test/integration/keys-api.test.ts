import { describe, expect, it } from 'vitest';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/** Happy paths of every management route, through the local gateway over real HTTP. */
const lk = useLatchkey();

const KEY_FIELDS = [
  'allowed_cidrs',
  'calls',
  'created_at',
  'created_by',
  'credits',
  'description',
  'enabled',
  'expires_at',
  'id',
  'key_prefix',
  'last_used_at',
  'metadata',
  'name',
  'org_id',
  'permissions',
  'public_key',
  'rate_limit_per_minute',
  'revoked_at',
  'roles',
  'rotated_from',
  'rotated_to',
  'signature_algorithm',
  'status',
];

describe('POST /v1/keys', () => {
  it('creates a key and shows its token once, with exactly the documented fields', async () => {
    const res = await lk.call<{ key: Record<string, unknown>; raw_key: string; warning: string }>(
      'POST',
      '/v1/keys',
      {
        token: lk.admin,
        body: { name: 'billing service', description: 'prod', rate_limit_per_minute: 120 },
      },
    );
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['key', 'raw_key', 'warning']);
    expect(Object.keys(res.body.key).sort()).toEqual(KEY_FIELDS);
    const key = res.body.key;
    expect(res.body.raw_key).toMatch(new RegExp(`^lk_${key.id}_[A-Za-z0-9]{49}$`));
    expect(key).toMatchObject({
      name: 'billing service',
      description: 'prod',
      org_id: 'default',
      key_prefix: `lk_${key.id}`,
      roles: ['member'],
      permissions: ['api:read', 'api:write'],
      rate_limit_per_minute: 120,
      enabled: true,
      status: 'active',
      created_by: 'admin',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      calls: 0,
    });
    expect(res.text).not.toMatch(/hash|salt/i);

    const again = await lk.call<{ key: Record<string, unknown> }>('GET', `/v1/keys/${key.id}`, {
      token: lk.admin,
    });
    expect(again.status).toBe(200);
    expect(again.text).not.toContain(res.body.raw_key);
    expect(again.body.key).toEqual(key);
  });

  it('applies the default rate limit and an explicit expiry and organization', async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const res = await lk.call<{ key: Record<string, unknown> }>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'temp', expires_at: expires, org_id: 'acme', roles: ['viewer'] },
    });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatchObject({
      rate_limit_per_minute: 60,
      expires_at: expires,
      org_id: 'acme',
      roles: ['viewer'],
      permissions: ['api:read'],
    });
  });

  it('lets a key with keys:write create keys in its own organization', async () => {
    const manager = await createKey(lk.call, lk.admin, { roles: ['admin'], org_id: 'team-a' });
    const res = await lk.call<{ key: Record<string, unknown> }>('POST', '/v1/keys', {
      token: manager.token,
      body: { name: 'made by a key', roles: ['viewer'] },
    });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatchObject({ org_id: 'team-a', created_by: `key:${manager.id}` });
  });
});

describe('GET /v1/keys', () => {
  it('pages through an organization newest first with a cursor', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push((await createKey(lk.call, lk.admin, { org_id: 'paging', name: `k${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?org_id=paging&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await lk.call<{ keys: Array<{ id: string }>; next_cursor: string | null }>(
        'GET',
        `/v1/keys${query}`,
        {
          token: lk.admin,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body.keys.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.keys.map((k) => k.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by status', async () => {
    const a = await createKey(lk.call, lk.admin, { org_id: 'filter' });
    const b = await createKey(lk.call, lk.admin, { org_id: 'filter' });
    expect((await lk.call('DELETE', `/v1/keys/${b.id}`, { token: lk.admin })).status).toBe(200);
    const active = await lk.call<{ keys: Array<{ id: string }> }>(
      'GET',
      '/v1/keys?org_id=filter&status=active',
      {
        token: lk.admin,
      },
    );
    const revoked = await lk.call<{ keys: Array<{ id: string }> }>(
      'GET',
      '/v1/keys?org_id=filter&status=revoked',
      {
        token: lk.admin,
      },
    );
    expect(active.body.keys.map((k) => k.id)).toEqual([a.id]);
    expect(revoked.body.keys.map((k) => k.id)).toEqual([b.id]);
  });

  it('filters by a text the name contains (case-sensitive), page after page, with status too', async () => {
    // Newest first: a match, 4 others, then a match; with limit=2 the second match is past page one.
    const older = await createKey(lk.call, lk.admin, { org_id: 'by-name', name: 'billing-worker' });
    for (let i = 0; i < 4; i++) await createKey(lk.call, lk.admin, { org_id: 'by-name', name: `other-${i}` });
    const newer = await createKey(lk.call, lk.admin, { org_id: 'by-name', name: 'ops billing cron' });
    await createKey(lk.call, lk.admin, { org_id: 'by-name', name: 'Billing-upper' });
    type Page = { keys: Array<{ id: string; name: string }>; next_cursor: string | null };
    const all = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const res = await lk.call<Page>('GET', `/v1/keys?org_id=by-name&limit=2&${query}${after}`, {
          token: lk.admin,
        });
        expect(res.status).toBe(200);
        expect(res.body.keys.length).toBeLessThanOrEqual(2);
        ids.push(...res.body.keys.map((k) => k.id));
        cursor = res.body.next_cursor;
      } while (cursor !== null);
      return ids;
    };
    expect(await all('name=billing')).toEqual([newer.id, older.id]);
    const first = await lk.call<Page>('GET', '/v1/keys?org_id=by-name&limit=1&name=billing', {
      token: lk.admin,
    });
    expect(first.body.keys.map((k) => k.name)).toEqual(['ops billing cron']);
    expect(first.body.next_cursor).not.toBeNull();
    expect(await all(`name=${encodeURIComponent('ops billing')}`)).toEqual([newer.id]);
    expect(await all('name=nothing-like-it')).toEqual([]);
    expect((await lk.call('DELETE', `/v1/keys/${older.id}`, { token: lk.admin })).status).toBe(200);
    expect(await all('name=billing&status=active')).toEqual([newer.id]);
    expect(await all('name=billing&status=revoked')).toEqual([older.id]);
  });

  it('lists only the calling key’s own organization', async () => {
    const reader = await createKey(lk.call, lk.admin, { org_id: 'own-org', roles: ['admin'] });
    await createKey(lk.call, lk.admin, { org_id: 'someone-else' });
    const res = await lk.call<{ keys: Array<{ org_id: string }> }>('GET', '/v1/keys', {
      token: reader.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.keys.length).toBeGreaterThan(0);
    expect(new Set(res.body.keys.map((k) => k.org_id))).toEqual(new Set(['own-org']));
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('revokes immediately and permanently; repeating it is harmless', async () => {
    const k = await createKey(lk.call, lk.admin);
    expect((await lk.call('GET', '/v1/whoami', { token: k.token })).status).toBe(200);
    const res = await lk.call<{ revoked: boolean; key: Record<string, unknown> }>(
      'DELETE',
      `/v1/keys/${k.id}`,
      {
        token: lk.admin,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBe(true);
    expect(res.body.key).toMatchObject({ id: k.id, status: 'revoked' });
    expect(typeof res.body.key.revoked_at).toBe('string');
    // The very next request with the key is refused.
    expect((await lk.call('GET', '/v1/whoami', { token: k.token })).status).toBe(401);
    const again = await lk.call<{ revoked: boolean; key: Record<string, unknown> }>(
      'DELETE',
      `/v1/keys/${k.id}`,
      {
        token: lk.admin,
      },
    );
    expect(again.status).toBe(200);
    expect(again.body.key.revoked_at).toBe(res.body.key.revoked_at);
  });
});

describe('GET/PUT /v1/orgs/{org_id}', () => {
  it('reports and changes an organization’s key limit', async () => {
    const before = await lk.call('GET', '/v1/orgs/plans', { token: lk.admin });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ org_id: 'plans', plan: null, max_keys: 50, active_keys: 0 });
    await createKey(lk.call, lk.admin, { org_id: 'plans' });
    const put = await lk.call('PUT', '/v1/orgs/plans', { token: lk.admin, body: { max_keys: 3 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ org_id: 'plans', plan: null, max_keys: 3, active_keys: 1 });
    const unlimited = await lk.call('PUT', '/v1/orgs/plans', { token: lk.admin, body: { max_keys: null } });
    expect(unlimited.body).toEqual({ org_id: 'plans', plan: null, max_keys: null, active_keys: 1 });
  });
});

describe('GET /v1/whoami', () => {
  it('describes the admin', async () => {
    const res = await lk.call('GET', '/v1/whoami', { token: lk.admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      principal: 'admin',
      org_id: null,
      permissions: ['keys:read', 'keys:write', 'api:read', 'api:write'],
    });
  });

  it('describes a key, with its usage counted', async () => {
    const k = await createKey(lk.call, lk.admin, { roles: ['viewer'], org_id: 'who' });
    const first = await lk.call<{ key: { calls: number; last_used_at: string | null } }>(
      'GET',
      '/v1/whoami',
      {
        token: k.token,
      },
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ principal: 'key', org_id: 'who', permissions: ['api:read'] });
    expect(first.body.key).toMatchObject({ id: k.id, calls: 1 });
    expect(first.body.key.last_used_at).not.toBeNull();
    const second = await lk.call<{ key: { calls: number } }>('GET', '/v1/whoami', { token: k.token });
    expect(second.body.key.calls).toBe(2);
  });
});

describe('ANY /v1/echo/{proxy+}', () => {
  it('echoes method, path, principal and body for a member key', async () => {
    const k = await createKey(lk.call, lk.admin, { org_id: 'echoes' });
    const get = await lk.call('GET', '/v1/echo/hello/world?x=1', { token: k.token });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({
      method: 'GET',
      path: '/v1/echo/hello/world',
      proxy: 'hello/world',
      query: { x: '1' },
      principal: { type: 'key', key_id: k.id, org_id: 'echoes' },
      body: null,
    });
    const post = await lk.call('POST', '/v1/echo/items', { token: k.token, body: { a: 1 } });
    expect(post.status).toBe(200);
    expect(post.body).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });
});
