import { describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * Rate limits and rotation grace, with the handlers' clock under the test's control so windows and
 * grace periods can be crossed without waiting. DynamoDB conditions use the same clock.
 */
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
const lk = useLatchkey({ now: clock });

/** Moves the clock to 5 s into the next rate-limit window. */
function nextWindow(): void {
  const now = clock();
  offsetMs += 60_000 - (now % 60_000) + 5_000;
}

function signedGet(token: string, path: string) {
  const h = signRequest({ token, method: 'GET', path, timestamp: Math.floor(clock() / 1000) });
  return lk.call<{ error?: { code: string; message: string } }>('GET', path, {
    authorization: h.authorization,
  });
}

type ErrorBody = { error: { code: string; message: string; request_id: string } };

describe('rate limits', () => {
  it('refuses the request after the limit with 403 rate_limited, and recovers in the next window', async () => {
    nextWindow();
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++)
      expect((await lk.call('GET', '/v1/echo/rl', { token: k.token })).status).toBe(200);
    const refused = await lk.call<ErrorBody>('GET', '/v1/echo/rl', { token: k.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.body.error.message).toMatch(/Retry after (5[0-5]|[1-4]?\d) seconds\./);
    expect(refused.body.error.request_id).toBeTruthy();
    // The same seconds in Retry-After, for HTTP clients that back off on their own.
    const seconds = /Retry after (\d+) seconds/.exec(refused.body.error.message)?.[1];
    expect(refused.headers.get('retry-after')).toBe(seconds);
    // And the IETF RateLimit fields: none left of the key's 3 per 60 s until the window ends.
    expect(refused.headers.get('ratelimit')).toBe(`"key";r=0;t=${seconds}`);
    expect(refused.headers.get('ratelimit-policy')).toBe('"key";q=3;w=60');
    // Signed requests share the same window and are refused the same way, without using the nonce.
    expect((await signedGet(k.token, '/v1/echo/rl')).status).toBe(403);

    nextWindow();
    expect((await lk.call('GET', '/v1/echo/rl', { token: k.token })).status).toBe(200);
    expect((await signedGet(k.token, '/v1/echo/rl')).status).toBe(200);
    const got = await lk.call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(got.body.key.calls).toBe(5);
  });

  it('holds across concurrent requests: with a limit of 10, 25 at once let exactly 10 through', async () => {
    nextWindow();
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 10 });
    const results = await Promise.all(
      Array.from({ length: 25 }, () => lk.call('GET', '/v1/echo/burst', { token: k.token })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 403)).toHaveLength(15);
  });

  it('does not let windows pile up on the key item', async () => {
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 100 });
    for (let i = 0; i < 4; i++) {
      nextWindow();
      offsetMs += 120_000; // idle for two more windows between uses
      expect((await lk.call('GET', '/v1/echo/idle', { token: k.token })).status).toBe(200);
      expect((await lk.call('GET', '/v1/echo/idle', { token: k.token })).status).toBe(200);
    }
    const raw = await lk.local.runtime.dynamo.send(
      new (await import('@aws-sdk/client-dynamodb')).GetItemCommand({
        TableName: lk.local.tableName,
        Key: { pk: { S: `KEY#${k.id}` }, sk: { S: 'KEY' } },
      }),
    );
    const windows = Object.keys(raw.Item ?? {}).filter((a) => a.startsWith('rl_'));
    expect(windows.length).toBeLessThanOrEqual(2);
  });
});

