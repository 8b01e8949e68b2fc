/**
 * verify, RFC 9421 (docs/protocol.md §2.7): the authorizer handler in-process against DynamoDB Local for
 * an HMAC (token key) and an Ed25519 (public-key key item) signature, interleaved with their floor — a
 * GetItem and a TransactWriteItems of one Put and the key Update, the two calls the path cannot avoid —
 * plus the DynamoDB calls per request and the CPU of the pure verification (profile, base, signature).
 */
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { checkSignatureProfile, type SignatureAlgorithm, verifySignatureBase } from '#core/http-signatures';
import { keyItemKey, recordToItem } from '#lambda/dynamo/codec';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { keyRecord } from '../helpers/records';
import { cpuPerCallSync, nowMs, percentile, round } from './lib';
import { authorizerEvent, type Bench, signedPath } from './setup';

export interface Rfc9421PathFigures {
  p50_ms: number;
  p99_ms: number;
  /** GetItem + TransactWriteItems (a nonce Put and the key Update), bare, interleaved. */
  floor_p50_ms: number;
  ratio_p50: number;
  ddb_calls: number;
  ddb_commands: string[];
  /** CPU µs of the pure verification: fields parsed, profile checked, base built, signature verified. */
  cpu_us: number;
}

export type Rfc9421Figures = Record<'hmac_sha256' | 'ed25519', Rfc9421PathFigures>;

const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const FIELDS = '("@method" "@authority" "@path" "@query")';

/** Signature-Input and Signature for a GET of `path`, signed by `signer`. */
function signFields(keyId: string, alg: SignatureAlgorithm, path: string, signer: (base: Buffer) => Buffer) {
  const created = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(16).toString('hex');
  const params = `${FIELDS};created=${created};nonce="${nonce}";keyid="${keyId}";alg="${alg}";tag="latchkey"`;
  const base = [
    '"@method": GET',
    `"@authority": ${HOST}`,
    `"@path": ${path}`,
    '"@query": ?',
    `"@signature-params": ${params}`,
  ].join('\n');
  return {
    'Signature-Input': `sig1=${params}`,
    Signature: `sig1=:${signer(Buffer.from(base)).toString('base64')}:`,
  };
}

