import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { evaluatePolicy } from '#core/policy';
import { signRequest } from '#core/signer';
import { formatToken } from '#core/token';
import { createDynamoClient } from '#lambda/aws/clients';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { loadConfig } from '#lambda/runtime/config';
import { createRuntime } from '#lambda/runtime/runtime';
import type { LocalMode } from '#local/local-mode';
import { authorizerEvent } from '../helpers/authorizer-event';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { withBadChecksum } from '../helpers/tokens';
import { clockInFreshWindow } from '../reliability/hot-key-sim';

/**
 * The authorizer handler fed with a real API Gateway REQUEST authorizer event (checked-in sample),
 * against DynamoDB Local, counting the SDK's requests to prove the hot-path budget.
 */

let local: LocalMode;
let call: Call;
let authorize: ReturnType<typeof createAuthorizerHandler>;
let ddbCalls: string[] = [];

beforeAll(async () => {
  local = await startTestLatchkey();
  call = client(local.url);
  onDynamoCommand(local.runtime.dynamo, (name) => ddbCalls.push(name));
  authorize = createAuthorizerHandler(local.runtime);
});
afterAll(() => local.stop());

describe('signed requests and the authorizer cache', () => {
  /** A signed request as API Gateway hands it over: the path as sent (with the stage) in requestContext. */
  function signedEvent(token: string, method: string, path: string): APIGatewayRequestAuthorizerEvent {
    const headers = signRequest({ token, method, path: `/prod${path}` });
    const event = authorizerEvent(headers.authorization, method, path);
    return {
      ...event,
      requestContext: { ...event.requestContext, path: `/prod${path}`, httpMethod: method },
    };
  }

  it("a signed request's Allow covers its own method ARN only, so a cached answer serves nothing else", async () => {
    const k = await createKey(call, local.adminKey, { roles: ['member'] });
    const event = signedEvent(k.token, 'DELETE', '/v1/echo/orders/123');
    const result = await authorize(event);
    const policy = result.policyDocument;
    const stageArn = event.methodArn.split('/').slice(0, 2).join('/');
    expect(evaluatePolicy(policy, event.methodArn)).toBe('Allow');
    for (const other of [
      `${stageArn}/GET/v1/echo/orders/123`,
      `${stageArn}/DELETE/v1/echo/orders/12`,
      `${stageArn}/DELETE/v1/echo/orders/123/x`,
      `${stageArn}/POST/v1/keys`,
      `${stageArn}/GET/v1/whoami`,
    ]) {
      expect(evaluatePolicy(policy, other), other).toBe('Deny');
    }
  });

  it('a bearer Allow still covers every route the key may call', async () => {
    const k = await createKey(call, local.adminKey, { roles: ['member'] });
    const event = authorizerEvent(`Bearer ${k.token}`, 'DELETE', '/v1/echo/orders/123');
    const stageArn = event.methodArn.split('/').slice(0, 2).join('/');
    const policy = (await authorize(event)).policyDocument;
    expect(evaluatePolicy(policy, `${stageArn}/GET/v1/whoami`)).toBe('Allow');
    expect(evaluatePolicy(policy, `${stageArn}/POST/v1/echo/other`)).toBe('Allow');
  });
});

describe('bounded mode: a hot key at its limit', () => {
  it('is refused from the copy, without a DynamoDB write per refused request', async () => {
    // Inside one fresh rate-limit window, so the count is not reset mid-test.
    const bounded = createAuthorizerHandler({
      ...local.runtime,
      config: { ...local.config, verifyMode: 'bounded' },
      now: clockInFreshWindow(),
    });
    const limit = 60;
    const k = await createKey(call, local.adminKey, { rate_limit_per_minute: limit });
    const event = authorizerEvent(`Bearer ${k.token}`, 'GET', '/v1/echo/x');
    const allowed = async () =>
      (await bounded(event)).policyDocument.Statement.some((statement) => statement.Effect === 'Allow');
    let count = 0;
    for (let i = 0; i < limit + 5; i++) if (await allowed()) count++;
    expect(count).toBe(limit);
    ddbCalls = [];
    const refused = 30;
    for (let i = 0; i < refused; i++) expect(await allowed()).toBe(false);
    // At most the copy's refresh (one write or read per half bound), never one per request.
    expect(ddbCalls.length, ddbCalls.join(', ')).toBeLessThanOrEqual(2);
  });
});

