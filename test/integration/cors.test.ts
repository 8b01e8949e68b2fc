import { describe, expect, it } from 'vitest';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS } from '#core/cors';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * CORS through the local gateway over real HTTP, with `corsAllowOrigin` set: preflights answered without
 * a credential and without the authorizer, the management API's answers readable by the allowed origin
 * only, and the gateway's own refusals (401, 403 rate_limited, 404) carrying the allowed origin so a page
 * can read them. Without the setting (the default), none of it.
 */
const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

const lk = useLatchkey({ settings: { LATCHKEY_CORS_ALLOW_ORIGIN: ALLOWED } });

/** A browser's preflight: OPTIONS with Origin and the Access-Control-Request-* headers, no credential. */
function preflight(path: string, origin: string, extra: Record<string, string> = {}) {
  return fetch(`${lk.local.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
      ...extra,
    },
  });
}

describe('preflights', () => {
  it.each([
    ['/v1/keys', 'POST,GET,OPTIONS'],
    ['/v1/keys/K1aaaaaaaaaaaaaa', 'GET,PATCH,DELETE,OPTIONS'],
    ['/v1/keys/K1aaaaaaaaaaaaaa/rotate', 'POST,OPTIONS'],
    ['/v1/orgs/acme', 'GET,PUT,OPTIONS'],
  ])('OPTIONS %s: 204 with the allowed origin, methods, headers and max-age', async (path, methods) => {
    const res = await preflight(path, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toBe(methods);
    expect(res.headers.get('access-control-allow-headers')).toBe(CORS_ALLOW_HEADERS.join(','));
    expect(res.headers.get('access-control-max-age')).toBe(String(CORS_MAX_AGE_SECONDS));
    expect(res.headers.get('vary')).toBe('Origin');
    expect(await res.text()).toBe('');
  });

  it('never reaches the authorizer: a key sent along is not counted, not even over its limit', async () => {
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await preflight('/v1/whoami', ALLOWED, { authorization: `Bearer ${k.token}` });
      expect(res.status).toBe(204);
    }
    const got = await lk.call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(got.body.key.calls).toBe(0);
  });

  it('grants another origin nothing: the answer names only the allowed one', async () => {
    const res = await preflight('/v1/keys', OTHER);
    expect(res.headers.get('access-control-allow-origin')).not.toBe(OTHER);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('leaves OPTIONS on routes that are not the management API to them (the sample route: 401)', async () => {
    const res = await preflight('/v1/echo/x', ALLOWED);
    expect(res.status).toBe(401);
  });
});

describe('answers', () => {
  it('a management answer to the allowed origin carries it, Vary: Origin and the exposed headers', async () => {
    const res = await lk.call('GET', '/v1/whoami', { token: lk.admin, headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-expose-headers')).toBe(
      'retry-after,ratelimit,ratelimit-policy,x-request-id',
    );
  });

  it('a management answer to another origin, or to no origin, carries no Access-Control-Allow-Origin', async () => {
    const sent: Record<string, string>[] = [{ origin: OTHER }, {}];
    for (const headers of sent) {
      const res = await lk.call('GET', '/v1/whoami', { token: lk.admin, headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('vary')).toBe('Origin');
    }
  });

  it('a management error answer carries it too', async () => {
    const res = await lk.call('GET', '/v1/keys/K1aaaaaaaaaaaaaa', {
      token: lk.admin,
      headers: { origin: ALLOWED },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('the gateway’s 401 and 404 carry the allowed origin and the exposed headers', async () => {
    const unauthorized = await lk.call('GET', '/v1/keys', { token: null, headers: { origin: ALLOWED } });
    expect(unauthorized.status).toBe(401);
    const wrong = await lk.call('GET', '/v1/keys', { token: 'lk_nope', headers: { origin: ALLOWED } });
    expect(wrong.status).toBe(401);
    const missing = await lk.call('GET', '/v1/nothing', { headers: { origin: ALLOWED } });
    expect(missing.status).toBe(404);
    for (const res of [unauthorized, wrong, missing]) {
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    }
  });

  it('the rate-limit refusal carries the allowed origin, so a page can read Retry-After and RateLimit', async () => {
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 1 });
    let refused = await lk.call('GET', '/v1/whoami', { token: k.token, headers: { origin: ALLOWED } });
    // The first call may land just before a window ends; within two windows one is refused.
    for (let i = 0; i < 3 && refused.status === 200; i++) {
      refused = await lk.call('GET', '/v1/whoami', { token: k.token, headers: { origin: ALLOWED } });
    }
    expect(refused.status).toBe(403);
    expect((refused.body as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(refused.headers.get('access-control-expose-headers')).toBe(
      'retry-after,ratelimit,ratelimit-policy,x-request-id',
    );
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"key";q=1;w=60');
  });

  it('public routes (the console, same origin) are left as they are', async () => {
    const res = await fetch(`${lk.local.url}/console`, { headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('off by default', () => {
  const plain = useLatchkey();

  it('OPTIONS is no route, and no answer carries CORS headers', async () => {
    const options = await fetch(`${plain.local.url}/v1/keys`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'GET' },
    });
    expect(options.status).toBe(404);
    const refused = await plain.call('GET', '/v1/keys', { token: null, headers: { origin: ALLOWED } });
    const answered = await plain.call('GET', '/v1/whoami', {
      token: plain.admin,
      headers: { origin: ALLOWED },
    });
    for (const headers of [options.headers, refused.headers, answered.headers]) {
      expect(headers.get('access-control-allow-origin')).toBeNull();
      expect(headers.get('vary')).toBeNull();
    }
  });
});

describe('behind an HTTP API (apiType http)', () => {
  const http = useLatchkey({ apiType: 'http', settings: { LATCHKEY_CORS_ALLOW_ORIGIN: ALLOWED } });

  it('answers every preflight itself, the sample route included, without the authorizer', async () => {
    for (const path of ['/v1/keys', '/v1/echo/anything']) {
      const res = await fetch(`${http.local.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
      });
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-methods')).toBe('*');
    }
  });

  it("API Gateway's own refusals carry the allowed origin and the exposed headers", async () => {
    const refused = await fetch(`${http.local.url}/v1/whoami`, {
      headers: { origin: ALLOWED, authorization: 'Bearer lk_nope' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(refused.headers.get('access-control-expose-headers')).toContain('retry-after');
  });
});
