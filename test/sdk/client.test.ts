import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import type { OrgRecord, ApiKey as ServerApiKey } from '#core/model';
import type { LocalMode } from '#local/local-mode';
import {
  type ApiKey,
  LatchkeyClient,
  LatchkeyError,
  type NewKeyResponse,
  type Org,
  signRequest,
} from '#sdk/index';
import { startTestLatchkey } from '../helpers/local';
import { nonceOf, type Recorded, startScriptedServer } from './proxy';

/**
 * The SDK against local mode over real HTTP: every method's happy path and its result shapes, error
 * mapping, pagination, signed requests with and without bodies, and — with a scripted server in front
 * of local mode — retries that never reuse a nonce, network errors and timeouts.
 */
let local: LocalMode;
let admin: LatchkeyClient;
/** A key with the admin role: it can sign management calls. */
let managerToken: string;
let managerId: string;

const TOKEN_RE = /^lk_[A-Za-z0-9]{16,}_[A-Za-z0-9]{33,}$/;
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  local = await startTestLatchkey();
  admin = new LatchkeyClient({ baseUrl: local.url, key: local.adminKey });
  const created = await admin.createKey({
    name: 'sdk manager',
    roles: ['admin'],
    rate_limit_per_minute: 10_000,
  });
  managerToken = created.raw_key;
  managerId = created.key.id;
});
afterAll(async () => {
  await local?.stop();
});

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<LatchkeyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LatchkeyError);
    return error as LatchkeyError;
  }
  throw new Error('expected the call to fail');
}

describe('types', () => {
  it('mirrors the server shapes exactly', () => {
    expectTypeOf<ApiKey>().toEqualTypeOf<ServerApiKey>();
    expectTypeOf<Org>().toEqualTypeOf<OrgRecord>();
    expectTypeOf<NewKeyResponse['raw_key']>().toEqualTypeOf<string>();
  });
});