describe('authorizer on a real REQUEST event', () => {
  it('allows a valid key with one DynamoDB round trip and a policy covering its routes', async () => {
    const k = await createKey(call, local.adminKey, { roles: ['viewer'] });
    ddbCalls = [];
    const event = authorizerEvent(`Bearer ${k.token}`);
    const result = await authorize(event);
    expect(ddbCalls).toEqual(['UpdateItemCommand']);
    expect(result.principalId).toBe(k.id);
    expect(result.context).toMatchObject({
      principal: 'key',
      key_id: k.id,
      org_id: 'default',
      permissions: 'api:read',
    });
    expect(evaluatePolicy(result.policyDocument, event.methodArn)).toBe('Allow');
    const stageArn = event.methodArn.split('/').slice(0, 2).join('/');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/GET/v1/echo/a/b`)).toBe('Allow');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/POST/v1/echo/a`)).toBe('Deny');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/POST/v1/keys`)).toBe('Deny');
  });

  it('refuses a malformed or bad-checksum token with zero DynamoDB calls', async () => {
    const k = await createKey(call, local.adminKey);
    for (const bad of ['Bearer lk_short', `Bearer ${withBadChecksum(k.token)}`, 'Token abc', 'Bearer']) {
      ddbCalls = [];
      await expect(authorize(authorizerEvent(bad))).rejects.toThrow(/^Unauthorized$/);
      expect(ddbCalls, bad).toEqual([]);
    }
  });

  it('refuses a wrong secret with one conditional write that writes nothing', async () => {
    const k = await createKey(call, local.adminKey);
    const wrong = formatToken('lk', k.id, randomBase62(43));
    ddbCalls = [];
    await expect(authorize(authorizerEvent(`Bearer ${wrong}`))).rejects.toThrow(/^Unauthorized$/);
    expect(ddbCalls).toEqual(['UpdateItemCommand']);
    const after = await call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, {
      token: local.adminKey,
    });
    expect(after.body.key.calls).toBe(0);
  });

  it('the admin key needs no DynamoDB call', async () => {
    ddbCalls = [];
    const result = await authorize(authorizerEvent(`Bearer ${local.adminKey}`, 'PUT', '/v1/orgs/acme'));
    expect(ddbCalls).toEqual([]);
    expect(result.principalId).toBe('admin');
    expect(
      evaluatePolicy(result.policyDocument, authorizerEvent('x', 'PUT', '/v1/orgs/acme').methodArn),
    ).toBe('Allow');
  });

  it('finds the Authorization header whatever its casing', async () => {
    const k = await createKey(call, local.adminKey);
    const event = authorizerEvent(undefined);
    event.headers = { ...event.headers, aUtHoRiZaTiOn: `Bearer ${k.token}` };
    await expect(authorize(event)).resolves.toMatchObject({ principalId: k.id });
  });

  it('covers the application routes of your own API in the Allow policy', async () => {
    const config = loadConfig({
      ...process.env,
      LATCHKEY_TABLE_NAME: local.tableName,
      LATCHKEY_ADMIN_KEY_SECRET_ID: 'latchkey/admin-key',
      LATCHKEY_SIGNING_SECRET_ID: 'latchkey/signing-secret',
      LATCHKEY_DYNAMODB_ENDPOINT: local.dynamodbEndpoint,
      LATCHKEY_SECRETS_ENDPOINT: local.secretsEndpoint,
      LATCHKEY_APPLICATION_ROUTES: JSON.stringify([{ method: 'ANY', path: '/orders/{proxy+}' }]),
    });
    const withApp = createAuthorizerHandler(
      createRuntime(config, {
        secrets: local.secretsClient,
        dynamo: createDynamoClient(local.dynamodbEndpoint, local.dynamodbIdentity),
      }),
    );
    const viewer = await createKey(call, local.adminKey, { roles: ['viewer'] });
    const event = authorizerEvent(`Bearer ${viewer.token}`, 'GET', '/orders/42');
    const result = await withApp(event);
    const stageArn = event.methodArn.split('/').slice(0, 2).join('/');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/GET/orders/42`)).toBe('Allow');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/POST/orders/42`)).toBe('Deny');
    // Without the setting, the same route is outside the policy (fails closed with 403).
    expect(
      evaluatePolicy(
        (await authorize(authorizerEvent(`Bearer ${viewer.token}`))).policyDocument,
        `${stageArn}/GET/orders/42`,
      ),
    ).toBe('Deny');
  });

  it('a rotated admin key works at once; the old one only until the cache expires', async () => {
    const sm = new SecretsManagerClient({
      endpoint: local.secretsEndpoint,
      region: 'us-east-1',
      credentials: local.secretsCredential,
    });
    const oldKey = local.adminKey;
    await expect(authorize(authorizerEvent(`Bearer ${oldKey}`))).resolves.toMatchObject({
      principalId: 'admin',
    });
    const newKey = randomBase62(64);
    await sm.send(new PutSecretValueCommand({ SecretId: 'latchkey/admin-key', SecretString: newKey }));
    await new Promise((r) => setTimeout(r, 5_100));
    await expect(authorize(authorizerEvent(`Bearer ${newKey}`))).resolves.toMatchObject({
      principalId: 'admin',
    });
    // The refresh replaced the cached value: the old key is refused from now on.
    await expect(authorize(authorizerEvent(`Bearer ${oldKey}`))).rejects.toThrow(/^Unauthorized$/);
    await sm.send(new PutSecretValueCommand({ SecretId: 'latchkey/admin-key', SecretString: oldKey }));
  });
});

describe('authorizer configuration', () => {
  it('refuses to start without the admin-key secret id (only the authorizer needs it)', () => {
    const config = { ...local.config, adminKeySecretId: undefined };
    expect(() => createAuthorizerHandler(createRuntime(config))).toThrow('LATCHKEY_ADMIN_KEY_SECRET_ID');
  });
});
