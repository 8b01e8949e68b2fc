import { describe, expect, it } from 'vitest';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/** Error cases of the management API: one body shape, the offending field named, nothing lost. */
const lk = useLatchkey({ settings: { LATCHKEY_DEFAULT_MAX_KEYS: '5' } });

type ErrorBody = { error: { code: string; message: string; request_id: string } };

describe('400 invalid_request names the offending field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['missing name', {}, 'name'],
    ['empty name', { name: '' }, 'name'],
    ['blank name', { name: '   ' }, 'name'],
    ['long name', { name: 'x'.repeat(101) }, 'name'],
    ['name not a string', { name: 42 }, 'name'],
    ['unknown field', { name: 'a', admin: true }, 'admin'],
    ['unknown role', { name: 'a', roles: ['root'] }, 'roles'],
    ['roles not a list', { name: 'a', roles: 'admin' }, 'roles'],
    ['empty roles', { name: 'a', roles: [] }, 'roles'],
    ['rate limit zero', { name: 'a', rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
    ['rate limit too high', { name: 'a', rate_limit_per_minute: 100_001 }, 'rate_limit_per_minute'],
    ['rate limit fractional', { name: 'a', rate_limit_per_minute: 1.5 }, 'rate_limit_per_minute'],
    ['expiry in the past', { name: 'a', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
    ['expiry not a date', { name: 'a', expires_at: 'tomorrow' }, 'expires_at'],
    ['bad org id', { name: 'a', org_id: 'has space' }, 'org_id'],
  ];
  it.each(cases)('POST /v1/keys with %s', async (_name, body, field) => {
    const res = await lk.call<ErrorBody>('POST', '/v1/keys', { token: lk.admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
    expect(res.body.error.request_id).toBeTruthy();
  });

  it('rejects a body that is not JSON, or not an object', async () => {
    for (const rawBody of ['{"name":', '[1,2]', '"name"']) {
      const res = await lk.call<ErrorBody>('POST', '/v1/keys', {
        token: lk.admin,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message.startsWith('body:')).toBe(true);
    }
  });

  it('rejects bad list queries', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['status=gone', 'status'],
      [`name=${'n'.repeat(101)}`, 'name'],
      ['name=%0Aline', 'name'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['sort=asc', 'sort'],
    ] as const) {
      const res = await lk.call<ErrorBody>('GET', `/v1/keys?${query}`, { token: lk.admin });
      expect(res.status, query).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`), query).toBe(true);
    }
  });

  it('answers a tampered cursor with 400 cursor, never a 503', async () => {
    for (let i = 0; i < 2; i++) await createKey(lk.call, lk.admin, { org_id: 'tamper', name: `k${i}` });
    const page = await lk.call<{ next_cursor: string }>('GET', '/v1/keys?org_id=tamper&limit=1', {
      token: lk.admin,
    });
    const genuine = JSON.parse(Buffer.from(page.body.next_cursor, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const tampered: unknown[] = [null, [], 'x', { ...genuine, extra: 'x' }];
    for (const field of Object.keys(genuine)) {
      for (const value of ['', 'x', 'K#', '#'.repeat(3000), 42, null, { S: 'x' }]) {
        tampered.push({ ...genuine, [field]: value });
      }
      const { [field]: _, ...without } = genuine;
      tampered.push(without);
    }
    for (const value of tampered) {
      const cursor = encodeURIComponent(encode(value));
      const res = await lk.call<ErrorBody>('GET', `/v1/keys?org_id=tamper&cursor=${cursor}`, {
        token: lk.admin,
      });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.error.message.startsWith('cursor:'), JSON.stringify(value)).toBe(true);
    }
  });

  it('rejects a bad organization limit', async () => {
    for (const body of [{}, { max_keys: -1 }, { max_keys: 'many' }, { max_keys: 5, extra: 1 }]) {
      const res = await lk.call<ErrorBody>('PUT', '/v1/orgs/limits', { token: lk.admin, body });
      expect(res.status).toBe(400);
    }
  });

  it('nothing is created by a rejected request', async () => {
    const before = await lk.call<{ active_keys: number }>('GET', '/v1/orgs/default', { token: lk.admin });
    await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'a', bogus: 1 } });
    const after = await lk.call<{ active_keys: number }>('GET', '/v1/orgs/default', { token: lk.admin });
    expect(after.body.active_keys).toBe(before.body.active_keys);
  });
});

describe('413 payload_too_large', () => {
  it('rejects bodies over 16 KiB', async () => {
    const res = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'a', description: 'x'.repeat(17_000) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });
});

describe('404 not_found', () => {
  it('for an unknown key id, a malformed id and an unknown route', async () => {
    for (const path of ['/v1/keys/AAAAAAAAAAAAAAAA', '/v1/keys/nope', '/v1/nothing', '/v2/keys']) {
      const res = await lk.call<ErrorBody>('GET', path, { token: lk.admin });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
  it('for a method a route does not have', async () => {
    const res = await lk.call<ErrorBody>('PATCH', '/v1/keys', { token: lk.admin, body: {} });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('409 key_limit_reached', () => {
  it('refuses keys beyond the organization limit and frees a slot on revoke', async () => {
    await lk.call('PUT', '/v1/orgs/small', { token: lk.admin, body: { max_keys: 1 } });
    const first = await createKey(lk.call, lk.admin, { org_id: 'small' });
    const second = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'b', org_id: 'small' },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('key_limit_reached');
    await lk.call('DELETE', `/v1/keys/${first.id}`, { token: lk.admin });
    expect(
      (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'c', org_id: 'small' } })).status,
    ).toBe(201);
  });

  it('max_keys 0 allows no keys; the deployment default applies to new organizations', async () => {
    await lk.call('PUT', '/v1/orgs/none', { token: lk.admin, body: { max_keys: 0 } });
    expect(
      (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'a', org_id: 'none' } })).status,
    ).toBe(409);
    for (let i = 0; i < 5; i++) await createKey(lk.call, lk.admin, { org_id: 'fresh' });
    expect(
      (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'a', org_id: 'fresh' } })).status,
    ).toBe(409);
  });

  it('expired keys stop counting towards the limit', async () => {
    await lk.call('PUT', '/v1/orgs/expiring', { token: lk.admin, body: { max_keys: 1 } });
    await createKey(lk.call, lk.admin, {
      org_id: 'expiring',
      expires_at: new Date(Date.now() + 1000).toISOString(),
    });
    expect(
      (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'b', org_id: 'expiring' } }))
        .status,
    ).toBe(409);
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'c', org_id: 'expiring' } }))
        .status,
    ).toBe(201);
    const org = await lk.call('GET', '/v1/orgs/expiring', { token: lk.admin });
    expect(org.body).toEqual({ org_id: 'expiring', plan: null, max_keys: 1, active_keys: 1 });
  });
});

describe('the org limit holds under concurrent creates', () => {
  it('with 20 allowed and 40 racing, exactly 20 succeed and the rest get 409 key_limit_reached', async () => {
    await lk.call('PUT', '/v1/orgs/race', { token: lk.admin, body: { max_keys: 20 } });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        lk.call<ErrorBody>('POST', '/v1/keys', { token: lk.admin, body: { name: `r${i}`, org_id: 'race' } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20);
    expect(
      results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'key_limit_reached'),
    ).toBe(true);
    const org = await lk.call('GET', '/v1/orgs/race', { token: lk.admin });
    expect(org.body).toMatchObject({ active_keys: 20 });
    const list = await lk.call<{ keys: unknown[] }>('GET', '/v1/keys?org_id=race&limit=100', {
      token: lk.admin,
    });
    expect(list.body.keys).toHaveLength(20);
  });
});
