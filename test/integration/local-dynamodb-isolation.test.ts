/**
 * DynamoDB Local, which local mode starts, has no bind option and checks no signature: it answers on
 * every interface, whatever the Host. What keeps the key table from anyone else who reaches the port
 * is the database per access key id (no `-sharedDb`) and local mode's random key id, kept 0600 in the
 * data folder. Here, over loopback only: the sockets local mode opens (from /proc), requests with other
 * credentials, other Host values and junk signatures (no table, no item), the credential file, a
 * restart on the same data folder, and a data folder from before (its `-sharedDb` database adopted).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_PROFILE, LOCAL_REGION, localDataPaths } from '#local/constants';
import { readProfileFile } from '#local/credentials-file';
import { newDynamoDbCredential } from '#local/dynamodb/credential';
import { type LocalMode, startLocalMode } from '#local/local-mode';
import { freshTable, localDynamoClient } from '../helpers/ddb';
import { client, createKey } from '../helpers/local';

interface Listener {
  address: string;
  port: number;
}

/** The TCP sockets process `pid` listens on, read from /proc (the same source as `ss -ltnp`). */
function listeningSockets(pid: number): Listener[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: Listener[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, state, inode] = [f[1], f[3], f[9]];
      if (!local || state !== '0A' || !inode || !inodes.has(inode)) continue; // 0A: LISTEN
      const [hex = '', port = ''] = local.split(':');
      out.push({ address: decodeAddress(hex), port: Number.parseInt(port, 16) });
    }
  }
  return out;
}