describe('management methods', () => {
  it('createKey returns 201 {key, raw_key, warning} with the requested settings', async () => {
    const expires = new Date(Date.now() + 86_400_000);
    const created = await admin.createKey({
      name: 'billing',
      description: 'for the billing service',
      roles: ['viewer'],
      rate_limit_per_minute: 120,
      expires_at: expires,
    });
    expect(created.raw_key).toMatch(TOKEN_RE);
    expect(created.warning).toMatch(/shown only/);
    expect(created.key).toMatchObject({
      name: 'billing',
      description: 'for the billing service',
      org_id: 'default',
      roles: ['viewer'],
      permissions: ['api:read'],
      rate_limit_per_minute: 120,
      status: 'active',
      enabled: true,
      created_by: 'admin',
      expires_at: expires.toISOString(),
      calls: 0,
    });
    expect(created.key.key_prefix).toBe(`lk_${created.key.id}`);
    expect(created.raw_key.startsWith(`${created.key.key_prefix}_`)).toBe(true);
  });

  it('getKey, whoami, revokeKey (twice) and the revoked key stops working', async () => {
    const { key, raw_key } = await admin.createKey({ name: 'short-lived' });
    expect((await admin.getKey(key.id)).key).toMatchObject({ id: key.id, status: 'active' });

    const asKey = new LatchkeyClient({ baseUrl: local.url, key: raw_key });
    const me = await asKey.whoami();
    expect(me).toMatchObject({ principal: 'key', org_id: 'default', permissions: ['api:read', 'api:write'] });
    expect(me.key?.id).toBe(key.id);
    expect(await admin.whoami()).toMatchObject({ principal: 'admin', org_id: null });

    const revoked = await admin.revokeKey(key.id);
    expect(revoked.revoked).toBe(true);
    expect(revoked.key.status).toBe('revoked');
    expect(revoked.key.revoked_at).not.toBeNull();
    expect((await admin.revokeKey(key.id)).key.revoked_at).toBe(revoked.key.revoked_at);

    const error = await failure(asKey.whoami());
    expect(error).toMatchObject({
      kind: 'http',
      status: 401,
      code: 'unauthorized',
      message: UNAUTHORIZED_MESSAGE,
    });
  });

  it('rotateKey returns a new key; the old one keeps working through the grace period', async () => {
    const old = await admin.createKey({ name: 'rotating', roles: ['viewer'] });
    const rotated = await admin.rotateKey(old.key.id, { grace_period_seconds: 600 });
    expect(rotated.raw_key).toMatch(TOKEN_RE);
    expect(rotated.key.id).not.toBe(old.key.id);
    expect(rotated.key).toMatchObject({ name: 'rotating', roles: ['viewer'], status: 'active' });
    const oldClient = new LatchkeyClient({ baseUrl: local.url, key: old.raw_key });
    const newClient = new LatchkeyClient({ baseUrl: local.url, key: rotated.raw_key });
    expect((await oldClient.whoami()).key?.id).toBe(old.key.id);
    expect((await newClient.whoami()).key?.id).toBe(rotated.key.id);
    const again = await failure(admin.rotateKey(old.key.id));
    expect(again).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('getOrg and setOrgLimit (a number, then unlimited)', async () => {
    const org = unique('org');
    expect(await admin.getOrg(org)).toEqual({ org_id: org, plan: null, max_keys: 50, active_keys: 0 });
    expect(await admin.setOrgLimit(org, 1)).toEqual({ org_id: org, plan: null, max_keys: 1, active_keys: 0 });
    await admin.createKey({ name: 'only one', org_id: org });
    const full = await failure(admin.createKey({ name: 'one too many', org_id: org }));
    expect(full).toMatchObject({ kind: 'http', status: 409, code: 'key_limit_reached' });
    expect(full.requestId).toBeTruthy();
    expect(await admin.setOrgLimit(org, null)).toEqual({
      org_id: org,
      plan: null,
      max_keys: null,
      active_keys: 1,
    });
    await admin.createKey({ name: 'now fits', org_id: org });
    expect((await admin.getOrg(org)).active_keys).toBe(2);
  });
});

describe('pagination', () => {
  it('listKeys returns one page with a cursor; iterateKeys follows every page', async () => {
    const org = unique('pages');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await admin.createKey({ name: `page key ${i}`, org_id: org })).key.id);
    await admin.revokeKey(ids[0] as string);

    const first = await admin.listKeys({ org_id: org, limit: 2 });
    expect(first.keys).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await admin.listKeys({ org_id: org, limit: 2, cursor: first.next_cursor });
    expect(second.keys.map((k) => k.id)).not.toContain(first.keys[0]?.id);

    const all: string[] = [];
    for await (const key of admin.iterateKeys({ org_id: org, limit: 2 })) all.push(key.id);
    expect(all).toEqual([...ids].reverse()); // newest first, each key once, across 3 pages

    const active: string[] = [];
    for await (const key of admin.iterateKeys({ org_id: org, limit: 2, status: 'active' }))
      active.push(key.id);
    expect(active).toEqual(ids.slice(1).reverse());
    expect((await admin.listKeys({ org_id: org, status: 'revoked' })).keys.map((k) => k.id)).toEqual([
      ids[0],
    ]);
    const named: string[] = [];
    for await (const key of admin.iterateKeys({ org_id: org, limit: 1, name: 'key 3' })) named.push(key.id);
    expect(named).toEqual([ids[3]]);
  });
});

