import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { MetricsWriter } from '#lambda/runtime/metrics';
import { createRuntime } from '#lambda/runtime/runtime';
import { watchHandlerLines } from '#local/log-file';
import { authorizerEvent } from '../helpers/authorizer-event';
import { emfProblems, emfRecords, emfTotal } from '../helpers/emf';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { withBadChecksum, withWrongSecret } from '../helpers/tokens';

/**
 * Local mode prints the metrics the Lambdas publish on AWS: the handlers it runs write the same
 * embedded-metric-format lines to its log. A real request through the local gateway, against DynamoDB
 * Local, and the EMF lines it produced (captured here, never printed).
 */
const latchkey = useLatchkey();
let lines: string[] = [];
let stopWatching: () => void = () => undefined;
beforeAll(() => {
  stopWatching = watchHandlerLines((line) => lines.push(line), { hideFromTerminal: true });
});
afterAll(() => stopWatching());
beforeEach(() => {
  lines = [];
});

const records = () => emfRecords(lines);
const authorizer = { Function: 'latchkey-authorizer' };

describe('metrics in local mode', () => {
  it('a refused bearer request: Verifications with Outcome=refused and its reason, in valid EMF', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    lines = [];
    const wrong = await latchkey.call('GET', '/v1/echo/x', { token: withWrongSecret(key.token) });
    const garbled = await latchkey.call('GET', '/v1/echo/x', { token: withBadChecksum(key.token) });
    expect([wrong.status, garbled.status]).toEqual([401, 401]);
    for (const r of records()) expect(emfProblems(r)).toEqual([]);
    const refused = records().filter((r) => r.Function === authorizer.Function);
    expect(emfTotal(refused, 'Verifications', { Outcome: 'refused', Reason: 'wrong_secret' })).toBe(1);
    expect(emfTotal(refused, 'Verifications', { Outcome: 'refused', Reason: 'bad_checksum' })).toBe(1);
    expect(emfTotal(refused, 'Verifications', { Outcome: 'refused' })).toBe(2);
    expect(emfTotal(refused, 'Verifications', { Outcome: 'allowed' })).toBe(0);
    // Low cardinality: the key id appears in no metric line.
    expect(lines.filter((l) => l.includes('"_aws"')).join('\n')).not.toContain(key.id);
  });

  it('an allowed request: Verifications with Outcome=allowed and no Reason', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    lines = [];
    expect((await latchkey.call('GET', '/v1/echo/x', { token: key.token })).status).toBe(200);
    const mine = records().filter((r) => r.Function === authorizer.Function);
    expect(emfTotal(mine, 'Verifications', { Outcome: 'allowed' })).toBe(1);
    expect(mine.every((r) => r.Reason === undefined)).toBe(true);
  });
});

describe('metrics of dependency failures', () => {
  const captured = () => {
    const out: string[] = [];
    return { out, metrics: new MetricsWriter({ functionName: 'fn', write: (l) => out.push(l) }) };
  };

  it('DynamoDB throttled: DependencyErrors (DynamoDB) and DynamoDBThrottles, and the request refused', async () => {
    const dynamo = new DynamoDBClient({
      endpoint: latchkey.local.dynamodbEndpoint,
      ...latchkey.local.dynamodbIdentity,
    });
    dynamo.middlewareStack.add(
      () => async () => {
        const error = new Error('Rate of requests exceeds the allowed throughput.');
        error.name = 'ThrottlingException';
        throw error;
      },
      { step: 'initialize', name: 'throttle' },
    );
    const runtime = createRuntime(latchkey.local.config, { dynamo, secrets: latchkey.local.secretsClient });
    const key = await createKey(latchkey.call, latchkey.admin);
    const { out, metrics } = captured();
    await expect(
      createAuthorizerHandler(runtime, metrics)(authorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/echo/x')),
    ).rejects.toThrow('Dependency failure');
    const written = emfRecords(out.join('').split('\n'));
    expect(emfTotal(written, 'DependencyErrors', { Dependency: 'DynamoDB' })).toBe(1);
    expect(emfTotal(written, 'DynamoDBThrottles', {})).toBe(1);
    expect(emfTotal(written, 'ColdStarts', {})).toBe(1);
    expect(emfTotal(written, 'Verifications', { Outcome: 'allowed' })).toBe(0);
  });

  it('Secrets Manager unreachable: DependencyErrors (SecretsManager)', async () => {
    const secrets = new SecretsManagerClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: latchkey.local.secretsCredential,
      maxAttempts: 1,
    });
    const runtime = createRuntime(latchkey.local.config, { dynamo: latchkey.local.runtime.dynamo, secrets });
    const key = await createKey(latchkey.call, latchkey.admin);
    const { out, metrics } = captured();
    await expect(
      createAuthorizerHandler(runtime, metrics)(authorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/echo/x')),
    ).rejects.toThrow('Dependency failure');
    const written = emfRecords(out.join('').split('\n'));
    expect(emfTotal(written, 'DependencyErrors', { Dependency: 'SecretsManager' })).toBe(1);
    expect(emfTotal(written, 'DynamoDBThrottles', {})).toBe(0);
  });
});