/** /proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) order. */
function decodeAddress(hex: string): string {
  const words = (hex.match(/.{8}/g) ?? []).map((w) => Buffer.from(w, 'hex').reverse());
  const bytes = Buffer.concat(words);
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.subarray(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes.readUInt16BE(10) === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  return bytes.toString('hex');
}

/** A raw POST to DynamoDB Local on loopback, with the Host and Authorization given. */
function rawDynamo(
  port: number,
  target: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${target}`,
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const junkAuthorization = (keyId: string) =>
  `AWS4-HMAC-SHA256 Credential=${keyId}/20240101/${LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;

describe('DynamoDB Local behind local mode', () => {
  let dataDir: string;
  let local: LocalMode;
  let key: { id: string; token: string };
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-ddb-isolation-'));
    local = await startLocalMode({ dataDir });
    key = await createKey(client(local.url), local.adminKey);
    port = Number(new URL(local.dynamodbEndpoint).port);
  }, 90_000);
  afterAll(async () => {
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const keyItem = () => ({ pk: { S: `KEY#${key.id}` }, sk: { S: 'KEY' } });
  const as = (accessKeyId: string) =>
    new DynamoDBClient({
      endpoint: local.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId, secretAccessKey: 'anything' },
      maxAttempts: 1,
    });

  it('opens DynamoDB Local on one port of every interface (it has no bind option), the rest on loopback only', () => {
    const pid = local.dynamodb?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    const jvm = listeningSockets(pid);
    expect(jvm).toHaveLength(1);
    expect(jvm[0]?.port).toBe(port);
    expect(['::', '0.0.0.0']).toContain(jvm[0]?.address);

    const ours = listeningSockets(process.pid);
    const gatewayPort = Number(new URL(local.url).port);
    const secretsPort = Number(new URL(local.secretsEndpoint).port);
    for (const p of [gatewayPort, secretsPort]) {
      const bound = ours.filter((l) => l.port === p);
      expect(bound, String(p)).toEqual([{ address: '127.0.0.1', port: p }]);
    }
  });

  it('keeps its credential 0600 in the data folder: a random key id of letters and digits', async () => {
    const file = localDataPaths(dataDir).dynamodbCredentials;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const kept = readProfileFile(file, DYNAMODB_PROFILE);
    const { accessKeyId, secretAccessKey } = local.dynamodbIdentity.credentials;
    expect(kept).toEqual({ accessKeyId, secretAccessKey });
    expect(kept?.accessKeyId).toMatch(/^LKDDB[A-Z2-7]{32}$/);
    expect(newDynamoDbCredential().accessKeyId).not.toBe(kept?.accessKeyId);
  });

  it('shows any other credential an empty database: no table, no item', async () => {
    // Positive control: local mode's own credential sees the table and the key's item.
    const own = new DynamoDBClient({ endpoint: local.dynamodbEndpoint, ...local.dynamodbIdentity });
    expect((await own.send(new ListTablesCommand({}))).TableNames).toContain(local.tableName);
    expect(
      (await own.send(new GetItemCommand({ TableName: local.tableName, Key: keyItem() }))).Item,
    ).toBeDefined();
    own.destroy();

    for (const id of [
      'local',
      'AKIAIOSFODNN7EXAMPLE',
      newDynamoDbCredential().accessKeyId,
      local.secretsCredential.accessKeyId,
    ]) {
      const other = as(id);
      try {
        expect((await other.send(new ListTablesCommand({}))).TableNames, id).toEqual([]);
        const get = await other
          .send(new GetItemCommand({ TableName: local.tableName, Key: keyItem() }))
          .catch((e: Error) => e);
        expect((get as Error).name, id).toBe('ResourceNotFoundException');
        const put = await other
          .send(
            new PutItemCommand({
              TableName: local.tableName,
              Item: { ...keyItem(), revoked_at: { N: '0' } },
            }),
          )
          .catch((e: Error) => e);
        expect((put as Error).name, id).toBe('ResourceNotFoundException');
      } finally {
        other.destroy();
      }
    }
    // Nothing was written to local mode's table: the key still works.
    const res = await fetch(`${local.url}/v1/echo/x`, { headers: { authorization: `Bearer ${key.token}` } });
    expect(res.status).toBe(200);
  });

  it('gives a request with another Host and a junk signature nothing either', async () => {
    for (const host of ['attacker.example:8789', `rebind.example:${port}`, `localhost:${port}`]) {
      const list = await rawDynamo(
        port,
        'ListTables',
        {},
        { host, authorization: junkAuthorization('junk') },
      );
      expect(list.status, host).toBe(200);
      expect(JSON.parse(list.body), host).toEqual({ TableNames: [] });
      const scan = await rawDynamo(
        port,
        'Scan',
        { TableName: local.tableName },
        { host, authorization: junkAuthorization('junk') },
      );
      expect(scan.status, host).toBe(400);
      expect(scan.body, host).toContain('ResourceNotFoundException');
      expect(scan.body).not.toContain(key.id);
    }
    const unsigned = await rawDynamo(
      port,
      'Scan',
      { TableName: local.tableName },
      { host: 'attacker.example' },
    );
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toContain('MissingAuthenticationToken');
  });

  it('is reached by its key id alone (no signature check): the key id is the secret', async () => {
    const scan = await rawDynamo(
      port,
      'Scan',
      { TableName: local.tableName, Select: 'COUNT' },
      {
        host: 'attacker.example',
        authorization: junkAuthorization(local.dynamodbIdentity.credentials.accessKeyId),
      },
    );
    expect(scan.status).toBe(200);
    expect(JSON.parse(scan.body).Count).toBeGreaterThan(0);
  });

  it('keeps the table across a restart on the same data folder, and adopts a -sharedDb database from before', async () => {
    const before = local.dynamodbIdentity.credentials;
    await local.stop();
    local = await startLocalMode({ dataDir });
    expect(local.dynamodbIdentity.credentials.accessKeyId).toBe(before.accessKeyId);
    let res = await fetch(`${local.url}/v1/echo/x`, { headers: { authorization: `Bearer ${key.token}` } });
    expect(res.status).toBe(200);

    // A data folder from before: one -sharedDb database and no credential file.
    await local.stop();
    const paths = localDataPaths(dataDir);
    await rename(
      join(paths.dynamodb, `${before.accessKeyId}_${LOCAL_REGION}.db`),
      join(paths.dynamodb, 'shared-local-instance.db'),
    );
    await rm(paths.dynamodbCredentials);
    local = await startLocalMode({ dataDir });
    const after = local.dynamodbIdentity.credentials;
    expect(after.accessKeyId).not.toBe(before.accessKeyId);
    res = await fetch(`${local.url}/v1/echo/x`, { headers: { authorization: `Bearer ${key.token}` } });
    expect(res.status).toBe(200);
    expect(readdirSync(paths.dynamodb)).not.toContain('shared-local-instance.db');
    // The old key id now finds nothing.
    const old = as(before.accessKeyId);
    expect((await old.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    old.destroy();
  }, 120_000);
});

describe('the test suite’s own DynamoDB Local', () => {
  it('is also one database per key id (in memory, without -sharedDb)', async () => {
    const { tableName, endpoint, client: own } = await freshTable();
    own.destroy();
    const other = localDynamoClient(endpoint, newDynamoDbCredential());
    const out = await other.send(new ScanCommand({ TableName: tableName })).catch((e: Error) => e);
    other.destroy();
    expect((out as Error).name).toBe('ResourceNotFoundException');
  });
});