describe('error mapping', () => {
  it('maps latchkey error bodies to LatchkeyError', async () => {
    const bad = new LatchkeyClient({ baseUrl: local.url, key: 'lk_notAKeyAtAll00_nope', retries: 0 });
    const unauthorized = await failure(bad.whoami());
    expect(unauthorized).toMatchObject({
      name: 'LatchkeyError',
      kind: 'http',
      status: 401,
      code: 'unauthorized',
      message: UNAUTHORIZED_MESSAGE,
      method: 'GET',
      path: '/v1/whoami',
      attempts: 1,
    });
    expect(unauthorized.requestId).toEqual(expect.any(String));

    const notFound = await failure(admin.getKey('AAAAAAAAAAAAAAAA'));
    expect(notFound).toMatchObject({ status: 404, code: 'not_found' });

    const invalid = await failure(admin.createKey({ name: '' }));
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(invalid.message).toMatch(/^name/);

    const member = (await admin.createKey({ name: 'member' })).raw_key;
    const forbidden = await failure(new LatchkeyClient({ baseUrl: local.url, key: member }).listKeys());
    expect(forbidden).toMatchObject({ status: 403, code: 'forbidden', isRateLimited: false });

    const manager = new LatchkeyClient({ baseUrl: local.url, key: managerToken });
    const self = await failure(manager.revokeKey(managerId));
    expect(self).toMatchObject({ status: 409, code: 'cannot_modify_self' });
  });

  it('rate limiting is a 403 rate_limited, not retried', async () => {
    const { raw_key } = await admin.createKey({ name: 'slow', rate_limit_per_minute: 1 });
    const slow = new LatchkeyClient({ baseUrl: local.url, key: raw_key, retryDelayMs: 1 });
    await slow.whoami();
    const limited = await failure(slow.whoami());
    expect(limited).toMatchObject({ status: 403, code: 'rate_limited', isRateLimited: true, attempts: 1 });
  });

  it('fetch resolves with any status; LatchkeyError.fromResponse reads an error body', async () => {
    const res = await admin.fetch('/v1/no-such-route');
    expect(res.status).toBe(404);
    const error = await LatchkeyError.fromResponse(res, { method: 'GET', path: '/v1/no-such-route' });
    expect(error).toMatchObject({ kind: 'http', status: 404, code: 'not_found', path: '/v1/no-such-route' });
    expect(error.requestId).toEqual(expect.any(String));
  });

  it('a non-JSON error answer still gets a code from its status', async () => {
    const server = await startScriptedServer(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    try {
      const client = new LatchkeyClient({ baseUrl: server.url, key: local.adminKey, retries: 0 });
      const error = await failure(client.getOrg('default'));
      expect(error).toMatchObject({ kind: 'http', status: 502, code: 'http_502', requestId: null });
    } finally {
      await server.close();
    }
  });

  it('refuses bad options without echoing the key', async () => {
    expect(() => new LatchkeyClient({ baseUrl: 'not a url', key: local.adminKey })).toThrow(/baseUrl/);
    expect(() => new LatchkeyClient({ baseUrl: `${local.url}?x=1`, key: local.adminKey })).toThrow(/query/);
    let message = '';
    try {
      new LatchkeyClient({ baseUrl: local.url, key: local.adminKey, sign: true });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sign: true needs an API-key token/);
    expect(message).not.toContain(local.adminKey);
    expect(() => admin.fetch('/v1/echo/x', { sign: true })).toThrow(/API-key token/);
    expect(() => admin.fetch('/v1/echo/x', { body: 'x' })).toThrow('a GET request cannot have a body');
    await expect(admin.fetch('v1/echo/x')).rejects.toThrow(/must start with/);
  });
});

describe('signed requests', () => {
  it('signs management calls without and with a body (Content-Digest)', async () => {
    const signed = new LatchkeyClient({ baseUrl: local.url, key: managerToken, sign: true });
    expect((await signed.whoami()).key?.id).toBe(managerId);
    const created = await signed.createKey({ name: 'made by a signed request', roles: ['viewer'] });
    expect(created.key.created_by).toBe(`key:${managerId}`);
    const page = await signed.listKeys({ limit: 1 });
    expect(page.keys).toHaveLength(1);
    expect((await signed.revokeKey(created.key.id)).revoked).toBe(true);
    const rotated = await signed.rotateKey((await signed.createKey({ name: 'to rotate' })).key.id, {});
    expect(rotated.raw_key).toMatch(TOKEN_RE);
  });

  it('signs application routes: GET with a query string, POST and PUT with bodies, binary bodies', async () => {
    const { raw_key, key } = await admin.createKey({ name: 'app', rate_limit_per_minute: 1000 });
    const app = new LatchkeyClient({ baseUrl: local.url, key: raw_key, sign: true });

    const get = await app.fetch('/v1/echo/orders?page=2');
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({
      method: 'GET',
      path: '/v1/echo/orders',
      query: { page: '2' },
      principal: { type: 'key', key_id: key.id },
    });

    const body = JSON.stringify({ sku: 'A-1', qty: 2 });
    const post = await app.fetch('/v1/echo/orders', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({ method: 'POST', body });

    const put = await app.fetch('/v1/echo/bytes', { method: 'put', body: new TextEncoder().encode('héllo') });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ method: 'PUT', body: 'héllo' });

    // Each request carries a fresh nonce, so sending the same request twice is fine.
    expect((await app.fetch('/v1/echo/orders?page=2')).status).toBe(200);
  });

  it('signs the path as sent, stage included, with a fresh nonce and timestamp', async () => {
    const server = await startScriptedServer(() => ({ status: 200, body: '{"ok":true}' }));
    try {
      const app = new LatchkeyClient({ baseUrl: `${server.url}/prod/`, key: managerToken, sign: true });
      const body = '{"a":1}';
      await app.fetch('/v1/echo/x?q=1', { method: 'POST', body });
      await app.fetch('/v1/echo/x?q=1', { method: 'POST', body });
      const [first, second] = server.requests as [Recorded, Recorded];
      expect(first.url).toBe('/prod/v1/echo/x?q=1');
      const authorization = first.headers.authorization as string;
      const timestamp = Number(authorization.split(':')[3]);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(5);
      const expected = signRequest({
        token: managerToken,
        method: 'POST',
        path: '/prod/v1/echo/x',
        body,
        nonce: nonceOf(authorization),
        timestamp,
      });
      expect(authorization).toBe(expected.authorization);
      expect(first.headers['content-digest']).toBe(expected.contentDigest);
      expect(nonceOf(second.headers.authorization)).not.toBe(nonceOf(authorization));
    } finally {
      await server.close();
    }
  });
});