describe('rotation', () => {
  it('grace 0: a new key with the same name, roles and limits; the old one stops at once', async () => {
    const old = await createKey(lk.call, lk.admin, {
      name: 'rotating',
      roles: ['viewer'],
      rate_limit_per_minute: 7,
    });
    const res = await lk.call<{ key: Record<string, unknown>; raw_key: string; warning: string }>(
      'POST',
      `/v1/keys/${old.id}/rotate`,
      { token: lk.admin, body: {} },
    );
    expect(res.status).toBe(201);
    expect(res.body.key).toMatchObject({
      name: 'rotating',
      roles: ['viewer'],
      permissions: ['api:read'],
      rate_limit_per_minute: 7,
      status: 'active',
    });
    expect(res.body.key.id).not.toBe(old.id);
    expect(res.body.warning).toBeTruthy();
    expect((await lk.call('GET', '/v1/whoami', { token: old.token })).status).toBe(401);
    expect((await lk.call('GET', '/v1/whoami', { token: res.body.raw_key })).status).toBe(200);
    const oldNow = await lk.call<{ key: { status: string } }>('GET', `/v1/keys/${old.id}`, {
      token: lk.admin,
    });
    expect(oldNow.body.key.status).toBe('revoked');
  });

  it('with a grace period the old key keeps working until it ends, then gets 401', async () => {
    const old = await createKey(lk.call, lk.admin, { org_id: 'rotation-grace' });
    const res = await lk.call<{ raw_key: string }>('POST', `/v1/keys/${old.id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 300 },
    });
    expect(res.status).toBe(201);
    expect((await lk.call('GET', '/v1/whoami', { token: old.token })).status).toBe(200);
    expect((await signedGet(old.token, '/v1/whoami')).status).toBe(200);
    offsetMs += 299_000;
    expect((await lk.call('GET', '/v1/whoami', { token: old.token })).status).toBe(200);
    offsetMs += 2_000;
    expect((await lk.call('GET', '/v1/whoami', { token: old.token })).status).toBe(401);
    expect((await signedGet(old.token, '/v1/whoami')).status).toBe(401);
    expect((await lk.call('GET', '/v1/whoami', { token: res.body.raw_key })).status).toBe(200);
    // The new key took over the old key's slot: the organization still counts one key.
    const org = await lk.call('GET', '/v1/orgs/rotation-grace', { token: lk.admin });
    expect(org.body).toMatchObject({ active_keys: 1 });
  });

  it('never extends an expiry that ends before the grace period', async () => {
    const expiresAt = new Date(clock() + 60_000).toISOString();
    const old = await createKey(lk.call, lk.admin, { expires_at: expiresAt });
    const res = await lk.call<{ key: { expires_at: string } }>('POST', `/v1/keys/${old.id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 3600 },
    });
    expect(res.body.key.expires_at).toBe(expiresAt);
    const oldNow = await lk.call<{ key: { expires_at: string } }>('GET', `/v1/keys/${old.id}`, {
      token: lk.admin,
    });
    expect(oldNow.body.key.expires_at).toBe(expiresAt);
  });

  it('refuses to rotate itself, a revoked key, an already rotated key, or a key with more permissions', async () => {
    const manager = await createKey(lk.call, lk.admin, { roles: ['admin'] });
    const self = await lk.call<ErrorBody>('POST', `/v1/keys/${manager.id}/rotate`, {
      token: manager.token,
      body: {},
    });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('cannot_modify_self');

    const revoked = await createKey(lk.call, lk.admin);
    await lk.call('DELETE', `/v1/keys/${revoked.id}`, { token: lk.admin });
    const r1 = await lk.call<ErrorBody>('POST', `/v1/keys/${revoked.id}/rotate`, {
      token: lk.admin,
      body: {},
    });
    expect(r1.status).toBe(409);
    expect(r1.body.error.code).toBe('conflict');

    const once = await createKey(lk.call, lk.admin);
    expect(
      (
        await lk.call('POST', `/v1/keys/${once.id}/rotate`, {
          token: lk.admin,
          body: { grace_period_seconds: 60 },
        })
      ).status,
    ).toBe(201);
    const twice = await lk.call<ErrorBody>('POST', `/v1/keys/${once.id}/rotate`, {
      token: lk.admin,
      body: {},
    });
    expect(twice.status).toBe(409);

    const bad = await lk.call<ErrorBody>('POST', `/v1/keys/${manager.id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 86_401 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message.startsWith('grace_period_seconds:')).toBe(true);
  });
});
