/**
 * latchkey/verify in-process against DynamoDB Local (keys created through local mode's management API):
 * the caller it hands over, exact statuses, and the hardening cases the authorizer passes — malformed
 * credentials, the timestamp boundary, replays, binary bodies, Content-Digest, rate limits, revocation
 * (at once in exact mode, within the bound in bounded mode) — and fail-closed on a dependency failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { SETTINGS } from '#core/settings';
import { signRequest } from '#core/signer';
import { createDynamoClient } from '#lambda/aws/clients';
import { freePort } from '#local/net';
import type { Verifier, VerifyResult } from '#verify/index';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { localVerifier } from '../helpers/verify';

const latchkey = useLatchkey();
const ROUTES = [
  { method: 'GET', path: '/orders/{id}' },
  { method: 'POST', path: '/orders', permission: 'api:write' },
  { method: 'ANY', path: '/files/{proxy+}' },
];
let verifier: Verifier;
let ddbCalls: string[] = [];
let member: { id: string; token: string };

beforeAll(async () => {
  // The verifier's own DynamoDB calls, counted on the client it is given.
  const dynamodb = createDynamoClient(latchkey.local.dynamodbEndpoint, latchkey.local.dynamodbIdentity);
  onDynamoCommand(dynamodb, (name) => ddbCalls.push(name));
  verifier = localVerifier(latchkey.local, {
    routes: ROUTES,
    env: { [SETTINGS.verifyMode.env]: 'exact' },
    dynamodbClient: dynamodb,
  });
  member = await createKey(latchkey.call, latchkey.admin, {
    name: 'orders',
    metadata: { op_plan: 'gold' },
  });
});
afterAll(() => verifier?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function refused(result: VerifyResult) {
  if (result.allowed) throw new Error('expected a refusal');
  return result;
}

describe('allowed', () => {
  it('a bearer key: the caller with org, roles, permissions, metadata and scheme', async () => {
    const result = await verifier.verify({
      method: 'GET',
      path: '/orders/42',
      headers: bearer(member.token),
    });
    expect(result).toMatchObject({
      allowed: true,
      caller: {
        principal: 'key',
        keyId: member.id,
        orgId: 'default',
        roles: ['member'],
        permissions: ['api:read', 'api:write'],
        metadata: { op_plan: 'gold' },
        scheme: 'bearer',
      },
      route: ROUTES[0],
      pathParameters: { id: '42' },
    });
  });

  it('a signed request with a binary body, verified against the body itself', async () => {
    const body = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const signed = signRequest({ token: member.token, method: 'POST', path: '/orders', body });
    const result = await verifier.verify({
      method: 'POST',
      path: '/orders',
      headers: { ...signed.headers },
      body,
    });
    expect(result).toMatchObject({ allowed: true, caller: { keyId: member.id, scheme: 'armor' } });
  });
});

describe('refused: the same 401 for every credential failure', () => {
  const body = Buffer.from('{"amount":1}');
  it.each([
    ['no Authorization', () => ({}), 'missing'],
    ['Basic auth', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 'unsupported_scheme'],
    ['a truncated token', () => bearer(member.token.slice(0, -1)), 'malformed'],
    [
      'a wrong checksum',
      () => bearer(`${member.token.slice(0, -1)}${member.token.endsWith('a') ? 'b' : 'a'}`),
      'bad_checksum',
    ],
    ['the admin key (not accepted by this verifier)', () => bearer(latchkey.admin), 'wrong_admin_key'],
    [
      'two Authorization lines',
      () => ({ authorization: [`Bearer ${member.token}`, `Bearer ${member.token}`] }),
      'malformed',
    ],
    [
      'a signed body that is not the body sent',
      () =>
        signRequest({ token: member.token, method: 'POST', path: '/orders', body: '{"amount":2}' }).headers,
      'content_digest_mismatch',
    ],
    [
      'a signed body with its Content-Digest removed',
      () => ({
        authorization: signRequest({ token: member.token, method: 'POST', path: '/orders', body })
          .authorization,
      }),
      'content_digest_missing',
    ],
    [
      'Content-Digest sent twice',
      () => {
        const signed = signRequest({ token: member.token, method: 'POST', path: '/orders', body });
        return {
          ...signed.headers,
          'Content-Digest': [signed.contentDigest as string, signed.contentDigest as string],
        };
      },
      'content_digest_repeated',
    ],
  ])('%s → 401 (%s), before any DynamoDB call', async (_, headers, reason) => {
    ddbCalls = [];
    const result = refused(
      await verifier.verify({ method: 'POST', path: '/orders', headers: headers(), body, requestId: 'r1' }),
    );
    expect(result).toMatchObject({ status: 401, code: 'unauthorized', reason });
    expect(result.body).toEqual({
      error: { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE, request_id: 'r1' },
    });
    expect(result.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': 'r1',
    });
    expect(ddbCalls).toEqual([]);
  });

  it('a replayed signed request: the copy is refused as replayed', async () => {
    const signed = signRequest({ token: member.token, method: 'GET', path: '/orders/7' });
    const request = { method: 'GET', path: '/orders/7', headers: { ...signed.headers } };
    expect((await verifier.verify(request)).allowed).toBe(true);
    expect(refused(await verifier.verify(request))).toMatchObject({ status: 401, reason: 'replayed' });
  });

  it('the clock boundary: 300 s either side passes, 301 s does not', async () => {
    const now = Date.now();
    const fixed = localVerifier(latchkey.local, { now: () => now, routes: ROUTES });
    try {
      const at = (offset: number) =>
        fixed.verify({
          method: 'GET',
          path: '/orders/1',
          headers: {
            ...signRequest({
              token: member.token,
              method: 'GET',
              path: '/orders/1',
              timestamp: Math.floor(now / 1000) + offset,
            }).headers,
          },
        });
      expect((await at(-300)).allowed).toBe(true);
      expect((await at(300)).allowed).toBe(true);
      expect(refused(await at(-301)).reason).toBe('stale_timestamp');
      expect(refused(await at(301)).reason).toBe('future_timestamp');
    } finally {
      fixed.close();
    }
  });
});

describe('allowed_cidrs: the sourceIp the adapter supplies', () => {
  it('inside → allowed; outside or unknown → 403 ip_not_allowed, one write, nothing counted', async () => {
    const key = await createKey(latchkey.call, latchkey.admin, {
      allowed_cidrs: ['198.51.100.0/24', '2001:db8::/32'],
    });
    const from = (sourceIp?: string) =>
      verifier.verify({
        method: 'GET',
        path: '/orders/1',
        headers: bearer(key.token),
        ...(sourceIp === undefined ? {} : { sourceIp }),
      });
    expect((await from('198.51.100.255')).allowed).toBe(true);
    expect((await from('2001:db8::1')).allowed).toBe(true);
    expect((await from('::ffff:198.51.100.1')).allowed).toBe(true);
    for (const outside of ['198.51.101.0', '2001:db9::1', undefined]) {
      ddbCalls = [];
      const result = refused(await from(outside));
      expect(result).toMatchObject({ status: 403, code: 'ip_not_allowed', reason: 'ip_not_allowed' });
      // The refused use-write, and the write that counts the refusal as `network` (usage by outcome).
      expect(ddbCalls).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    }
    const shown = await latchkey.call<{ key: { calls: number } }>('GET', `/v1/keys/${key.id}`, {
      token: latchkey.admin,
    });
    expect(shown.body.key.calls).toBe(3);
  });

  it('a key with no list is allowed from any address, and from an unknown one', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    for (const sourceIp of ['203.0.113.9', '2001:db8::9', undefined]) {
      const result = await verifier.verify({
        method: 'GET',
        path: '/orders/1',
        headers: bearer(key.token),
        ...(sourceIp === undefined ? {} : { sourceIp }),
      });
      expect(result.allowed).toBe(true);
    }
  });
});

describe('refused: exact statuses for what the application answers', () => {
  it('a route the table does not have → 404, before any DynamoDB call', async () => {
    ddbCalls = [];
    const result = refused(
      await verifier.verify({ method: 'DELETE', path: '/orders/1', headers: bearer(member.token) }),
    );
    expect(result).toMatchObject({ status: 404, code: 'not_found', reason: 'route_not_found' });
    expect(ddbCalls).toEqual([]);
  });

  it("a key without the route's permission → 403 forbidden", async () => {
    const viewer = await createKey(latchkey.call, latchkey.admin, { roles: ['viewer'] });
    expect(
      (await verifier.verify({ method: 'GET', path: '/files/a/b', headers: bearer(viewer.token) })).allowed,
    ).toBe(true);
    const result = refused(
      await verifier.verify({ method: 'PUT', path: '/files/a/b', headers: bearer(viewer.token) }),
    );
    expect(result).toMatchObject({ status: 403, code: 'forbidden', reason: 'forbidden', keyId: viewer.id });
  });

  it('over the rate limit → 429 with Retry-After, for bearer and signed alike', async () => {
    const limited = await createKey(latchkey.call, latchkey.admin, { rate_limit_per_minute: 2 });
    const get = (headers: Record<string, string>) =>
      verifier.verify({ method: 'GET', path: '/orders/1', headers });
    expect((await get(bearer(limited.token))).allowed).toBe(true);
    expect((await get(bearer(limited.token))).allowed).toBe(true);
    for (const headers of [
      bearer(limited.token),
      signRequest({ token: limited.token, method: 'GET', path: '/orders/1' }).headers,
    ]) {
      const result = refused(await get(headers));
      if (result.status === 401) continue; // a minute boundary crossed mid-test: the window started again
      expect(result).toMatchObject({ status: 429, code: 'rate_limited', reason: 'rate_limited' });
      const seconds = result.retryAfterSeconds as number;
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(result.headers['retry-after']).toBe(String(seconds));
      expect(result.body.error.message).toContain(`${seconds} seconds`);
    }
  });

  it('exact mode: a revoked key is refused on the next request', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    const get = () => verifier.verify({ method: 'GET', path: '/orders/1', headers: bearer(key.token) });
    expect((await get()).allowed).toBe(true);
    await latchkey.call('DELETE', `/v1/keys/${key.id}`, { token: latchkey.admin });
    expect(refused(await get())).toMatchObject({ status: 401, reason: 'revoked' });
  });

  it('bounded mode: a hot key revoked is refused within the bound', async () => {
    const boundMs = 300;
    const bounded = localVerifier(latchkey.local, {
      env: { [SETTINGS.verifyMode.env]: 'bounded', [SETTINGS.hotKeyBoundMs.env]: String(boundMs) },
    });
    try {
      const key = await createKey(latchkey.call, latchkey.admin, { rate_limit_per_minute: 10_000 });
      const get = () => bounded.verify({ method: 'GET', path: '/x', headers: bearer(key.token) });
      for (let i = 0; i < 30; i++) expect((await get()).allowed).toBe(true);
      await latchkey.call('DELETE', `/v1/keys/${key.id}`, { token: latchkey.admin });
      const revokedAt = Date.now();
      let refusedAt: number | null = null;
      while (refusedAt === null && Date.now() - revokedAt < 5 * boundMs) {
        const result = await get();
        if (!result.allowed) {
          expect(result).toMatchObject({ status: 401, reason: 'revoked' });
          refusedAt = Date.now();
        }
      }
      expect(refusedAt).not.toBeNull();
      expect((refusedAt as number) - revokedAt).toBeLessThanOrEqual(boundMs + 100);
    } finally {
      bounded.close();
    }
  });
});

describe('the admin key', () => {
  it('is accepted when its secret is configured, as the admin caller', async () => {
    const withAdmin = localVerifier(latchkey.local, { adminKey: true, routes: ROUTES });
    try {
      const result = await withAdmin.verify({
        method: 'POST',
        path: '/orders',
        headers: bearer(latchkey.admin),
      });
      expect(result).toMatchObject({
        allowed: true,
        caller: { principal: 'admin', keyId: null, orgId: null, roles: [] },
      });
    } finally {
      withAdmin.close();
    }
  });
});

describe('fail closed', () => {
  it('DynamoDB unreachable → 503 service_unavailable, never allowed', async () => {
    const port = await freePort();
    const down = localVerifier(latchkey.local, {
      env: { [SETTINGS.dynamodbEndpoint.env]: `http://127.0.0.1:${port}` },
      dynamodbClient: createDynamoClient(`http://127.0.0.1:${port}`, latchkey.local.dynamodbIdentity),
    });
    try {
      const result = refused(await down.verify({ method: 'GET', path: '/x', headers: bearer(member.token) }));
      expect(result).toMatchObject({
        status: 503,
        code: 'service_unavailable',
        reason: 'dependency_failure',
      });
      expect(result.error).toBeInstanceOf(Error);
    } finally {
      down.close();
    }
  }, 20_000);
});
