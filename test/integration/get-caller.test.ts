import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { checkSignedBody, getCaller } from '#lambda/integration';
import { authorizerEvent } from '../helpers/authorizer-event';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * `getCaller` (latchkey/integration) reading what the real authorizer wrote: the authorizer handler runs
 * against DynamoDB Local, and its context is handed to a real API Gateway proxy event (the checked-in
 * sample) the way API Gateway does, next to its own `principalId` and `integrationLatency`.
 */
const sample = JSON.parse(
  readFileSync(new URL('../fixtures/apigw-rest/proxy-event.json', import.meta.url), 'utf8'),
) as APIGatewayProxyEvent;

const latchkey = useLatchkey();
let authorize: ReturnType<typeof createAuthorizerHandler>;
beforeAll(() => {
  authorize = createAuthorizerHandler(latchkey.local.runtime);
});

/** The proxy event of a request the authorizer allowed for `authorization`. */
async function allowedEvent(authorization: string, method = 'GET', path = '/v1/echo/orders') {
  const answer = await authorize(authorizerEvent(authorization, method, path));
  return {
    ...sample,
    httpMethod: method,
    requestContext: {
      ...sample.requestContext,
      authorizer: { ...answer.context, principalId: answer.principalId, integrationLatency: 12 },
    },
  } as APIGatewayProxyEvent;
}

describe('getCaller', () => {
  it('gives an API key its id, organization, permissions, scheme and metadata, typed', async () => {
    await latchkey.call('PUT', '/v1/orgs/acme', { token: latchkey.admin, body: { max_keys: 5 } });
    const key = await createKey(latchkey.call, latchkey.admin, {
      org_id: 'acme',
      roles: ['viewer'],
      metadata: { op_plan: 'gold', team: 'billing' },
    });
    const caller = getCaller(await allowedEvent(`Bearer ${key.token}`));
    expect(caller).toEqual({
      principal: 'key',
      keyId: key.id,
      orgId: 'acme',
      permissions: ['api:read'],
      scheme: 'bearer',
      metadata: { op_plan: 'gold', team: 'billing' },
    });
  });

  it('names the scheme of a signed request', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    const { authorization } = signRequest({ token: key.token, method: 'GET', path: '/prod/v1/echo/orders' });
    const caller = getCaller(await allowedEvent(authorization));
    expect(caller?.scheme).toBe('armor');
    expect(caller?.principal === 'key' && caller.keyId).toBe(key.id);
  });

  it('gives the admin key no key id, no organization and empty metadata', async () => {
    const caller = getCaller(await allowedEvent(`Bearer ${latchkey.admin}`));
    expect(caller).toMatchObject({ principal: 'admin', keyId: null, orgId: null, metadata: {} });
    expect(caller?.permissions).toContain('keys:write');
  });

  it('is null for an event without a latchkey context', () => {
    // The sample's own context is another authorizer's (principalId "user", tenantId).
    expect(getCaller(sample)).toBeNull();
    expect(
      getCaller({ ...sample, requestContext: { ...sample.requestContext, authorizer: null } }),
    ).toBeNull();
    const noScheme = { principal: 'key', key_id: 'AAAAAAAAAAAAAAAA', org_id: 'acme', permissions: '' };
    expect(
      getCaller({ ...sample, requestContext: { ...sample.requestContext, authorizer: noScheme } }),
    ).toBeNull();
  });

  it('checkSignedBody refuses an event without a latchkey caller (fail closed)', () => {
    const refused = checkSignedBody({ ...sample, body: '{}' });
    expect(refused?.statusCode).toBe(401);
    expect(JSON.parse(refused?.body ?? '{}').error.code).toBe('unauthorized');
  });
});
