/**
 * Local mode's infrastructure on its own: the port and URL rules, DynamoDB Local (table creation, busy
 * ports, data kept across restarts) and the local Secrets Manager endpoint driven by the real SDK client.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TABLE_SCHEMA } from '#core/table';
import { httpUrl, LOCAL_REGION, localPorts } from '#local/constants';
import { startDynamoDbLocal } from '#local/dynamodb/process';
import { createTable } from '#local/dynamodb/table';
import { LocalSetupError } from '#local/errors';
import { type SecretsEndpoint, startSecretsEndpoint } from '#local/secrets/server';
import { freshTable, localDynamoClient } from '../helpers/ddb';

/** A client signing with the endpoint's own per-run credential. */
function secretsClient(endpoint: SecretsEndpoint): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: endpoint.endpoint,
    region: LOCAL_REGION,
    credentials: endpoint.credential,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('local ports and URLs', () => {
  it('puts the secrets endpoint one above PORT and DynamoDB Local on a free port (0) unless set apart', () => {
    expect(localPorts({ PORT: '9000' })).toEqual({ gateway: 9000, secrets: 9001, dynamodb: 0 });
    expect(localPorts({ PORT: '9000', LATCHKEY_SECRETS_PORT: '7000', LATCHKEY_DYNAMODB_PORT: '' })).toEqual({
      gateway: 9000,
      secrets: 7000,
      dynamodb: 0,
    });
    expect(localPorts({ PORT: '9000', LATCHKEY_DYNAMODB_PORT: '7001' }).dynamodb).toBe(7001);
  });

  it('refuses a port that is not one, naming its variable', () => {
    expect(() => localPorts({ LATCHKEY_DYNAMODB_PORT: '70000' })).toThrow(LocalSetupError);
    expect(() => localPorts({ PORT: 'abc' })).toThrow(
      /^PORT must be a port number from 1 to 65535, got "abc"$/,
    );
  });

  it('brackets an IPv6 host in URLs', () => {
    expect(httpUrl('127.0.0.1', 8787)).toBe('http://127.0.0.1:8787');
    expect(httpUrl('::1', 8787)).toBe('http://[::1]:8787');
  });
});