export async function benchRfc9421(
  bench: Bench,
  options: { iterations: number; warmup: number },
): Promise<Rfc9421Figures> {
  const { local, ddbCalls } = bench;
  const dynamo = local.runtime.dynamo;
  const TableName = local.tableName;
  const authorize = createAuthorizerHandler(local.runtime);
  const path = signedPath('/v1/echo/x');

  const hmacKey = await bench.createKey({ name: 'bench rfc9421 hmac' });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const edRecord = keyRecord({
    id: 'BenchEd25519Key1',
    org_id: 'default',
    key_hash: null,
    salt: '',
    sig_alg: 'ed25519',
    public_key: publicKey.export({ format: 'jwk' }).x as string,
    rate_limit_per_minute: 100_000,
  });
  await dynamo.send(new PutItemCommand({ TableName, Item: recordToItem(edRecord) }));
  await dynamo.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        {
          Update: {
            TableName,
            Key: keyItemKey(hmacKey.id),
            UpdateExpression: 'SET rate_limit_per_minute = :r',
            ExpressionAttributeValues: { ':r': { N: '100000' } },
          },
        },
      ],
    }),
  );

  const signers: Record<
    keyof Rfc9421Figures,
    { keyId: string; alg: SignatureAlgorithm; sign: (b: Buffer) => Buffer; key: Buffer }
  > = {
    hmac_sha256: {
      keyId: hmacKey.id,
      alg: 'hmac-sha256',
      sign: (b) => createHmac('sha256', Buffer.from(hmacKey.token, 'utf8')).update(b).digest(),
      key: Buffer.from(hmacKey.token, 'utf8'),
    },
    ed25519: {
      keyId: edRecord.id,
      alg: 'ed25519',
      sign: (b) => sign(null, b, privateKey),
      key: Buffer.from(edRecord.public_key as string, 'base64url'),
    },
  };

  const eventFor = (name: keyof Rfc9421Figures): APIGatewayRequestAuthorizerEvent => {
    const s = signers[name];
    const event = authorizerEvent('', 'GET', '/v1/echo/x', {
      Host: HOST,
      ...signFields(s.keyId, s.alg, path, s.sign),
    });
    const headers = { ...event.headers };
    for (const h of Object.keys(headers)) if (h.toLowerCase() === 'authorization') delete headers[h];
    const multi = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v ?? '']]));
    return {
      ...event,
      headers,
      multiValueHeaders: multi,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
    };
  };

  // The floor: the same two calls, bare, against a copy of the key item.
  const keyItem = (
    await dynamo.send(new GetItemCommand({ TableName, Key: keyItemKey(hmacKey.id), ConsistentRead: true }))
  ).Item;
  if (!keyItem) throw new Error('no key item');
  await dynamo.send(new PutItemCommand({ TableName, Item: { ...keyItem, pk: { S: 'FLOOR#rfc9421' } } }));
  const floorKey = { pk: { S: 'FLOOR#rfc9421' }, sk: { S: 'KEY' } };
  const floorTxn = (): TransactWriteItemsCommandInput => ({
    TransactItems: [
      {
        Put: {
          TableName,
          Item: {
            pk: { S: `NONCE#floor#${randomBytes(16).toString('hex')}` },
            sk: { S: 'REPLAY' },
            ttl: { N: '1' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName,
          Key: floorKey,
          UpdateExpression: 'SET calls = calls + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
      },
    ],
  });
  const floor = async () => {
    await dynamo.send(new GetItemCommand({ TableName, Key: floorKey, ConsistentRead: true }));
    await dynamo.send(new TransactWriteItemsCommand(floorTxn()));
  };

  const samples: Record<string, number[]> = { hmac_sha256: [], ed25519: [], floor: [] };
  const commands: Record<string, string[]> = { hmac_sha256: [], ed25519: [] };
  const names = ['hmac_sha256', 'ed25519', 'floor'] as const;
  for (let round = 0; round < options.warmup + options.iterations; round++) {
    const record = round >= options.warmup;
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as (typeof names)[number];
      if (name === 'floor') {
        const t0 = nowMs();
        await floor();
        if (record) samples.floor?.push(nowMs() - t0);
        continue;
      }
      const event = eventFor(name);
      const before = new Map(ddbCalls);
      const t0 = nowMs();
      const result = await authorize(event);
      const dt = nowMs() - t0;
      if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error(`${name} was not allowed`);
      if (record) {
        samples[name]?.push(dt);
        const seen: string[] = [];
        for (const [c, n] of ddbCalls) for (let k = 0; k < n - (before.get(c) ?? 0); k++) seen.push(c);
        commands[name] = seen.sort();
      }
    }
  }

  const floorP50 = percentile(samples.floor ?? [], 50);
  const figures = {} as Rfc9421Figures;
  for (const name of ['hmac_sha256', 'ed25519'] as const) {
    const s = signers[name];
    const fields = signFields(s.keyId, s.alg, path, s.sign);
    const message = {
      method: 'GET',
      host: HOST,
      path,
      query: '',
      field: () => undefined,
      hasBody: false,
    };
    const cpu = cpuPerCallSync(
      () => {
        const checked = checkSignatureProfile(
          fields['Signature-Input'],
          fields.Signature,
          message,
          Date.now(),
        );
        if (
          !checked.ok ||
          !verifySignatureBase(s.alg, s.key, checked.signature.base, checked.signature.signature)
        )
          throw new Error('bench signature did not verify');
      },
      { warmup: 200, perBatch: 500, batches: 7 },
    );
    const p50 = percentile(samples[name] ?? [], 50);
    figures[name] = {
      p50_ms: round(p50, 3),
      p99_ms: round(percentile(samples[name] ?? [], 99), 3),
      floor_p50_ms: round(floorP50, 3),
      ratio_p50: round(p50 / floorP50, 2),
      ddb_calls: commands[name]?.length ?? 0,
      ddb_commands: commands[name] ?? [],
      cpu_us: round(cpu, 1),
    };
  }
  return figures;
}