describe('retries, network errors and timeouts', () => {
  it('a retried signed request gets a fresh nonce each attempt, and the server accepts the retry', async () => {
    // The first attempt reaches local mode (which records its nonce) but its answer is "lost":
    // a retry that reused the nonce would be refused as a replay.
    const server = await startScriptedServer((n) => (n === 1 ? 'forward-then-fail' : 'forward'), local.url);
    try {
      const signed = new LatchkeyClient({
        baseUrl: server.url,
        key: managerToken,
        sign: true,
        retryDelayMs: 1,
      });
      expect((await signed.whoami()).key?.id).toBe(managerId);
      const nonces = server.requests.map((r) => nonceOf(r.headers.authorization));
      expect(nonces).toHaveLength(2);
      expect(new Set(nonces).size).toBe(2);

      // Replaying the first attempt's exact request is refused: the nonce really was spent.
      const replay = await fetch(`${local.url}/v1/whoami`, {
        headers: { authorization: server.requests[0]?.headers.authorization as string },
      });
      expect(replay.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('retries idempotent requests on 5xx, 429 and dropped connections, never twice with one nonce', async () => {
    const plan = [
      'destroy',
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 503 },
      'forward',
    ] as const;
    const server = await startScriptedServer((n) => plan[n - 1] ?? 'forward', local.url);
    try {
      const signed = new LatchkeyClient({
        baseUrl: server.url,
        key: managerToken,
        sign: true,
        retries: 3,
        retryDelayMs: 1,
      });
      const org = await signed.listKeys({ limit: 1 });
      expect(org.keys).toHaveLength(1);
      expect(server.requests).toHaveLength(4);
      const nonces = server.requests.map((r) => nonceOf(r.headers.authorization));
      expect(new Set(nonces).size).toBe(4);
    } finally {
      await server.close();
    }
  });

  it('retries PUT and DELETE (bearer), gives up after `retries` extra attempts', async () => {
    const server = await startScriptedServer((n) => (n === 1 ? { status: 500 } : 'forward'), local.url);
    try {
      const client = new LatchkeyClient({ baseUrl: server.url, key: local.adminKey, retryDelayMs: 1 });
      const org = unique('put');
      expect((await client.setOrgLimit(org, 3)).max_keys).toBe(3);
      expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'PUT']);
    } finally {
      await server.close();
    }
    const down = await startScriptedServer(() => ({ status: 503 }));
    try {
      const client = new LatchkeyClient({
        baseUrl: down.url,
        key: local.adminKey,
        retries: 2,
        retryDelayMs: 1,
      });
      const error = await failure(client.revokeKey('AAAAAAAAAAAAAAAA'));
      expect(error).toMatchObject({ kind: 'http', status: 503, code: 'service_unavailable', attempts: 3 });
      expect(down.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE', 'DELETE']);
    } finally {
      await down.close();
    }
  });

  it('never retries POST', async () => {
    const server = await startScriptedServer(() => 'forward-then-fail', local.url);
    try {
      const client = new LatchkeyClient({
        baseUrl: server.url,
        key: managerToken,
        sign: true,
        retryDelayMs: 1,
      });
      const error = await failure(client.createKey({ name: 'maybe created' }));
      expect(error).toMatchObject({ status: 503, attempts: 1 });
      expect(server.requests).toHaveLength(1);
      const dropped = await startScriptedServer(() => 'destroy');
      try {
        const c = new LatchkeyClient({ baseUrl: dropped.url, key: local.adminKey, retryDelayMs: 1 });
        const network = await failure(c.fetch('/v1/echo/x', { method: 'POST', body: 'x' }));
        expect(network).toMatchObject({ kind: 'network', attempts: 1 });
        expect(dropped.requests).toHaveLength(1);
      } finally {
        await dropped.close();
      }
    } finally {
      await server.close();
    }
  });

  it('does not wait for a Retry-After longer than it is willing to sleep', async () => {
    const server = await startScriptedServer(() => ({
      status: 429,
      headers: { 'retry-after': '3600' },
      body: '{"error":{"code":"rate_limited","message":"Too many requests.","request_id":"r1"}}',
    }));
    try {
      const client = new LatchkeyClient({ baseUrl: server.url, key: local.adminKey, retryDelayMs: 1 });
      const error = await failure(client.whoami());
      expect(error).toMatchObject({
        status: 429,
        code: 'rate_limited',
        requestId: 'r1',
        isRateLimited: true,
      });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a refused connection is a network error, distinguishable from HTTP errors', async () => {
    const port = await closedPort();
    const client = new LatchkeyClient({
      baseUrl: `http://127.0.0.1:${port}`,
      key: local.adminKey,
      retryDelayMs: 1,
    });
    const error = await failure(client.whoami());
    expect(error).toMatchObject({ kind: 'network', status: null, code: 'network_error', attempts: 3 });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(local.adminKey);
  });

  it('a silent server is a timeout; idempotent requests are retried, each with its own timeout', async () => {
    const server = await startScriptedServer(() => 'hang');
    try {
      const client = new LatchkeyClient({
        baseUrl: server.url,
        key: managerToken,
        sign: true,
        timeoutMs: 100,
        retries: 1,
        retryDelayMs: 1,
      });
      const started = Date.now();
      const error = await failure(client.getKey('AAAAAAAAAAAAAAAA'));
      expect(error).toMatchObject({ kind: 'timeout', status: null, code: 'timeout', attempts: 2 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(new Set(server.requests.map((r) => nonceOf(r.headers.authorization))).size).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("the caller's AbortSignal cancels with its own reason, not a LatchkeyError", async () => {
    const server = await startScriptedServer(() => 'hang');
    try {
      const client = new LatchkeyClient({ baseUrl: server.url, key: local.adminKey });
      const controller = new AbortController();
      const pending = client.whoami({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user cancelled')), 50);
      await expect(pending).rejects.toThrow('user cancelled');
    } finally {
      await server.close();
    }
  });

  it('does not follow redirects with the key', async () => {
    const server = await startScriptedServer(() => ({
      status: 302,
      headers: { location: 'http://example.com/' },
    }));
    try {
      const client = new LatchkeyClient({ baseUrl: server.url, key: local.adminKey, retries: 0 });
      const error = await failure(client.whoami());
      expect(error).toMatchObject({ kind: 'http', status: 302, code: 'http_302' });
    } finally {
      await server.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