describe('DynamoDB Local', () => {
  it('answers on the injected endpoint', async () => {
    const client = localDynamoClient(inject('dynamodbEndpoint'));
    const out = await client.send(new ListTablesCommand({}));
    expect(Array.isArray(out.TableNames)).toBe(true);
    client.destroy();
  });

  describe('createTable', () => {
    let client: DynamoDBClient;
    let tableName: string;

    beforeAll(async () => {
      ({ client, tableName } = await freshTable());
    });
    afterAll(() => client.destroy());

    it('is idempotent', async () => {
      await createTable(client, tableName);
      await createTable(client, tableName);
      const { TableNames } = await client.send(new ListTablesCommand({}));
      expect(TableNames).toContain(tableName);
    });

    it('creates the keys, the GSI and on-demand billing from TABLE_SCHEMA', async () => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      const gsi = Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === TABLE_SCHEMA.gsi1.name);
      expect(gsi?.KeySchema).toEqual([
        { AttributeName: TABLE_SCHEMA.gsi1.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.gsi1.sortKey, KeyType: 'RANGE' },
      ]);
      expect(gsi?.Projection?.ProjectionType).toBe('ALL');
      const types = Object.fromEntries(
        (Table?.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
      );
      expect(types).toEqual({ pk: 'S', sk: 'S', gsi1pk: 'S', gsi1sk: 'S' });
    });

    it('enables TTL on the ttl attribute', async () => {
      const { TimeToLiveDescription } = await client.send(
        new DescribeTimeToLiveCommand({ TableName: tableName }),
      );
      expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
      expect(TimeToLiveDescription?.AttributeName).toBe(TABLE_SCHEMA.ttlAttribute);
    });
  });

  it('refuses a busy port with a LocalSetupError naming the port', async () => {
    const busyPort = Number(new URL(inject('dynamodbEndpoint')).port);
    const err = await errorOf(startDynamoDbLocal({ port: busyPort, portEnvName: 'LATCHKEY_DYNAMODB_PORT' }));
    expect(err).toBeInstanceOf(LocalSetupError);
    expect(err.name).toBe('LocalSetupError');
    expect(err.message).toContain(`Port ${busyPort} is already in use`);
    expect(err.message).toContain('LATCHKEY_DYNAMODB_PORT');
    expect(err.message).not.toContain('\n');
  });

  it('keeps data in dataDir across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-ddb-data-'));
    try {
      const first = await startDynamoDbLocal({ dataDir });
      const c1 = localDynamoClient(first.endpoint, first.credential);
      await createTable(c1, 'persisted');
      c1.destroy();
      await first.stop();
      await first.stop(); // idempotent

      // The same credential: DynamoDB Local keeps a database per access key id.
      const second = await startDynamoDbLocal({ dataDir, credential: first.credential });
      expect(second.pid).not.toBe(first.pid);
      const c2 = localDynamoClient(second.endpoint, first.credential);
      const { TableNames } = await c2.send(new ListTablesCommand({}));
      c2.destroy();
      await second.stop();
      expect(TableNames).toContain('persisted');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('local Secrets Manager endpoint', () => {
  let endpoint: SecretsEndpoint;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    endpoint = await startSecretsEndpoint({ file: null });
    client = secretsClient(endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await endpoint.stop();
  });

  it('answers only loopback Host values (DNS rebinding), with nothing of the secret', async () => {
    endpoint.putSecret('app/rebind', 'do-not-leak');
    const { port } = new URL(endpoint.endpoint);
    const { request } = await import('node:http');
    const ask = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: Number(port), method: 'POST', path: '/', setHost: false },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString('utf8');
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.setHeader('host', host);
        req.setHeader('x-amz-target', 'secretsmanager.GetSecretValue');
        req.setHeader('content-type', 'application/x-amz-json-1.1');
        req.on('error', reject);
        req.end(JSON.stringify({ SecretId: 'app/rebind' }));
      });
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.nip.io']) {
      const answer = await ask(host);
      expect(answer.status, host).toBe(421);
      expect(answer.body).not.toContain('do-not-leak');
      expect(JSON.parse(answer.body)).toMatchObject({ __type: 'MisdirectedRequestException' });
    }
  });

  it('creates, reads, updates and describes a secret with the real SDK client', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'app/pepper', SecretString: 'one' }));
    expect(created.Name).toBe('app/pepper');
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/pepper-[A-Za-z0-9]{6}$/,
    );
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);

    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/pepper' }));
    expect(got.SecretString).toBe('one');
    expect(got.ARN).toBe(created.ARN);
    expect(got.VersionId).toBe(created.VersionId);
    expect(got.VersionStages).toEqual(['AWSCURRENT']);
    expect(got.CreatedDate).toBeInstanceOf(Date);

    const put = await client.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'two' }));
    expect(put.VersionId).not.toBe(created.VersionId);
    expect(put.VersionStages).toEqual(['AWSCURRENT']);

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(byArn.SecretString).toBe('two');
    expect(endpoint.getSecret('app/pepper')).toBe('two');

    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'app/pepper', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('one');

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/pepper' }));
    expect(described.ARN).toBe(created.ARN);
    expect(described.Name).toBe('app/pepper');
    expect(described.VersionIdsToStages).toEqual({
      [String(put.VersionId)]: ['AWSCURRENT'],
      [String(created.VersionId)]: ['AWSPREVIOUS'],
    });

    const listed = await client.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.map((s) => s.Name)).toContain('app/pepper');
  });

  it('exposes putSecret/getSecret to the local process', async () => {
    endpoint.putSecret('admin', 'k1');
    expect(endpoint.getSecret('admin')).toBe('k1');
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'admin' }));
    expect(got.SecretString).toBe('k1');
    endpoint.putSecret('admin', 'k2');
    expect(endpoint.getSecret('admin')).toBe('k2');
    expect(endpoint.getSecret('nope')).toBeUndefined();
  });

  it('answers with AWS error shapes', async () => {
    const missing = await errorOf(client.send(new GetSecretValueCommand({ SecretId: 'does-not-exist' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");

    const missingPut = await errorOf(
      client.send(new PutSecretValueCommand({ SecretId: 'x', SecretString: 'y' })),
    );
    expect(missingPut.name).toBe('ResourceNotFoundException');

    await client.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'a' }));
    const dup = await errorOf(client.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'b' })));
    expect(dup.name).toBe('ResourceExistsException');

    const noValue = await errorOf(client.send(new CreateSecretCommand({ Name: 'empty' })));
    expect(noValue.name).toBe('InvalidRequestException');

    const unknown = await errorOf(client.send(new DeleteSecretCommand({ SecretId: 'dup' })));
    expect(unknown.name).toBe('UnknownOperationException');
  });

  it('refuses a busy port with a LocalSetupError naming the port', async () => {
    const err = await errorOf(startSecretsEndpoint({ port: endpoint.port }));
    expect(err).toBeInstanceOf(LocalSetupError);
    expect(err.message).toContain(`Port ${endpoint.port} is already in use`);
  });

  it('persists to a 0600 file across stop/start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-secrets-'));
    const file = join(dir, 'nested', 'secrets.json');
    try {
      const first = await startSecretsEndpoint({ file });
      const c1 = secretsClient(first);
      const created = await c1.send(new CreateSecretCommand({ Name: 'persisted', SecretString: 's3cret' }));
      first.putSecret('admin', 'admin-key');
      c1.destroy();
      await first.stop();
      await first.stop(); // idempotent

      expect((await stat(file)).mode & 0o777).toBe(0o600);

      const second = await startSecretsEndpoint({ file });
      const c2 = secretsClient(second);
      const got = await c2.send(new GetSecretValueCommand({ SecretId: 'persisted' }));
      expect(got.SecretString).toBe('s3cret');
      expect(got.ARN).toBe(created.ARN);
      expect(second.getSecret('admin')).toBe('admin-key');
      await c2.send(new PutSecretValueCommand({ SecretId: 'persisted', SecretString: 'rotated' }));
      c2.destroy();
      await second.stop();

      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const third = await startSecretsEndpoint({ file });
      expect(third.getSecret('persisted')).toBe('rotated');
      await third.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('data directory', () => {
  it('is created 0700, and an existing one is made 0700', async () => {
    const { startLocalMode } = await import('#local/local-mode');
    const parent = await mkdtemp(join(tmpdir(), 'latchkey-data-'));
    try {
      for (const dataDir of [join(parent, 'new', 'data'), parent]) {
        const local = await startLocalMode({
          dataDir,
          dynamodbEndpoint: inject('dynamodbEndpoint'),
          dynamodbCredential: inject('dynamodbCredential'),
          tableName: `latchkey-datadir-${Math.random().toString(36).slice(2, 8)}`,
          settings: {},
        });
        await local.stop();
        expect((await stat(dataDir)).mode & 0o777, dataDir).toBe(0o700);
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
