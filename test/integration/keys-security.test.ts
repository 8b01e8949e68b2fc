import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { HOT_KEY_RATE } from '#core/hot-keys';
import { formatToken, newKeyId } from '#core/token';
import type { LocalMode } from '#local/local-mode';
import { useLatchkey } from '../helpers/latchkey';
import { client, createKey, startTestLatchkey } from '../helpers/local';
import { expectRefusal } from '../helpers/refusals';

/**
 * Security cases, table-driven, through the local gateway over real HTTP; the refusals a gateway makes
 * (credentials, route permissions) through a REST API and an HTTP API (test/helpers/refusals.ts).
 */
const lk = useLatchkey();
const lkHttp = useLatchkey({ apiType: 'http' });
const GATEWAYS = [
  { apiType: 'rest' as const, t: lk },
  { apiType: 'http' as const, t: lkHttp },
];

function mutateChar(value: string, index: number): string {
  const c = value[index] === 'a' ? 'b' : 'a';
  return value.slice(0, index) + c + value.slice(index + 1);
}

describe.each(GATEWAYS)('$apiType API', ({ apiType, t }) => {
  describe('every credential failure gets the same refusal (REST: 401, HTTP API: 403; no header: 401)', () => {
    const cases: Array<[string, () => Promise<string | undefined>]> = [
      ['missing', async () => undefined],
      ['empty bearer', async () => 'Bearer '],
      ['unsupported scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['malformed', async () => 'Bearer not-a-key'],
      ['bad checksum', async () => `Bearer ${mutateChar((await createKey(t.call, t.admin)).token, 70)}`],
      ['truncated', async () => `Bearer ${(await createKey(t.call, t.admin)).token.slice(0, -1)}`],
      ['unknown key id', async () => `Bearer ${formatToken('lk', newKeyId(), randomBase62(43))}`],
      [
        'wrong secret',
        async () => {
          const { id } = await createKey(t.call, t.admin);
          return `Bearer ${formatToken('lk', id, randomBase62(43))}`;
        },
      ],
      [
        'revoked',
        async () => {
          const k = await createKey(t.call, t.admin);
          await t.call('DELETE', `/v1/keys/${k.id}`, { token: t.admin });
          return `Bearer ${k.token}`;
        },
      ],
      [
        'expired',
        async () => {
          const k = await createKey(t.call, t.admin, {
            expires_at: new Date(Date.now() + 1200).toISOString(),
          });
          expect((await t.call('GET', '/v1/whoami', { token: k.token })).status).toBe(200);
          await new Promise((r) => setTimeout(r, 1300));
          return `Bearer ${k.token}`;
        },
      ],
      ['wrong lk.admin key', async () => `Bearer ${randomBase62(64)}`],
      ['another prefix', async () => `Bearer ${formatToken('sk', newKeyId(), randomBase62(43))}`],
    ];

    it.each(cases)('%s', async (_name, credential) => {
      const authorization = await credential();
      const res = await t.call<{ error: Record<string, string> }>('GET', '/v1/whoami', {
        ...(authorization === undefined ? {} : { authorization }),
      });
      expectRefusal(res, apiType, authorization === undefined ? 'missing_credential' : 'bad_credential');
      if (apiType === 'http') return;
      expect(Object.keys(res.body)).toEqual(['error']);
      expect(res.body.error.message).toBe(UNAUTHORIZED_MESSAGE);
      expect(res.body.error.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('the scheme name is case-insensitive', () => {
    it('accepts `bearer` and `BEARER`', async () => {
      const k = await createKey(t.call, t.admin);
      expect((await t.call('GET', '/v1/whoami', { authorization: `bearer ${k.token}` })).status).toBe(200);
      expect((await t.call('GET', '/v1/whoami', { authorization: `BEARER ${t.admin}` })).status).toBe(200);
    });
  });

  describe('route permissions are enforced before the integration (REST: the policy; HTTP API: the authorizer)', () => {
    const cases: Array<[string, string, string, string]> = [
      ['member', 'POST', '/v1/keys', 'creating keys'],
      ['member', 'GET', '/v1/keys', 'listing keys'],
      ['viewer', 'POST', '/v1/echo/x', 'writing to an application route'],
      ['viewer', 'DELETE', '/v1/echo/x', 'deleting on an application route'],
      ['admin', 'GET', '/v1/orgs/default', 'reading an organization (lk.admin key only)'],
      ['admin', 'PUT', '/v1/orgs/default', 'changing an organization (lk.admin key only)'],
    ];
    it.each(cases)('a %s key: %s %s (%s) → 403', async (role, method, path) => {
      const k = await createKey(t.call, t.admin, { roles: [role] });
      const res = await t.call<{ error: Record<string, string> }>(method, path, {
        token: k.token,
        body: method === 'GET' ? undefined : { name: 'x' },
      });
      expectRefusal(res, apiType, 'forbidden_route');
      if (apiType === 'rest') expect(res.body.error.request_id).toBeTruthy();
    });

    it('a viewer key may read application routes', async () => {
      const k = await createKey(t.call, t.admin, { roles: ['viewer'] });
      expect((await t.call('GET', '/v1/echo/x', { token: k.token })).status).toBe(200);
      expect((await t.call('HEAD', '/v1/echo/x', { token: k.token })).status).toBe(200);
    });
  });
});

describe('organizations are isolated', () => {
  it('another organization’s key is 404, never 403, for get and revoke', async () => {
    const mine = await createKey(lk.call, lk.admin, { org_id: 'org-a', roles: ['admin'] });
    const theirs = await createKey(lk.call, lk.admin, { org_id: 'org-b' });
    for (const method of ['GET', 'DELETE']) {
      const res = await lk.call<{ error: Record<string, string> }>(method, `/v1/keys/${theirs.id}`, {
        token: mine.token,
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    // And it was not revoked.
    expect((await lk.call('GET', '/v1/whoami', { token: theirs.token })).status).toBe(200);
  });

  it('another organization’s key, or an unknown one, is 404 in GET /v1/audit?key_id=', async () => {
    const mine = await createKey(lk.call, lk.admin, { org_id: 'org-e', roles: ['admin'] });
    const theirs = await createKey(lk.call, lk.admin, { org_id: 'org-f' });
    for (const id of [theirs.id, newKeyId()]) {
      const res = await lk.call<{ error: Record<string, string> }>('GET', `/v1/audit?key_id=${id}`, {
        token: mine.token,
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const own = await createKey(lk.call, lk.admin, { org_id: 'org-e' });
    const listed = await lk.call<{ events: Array<{ type: string }> }>('GET', `/v1/audit?key_id=${own.id}`, {
      token: mine.token,
    });
    expect(listed.body.events.map((e) => e.type)).toEqual(['key.created']);
  });

  it('a key cannot create keys in, or list, another organization', async () => {
    const mine = await createKey(lk.call, lk.admin, { org_id: 'org-c', roles: ['admin'] });
    const create = await lk.call<{ error: Record<string, string> }>('POST', '/v1/keys', {
      token: mine.token,
      body: { name: 'x', org_id: 'org-d' },
    });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    const list = await lk.call<{ error: Record<string, string> }>('GET', '/v1/keys?org_id=org-d', {
      token: mine.token,
    });
    expect(list.status).toBe(403);
  });
});

describe('no escalation', () => {
  it('with a custom matrix, a keys-only manager cannot mint application keys', async () => {
    const custom = await startTestLatchkey({
      settings: {
        LATCHKEY_ROLE_MATRIX: JSON.stringify({
          manager: ['keys:read', 'keys:write'],
          member: ['api:read', 'api:write'],
          viewer: ['api:read'],
        }),
      },
    });
    try {
      const c = client(custom.url);
      const manager = await createKey(c, custom.adminKey, { roles: ['manager'] });
      const res = await c<{ error: Record<string, string> }>('POST', '/v1/keys', {
        token: manager.token,
        body: { name: 'escalate', roles: ['member'] },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.message).toContain('api:read');
      const same = await c('POST', '/v1/keys', {
        token: manager.token,
        body: { name: 'peer', roles: ['manager'] },
      });
      expect(same.status).toBe(201);
    } finally {
      await custom.stop();
    }
  });

  it('with a custom matrix, a keys-only key may not revoke an admin-role key, as it may not disable it', async () => {
    const custom = await startTestLatchkey({
      settings: {
        LATCHKEY_ROLE_MATRIX: JSON.stringify({
          admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
          keymgr: ['keys:read', 'keys:write'],
          member: ['api:read', 'api:write'],
        }),
      },
    });
    try {
      const c = client(custom.url);
      const keymgr = await createKey(c, custom.adminKey, { roles: ['keymgr'] });
      const admin = await createKey(c, custom.adminKey, { roles: ['admin'] });
      for (const [method, path, body] of [
        ['PATCH', `/v1/keys/${admin.id}`, { enabled: false }],
        ['DELETE', `/v1/keys/${admin.id}`, undefined],
      ] as const) {
        const res = await c<{ error: Record<string, string> }>(method, path, {
          token: keymgr.token,
          ...(body ? { body } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect((await c('GET', '/v1/whoami', { token: admin.token })).status).toBe(200);
      // A key it may disable it may revoke.
      const peer = await createKey(c, custom.adminKey, { roles: ['keymgr'] });
      expect((await c('DELETE', `/v1/keys/${peer.id}`, { token: keymgr.token })).status).toBe(200);
    } finally {
      await custom.stop();
    }
  });

  it('a key cannot revoke itself (409 cannot_modify_self)', async () => {
    const k = await createKey(lk.call, lk.admin, { roles: ['admin'] });
    const res = await lk.call<{ error: Record<string, string> }>('DELETE', `/v1/keys/${k.id}`, {
      token: k.token,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('cannot_modify_self');
    expect((await lk.call('GET', '/v1/whoami', { token: k.token })).status).toBe(200);
  });
});

describe('expiry is enforced in code at expires_at', () => {
  it('a key works until expires_at and is refused from then on, while its record still exists', async () => {
    const expiresAt = Date.now() + 1500;
    const k = await createKey(lk.call, lk.admin, { expires_at: new Date(expiresAt).toISOString() });
    expect((await lk.call('GET', '/v1/whoami', { token: k.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
    expect((await lk.call('GET', '/v1/whoami', { token: k.token })).status).toBe(401);
    const record = await lk.call<{ key: { status: string } }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(record.body.key.status).toBe('expired');
  });
});

describe('a key revoked or disabled while the authorizer still lets it through (bounded mode, hot)', () => {
  // The clock stands still once the key is hot: its copy on the authorizer never ages, so the authorizer
  // keeps allowing the key for as long as the test needs (in a deployment: up to hotKeyBoundMs).
  let clock = Date.now();
  let hot: LocalMode;
  beforeAll(async () => {
    hot = await startTestLatchkey({ now: () => clock, settings: { LATCHKEY_VERIFY_MODE: 'bounded' } });
  });
  afterAll(() => hot?.stop());

  it.each([
    ['revoked', { method: 'DELETE', body: undefined }],
    ['disabled', { method: 'PATCH', body: { enabled: false } }],
  ] as const)(
    '%s: every state-changing management route answers the one 401 and changes nothing',
    async (_, change) => {
      const c = client(hot.url);
      const org = `hot-${change.method.toLowerCase()}`;
      // A high rate limit, so the authorizer stays on the copy rather than going exact near the limit.
      const caller = await createKey(c, hot.adminKey, {
        org_id: org,
        roles: ['admin'],
        rate_limit_per_minute: 100_000,
      });
      const target = await createKey(c, hot.adminKey, { org_id: org, name: 'target' });
      for (let i = 0; i < HOT_KEY_RATE + 2; i++) {
        clock += 5;
        expect((await c('GET', '/v1/whoami', { token: caller.token })).status).toBe(200);
      }
      const applied = await c(change.method, `/v1/keys/${caller.id}`, {
        token: hot.adminKey,
        ...(change.body ? { body: change.body } : {}),
      });
      expect(applied.status).toBe(200);
      // The authorizer still lets the key through: a read is answered.
      expect((await c('GET', `/v1/keys/${target.id}`, { token: caller.token })).status).toBe(200);
      for (const [method, path, body] of [
        ['POST', '/v1/keys', { name: 'minted' }],
        ['PATCH', `/v1/keys/${target.id}`, { name: 'renamed' }],
        ['POST', `/v1/keys/${target.id}/rotate`, {}],
        ['DELETE', `/v1/keys/${target.id}`, undefined],
      ] as const) {
        const res = await c<{ error: Record<string, string> }>(method, path, {
          token: caller.token,
          ...(body ? { body } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.body.error).toMatchObject({ code: 'unauthorized', message: UNAUTHORIZED_MESSAGE });
      }
      const keys = await c<{ keys: Array<{ id: string; name: string; status: string }> }>(
        'GET',
        `/v1/keys?org_id=${org}`,
        { token: hot.adminKey },
      );
      expect(keys.body.keys.map((k) => k.id).sort()).toEqual([caller.id, target.id].sort());
      expect(keys.body.keys.find((k) => k.id === target.id)).toMatchObject({
        name: 'target',
        status: 'active',
      });
    },
  );
});
