import { beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy } from '#core/policy';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { authorizerEvent } from '../helpers/authorizer-event';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * Routes of your own that require a permission of your role matrix (`protect(…, { permission })`): the
 * authorizer, against DynamoDB Local, with the settings the construct writes, answers a real REQUEST
 * authorizer event with a policy API Gateway evaluates for each route.
 */
const latchkey = useLatchkey({
  settings: {
    LATCHKEY_ROLE_MATRIX: JSON.stringify({
      admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
      member: ['api:read', 'api:write'],
      clerk: ['orders:read'],
      manager: ['orders:read', 'orders:write'],
    }),
    LATCHKEY_APPLICATION_ROUTES: JSON.stringify([
      { method: 'GET', path: '/orders', permission: 'orders:read' },
      { method: 'POST', path: '/orders', permission: 'orders:write' },
      { method: 'GET', path: '/health' },
    ]),
  },
});

let authorize: ReturnType<typeof createAuthorizerHandler>;
beforeAll(() => {
  authorize = createAuthorizerHandler(latchkey.local.runtime);
});

/** What API Gateway decides for `method path` with the policy the authorizer returned for `token`. */
async function decision(token: string, method: string, path: string): Promise<'Allow' | 'Deny'> {
  const event = authorizerEvent(`Bearer ${token}`, method, path);
  const answer = await authorize(event);
  return evaluatePolicy(answer.policyDocument, event.methodArn);
}

describe('per-route permissions', () => {
  it('a key with orders:read only may GET /orders and is refused POST /orders', async () => {
    const clerk = await createKey(latchkey.call, latchkey.admin, { roles: ['clerk'] });
    expect(clerk.key.permissions).toEqual(['orders:read']);
    expect(await decision(clerk.token, 'GET', '/orders')).toBe('Allow');
    expect(await decision(clerk.token, 'POST', '/orders')).toBe('Deny');
    // A route without a permission of its own needs api:read, which a clerk does not hold.
    expect(await decision(clerk.token, 'GET', '/health')).toBe('Deny');
  });

  it('a key with orders:write may POST /orders; api:write alone may not', async () => {
    const manager = await createKey(latchkey.call, latchkey.admin, { roles: ['manager'] });
    expect(await decision(manager.token, 'POST', '/orders')).toBe('Allow');
    const member = await createKey(latchkey.call, latchkey.admin, { roles: ['member'] });
    expect(await decision(member.token, 'POST', '/orders')).toBe('Deny');
    expect(await decision(member.token, 'GET', '/health')).toBe('Allow');
  });

  it('the admin key may call every route', async () => {
    expect(await decision(latchkey.admin, 'POST', '/orders')).toBe('Allow');
  });

  it('a key cannot create a key holding a permission it lacks', async () => {
    const admin = await createKey(latchkey.call, latchkey.admin, { roles: ['admin'] });
    const refused = await latchkey.call('POST', '/v1/keys', {
      token: admin.token,
      body: { name: 'escalate', roles: ['manager'] },
    });
    expect(refused.status).toBe(403);
  });
});
