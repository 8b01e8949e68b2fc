import { describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { authorizerEvent, httpAuthorizerEvent } from '../helpers/authorizer-event';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { withBadChecksum } from '../helpers/tokens';
import { clockInFreshWindow } from '../reliability/hot-key-sim';

/**
 * The authorizer given HTTP API REQUEST events (payload format 2.0, built on the checked-in capture):
 * a simple response, `isAuthorized: true` with the same context a REST API's Allow carries, or
 * `isAuthorized: false` for every refusal (a credential failure, a route the key may not call, a key over
 * its rate limit) — never a throw for those, and never a yes. Against DynamoDB Local.
 */
const latchkey = useLatchkey({ now: clockInFreshWindow() });
const authorize = () => createAuthorizerHandler(latchkey.local.runtime);

describe('the authorizer, given an HTTP API event', () => {
  it("says yes with the REST Allow's context on a route the key may call", async () => {
    const key = await createKey(latchkey.call, latchkey.admin, { metadata: { team: 'billing' } });
    const handler = authorize();
    const answer = await handler(
      httpAuthorizerEvent(`Bearer ${key.token}`, 'POST', '/v1/echo/orders', 'ANY /v1/echo/{proxy+}'),
    );
    const rest = await handler(authorizerEvent(`Bearer ${key.token}`, 'POST', '/v1/echo/orders'));
    expect(answer).toEqual({ isAuthorized: true, context: rest.context });
    expect(answer.context).toMatchObject({ principal: 'key', key_id: key.id, auth_scheme: 'bearer' });
  });

  it('says yes to the admin key on an admin route', async () => {
    const answer = await authorize()(
      httpAuthorizerEvent(`Bearer ${latchkey.admin}`, 'GET', '/v1/orgs/acme', 'GET /v1/orgs/{org_id}'),
    );
    expect(answer.isAuthorized).toBe(true);
  });

  it('checks a signed request against the path as sent (rawPath, stage included)', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    const { authorization } = signRequest({ token: key.token, method: 'GET', path: '/prod/v1/whoami' });
    const handler = authorize();
    expect(
      await handler(httpAuthorizerEvent(authorization, 'GET', '/prod/v1/whoami', 'GET /v1/whoami')),
    ).toEqual(expect.objectContaining({ isAuthorized: true }));
    const other = signRequest({ token: key.token, method: 'GET', path: '/prod/v1/whoami' });
    // Signed for one path, sent to another: a refusal.
    expect(
      await handler(httpAuthorizerEvent(other.authorization, 'GET', '/prod/v1/keys', 'GET /v1/keys')),
    ).toEqual({ isAuthorized: false });
  });

  it.each([
    ['a viewer writing to an application route', ['viewer'], 'POST', '/v1/echo/x', 'ANY /v1/echo/{proxy+}'],
    ['a member listing keys', ['member'], 'GET', '/v1/keys', 'GET /v1/keys'],
    ['a member on an admin route', ['member'], 'GET', '/v1/orgs/acme', 'GET /v1/orgs/{org_id}'],
    ['any key on the $default route', ['admin'], 'GET', '/anything', '$default'],
    ['any key on a route latchkey does not know', ['admin'], 'GET', '/other', 'GET /other'],
  ])('says no to %s', async (_, roles, method, path, routeKey) => {
    const key = await createKey(latchkey.call, latchkey.admin, { roles });
    const answer = await authorize()(httpAuthorizerEvent(`Bearer ${key.token}`, method, path, routeKey));
    expect(answer).toEqual({ isAuthorized: false });
  });

  it('says no, without throwing, to every credential failure', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    await latchkey.call('DELETE', `/v1/keys/${key.id}`, { token: latchkey.admin });
    const handler = authorize();
    for (const authorization of [
      '',
      'Basic dXNlcjpwYXNz',
      'Bearer not-a-token',
      `Bearer ${withBadChecksum(key.token)}`,
      `Bearer ${key.token}`,
      `Bearer ${'A'.repeat(40)}`,
    ]) {
      const answer = await handler(httpAuthorizerEvent(authorization, 'GET', '/v1/whoami'));
      expect(answer, authorization).toEqual({ isAuthorized: false });
    }
  });

  it('says no to a key over its rate limit', async () => {
    const key = await createKey(latchkey.call, latchkey.admin, { rate_limit_per_minute: 1 });
    const handler = authorize();
    const event = httpAuthorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/whoami');
    expect((await handler(event)).isAuthorized).toBe(true);
    expect(await handler(event)).toEqual({ isAuthorized: false });
  });
});
