import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS, VERIFY_MODES } from '#core/settings';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { createRuntime } from '#lambda/runtime/runtime';
import { startDynamoDbLocal } from '#local/dynamodb/process';
import { startLocalGateway } from '#local/gateway';
import { type LocalMode, startLocalMode } from '#local/local-mode';
import { type ApiResponse, client, createKey, startTestLatchkey } from '../helpers/local';
import { API_TYPES, expectRefusal } from '../helpers/refusals';

/**
 * Every dependency failure fails closed: 5xx, never 2xx, never 401, and nothing cached, in both
 * verification modes and behind both API types (a REST API answers 503, an HTTP API 500). SDK-level faults that DynamoDB Local cannot produce (throttling, timeouts,
 * internal errors) are injected with SDK middleware; an outage is produced for real by stopping
 * DynamoDB Local.
 */
function faultyClients(local: LocalMode, fault: { error: Error | null }) {
  const dynamo = new DynamoDBClient({ endpoint: local.dynamodbEndpoint, ...local.dynamodbIdentity });
  const secrets = new SecretsManagerClient({
    endpoint: local.secretsEndpoint,
    region: 'us-east-1',
    credentials: local.secretsCredential,
  });
  const options = { step: 'initialize', name: 'faultInjection' } as const;
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      if (fault.error) throw fault.error;
      return next(args);
    },
    options,
  );
  secrets.middlewareStack.add(
    (next) => async (args) => {
      if (fault.error) throw fault.error;
      return next(args);
    },
    options,
  );
  return { dynamo, secrets };
}

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const MODES = VERIFY_MODES.map((mode) => ({ mode }));

describe.each(MODES)('SDK faults ($mode)', ({ mode }) => {
  let local: LocalMode;
  beforeAll(async () => {
    local = await startTestLatchkey({
      settings: { LATCHKEY_SECRET_CACHE_SECONDS: '0', [SETTINGS.verifyMode.env]: mode },
    });
    expect(local.config.verifyMode).toBe(mode);
  });
  afterAll(() => local.stop());

  const faults = [
    named('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'),
    named(
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput was exceeded.',
    ),
    named('TimeoutError', 'Connection timed out after 1000 ms'),
    named('InternalServerError', 'Internal server error'),
    named('ResourceNotFoundException', 'Requested resource not found'),
  ];

  describe.each(API_TYPES)('%s API', (apiType) => {
    it.each(faults.map((f) => [f.name, f] as const))(
      '%s: bearer and admin requests are refused (REST 503, HTTP 500), then recover',
      async (_n, error) => {
        const fault: { error: Error | null } = { error: null };
        const runtime = createRuntime(local.config, faultyClients(local, fault));
        const gateway = await startLocalGateway({
          apiType,
          authorizer: createAuthorizerHandler(runtime),
          integrations: { management: createManagementHandler(runtime), echo },
        });
        try {
          const call = client(gateway.url, { apiType });
          const k = await createKey(call, local.adminKey);
          fault.error = error;
          for (const token of [k.token, local.adminKey]) {
            expectRefusal(await call('GET', '/v1/whoami', { token }), apiType, 'dependency_failure');
          }
          fault.error = null;
          expect((await call('GET', '/v1/whoami', { token: k.token })).status).toBe(200);
          expect((await call('GET', '/v1/whoami', { token: local.adminKey })).status).toBe(200);
        } finally {
          await gateway.close();
        }
      },
    );

    it('a failure inside a management handler is a 503 in the error shape (the handler answers it)', async () => {
      const fault: { error: Error | null } = { error: null };
      const healthy = createRuntime(local.config, { secrets: local.secretsClient });
      const broken = createRuntime(local.config, faultyClients(local, fault));
      const gateway = await startLocalGateway({
        apiType,
        authorizer: createAuthorizerHandler(healthy),
        integrations: { management: createManagementHandler(broken), echo },
      });
      try {
        fault.error = named('ThrottlingException', 'slow down');
        const res = await client(gateway.url, { apiType })<{ error: { code: string; request_id: string } }>(
          'GET',
          '/v1/keys',
          {
            token: local.adminKey,
          },
        );
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('service_unavailable');
        expect(res.text).not.toContain('slow down');
      } finally {
        await gateway.close();
      }
    });
  });
});

const OUTAGES = MODES.flatMap(({ mode }) => API_TYPES.map((apiType) => ({ mode, apiType })));

describe.each(OUTAGES)('DynamoDB Local stopped mid-traffic ($mode, $apiType API)', ({ mode, apiType }) => {
  let dataDir: string;
  let local: LocalMode;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-outage-'));
    local = await startLocalMode({
      dataDir,
      settings: { [SETTINGS.verifyMode.env]: mode, [SETTINGS.apiType.env]: apiType },
    });
    expect(local.config.verifyMode).toBe(mode);
    expect(local.apiType).toBe(apiType);
  });
  afterAll(async () => {
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A JVM stopped and started again inside the test: allow for a loaded machine.
  it('refuses with 5xx while it is down and works again once it is back, with every key intact', {
    timeout: 120_000,
  }, async () => {
    const call = client(local.url, { apiType });
    const k = await createKey(call, local.adminKey);
    expect((await call('GET', '/v1/echo/x', { token: k.token })).status).toBe(200);

    const ddb = local.dynamodb;
    if (ddb === null) throw new Error('expected local mode to own its DynamoDB Local');
    const port = ddb.port;
    await ddb.stop();
    const during = await Promise.all([
      call('GET', '/v1/echo/x', { token: k.token }),
      call('GET', '/v1/keys', { token: local.adminKey }),
      call('POST', '/v1/keys', { token: local.adminKey, body: { name: 'during outage' } }),
    ]);
    // The authorizer's failure as each API answers it; the management function's own 503 behind both.
    expectRefusal(during[0] as ApiResponse, apiType, 'dependency_failure');
    for (const res of during.slice(1)) expect(res.status, res.text).toBe(503);

    const restarted = await startDynamoDbLocal({
      port,
      dataDir: join(dataDir, 'dynamodb'),
      credential: local.dynamodbIdentity.credentials,
    });
    try {
      expect((await call('GET', '/v1/echo/x', { token: k.token })).status).toBe(200);
      const list = await call<{ keys: Array<{ id: string }> }>('GET', '/v1/keys', { token: local.adminKey });
      expect(list.body.keys.map((x) => x.id)).toEqual([k.id]);
    } finally {
      await restarted.stop();
    }
  });
});
