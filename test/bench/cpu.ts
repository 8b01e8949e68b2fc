/**
 * cpu_us and peers: the authorizer's own CPU per verification with the network taken out, next to the
 * raw crypto it cannot avoid, and the same bearer verification done by other designs.
 *
 * "I/O excluded" means the DynamoDB client's HTTP handler answers from memory with the bytes DynamoDB
 * Local sent for the same request: everything the Lambda would burn CPU on stays in (SDK request
 * building, SigV4 signing, response parsing, the handler, policy building, the JSON log line).
 */
import { createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { checkAPIKey, generateAPIKey } from 'prefixed-api-key';
import { canonicalString } from '#core/armor';
import { parseAuthorization } from '#core/credentials';
import { constantTimeEqual, sha256Hex } from '#core/crypto';
import { signRequest } from '#core/signer';
import { type VerifierDeps, verifyRequest } from '#core/verify';
import { itemToRecord } from '#lambda/dynamo/codec';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { MetricsWriter } from '#lambda/runtime/metrics';
import { createRuntime } from '#lambda/runtime/runtime';
import { cpuPerCall, cpuPerCallSync, round } from './lib';
import { authorizerEvent, type Bench, signedPath } from './setup';

type Item = Record<string, AttributeValue>;

export interface CpuFigures {
  /** Whole handler per verification, network answered from memory. */
  bearer: number;
  signed: number;
  /** verifyRequest alone (parse, hash, compare, derive, HMAC) with in-memory dependencies. */
  bearer_core: number;
  signed_core: number;
  sha256_floor: number;
  hmac_floor: number;
  /** One HMAC-SHA256 (the token re-derivation on the signed path). */
  hmac_sha256: number;
  /**
   * One invocation's metrics: a verification counted and flushed as its EMF line (serialization; the
   * line's one stdout write is not in it). The whole-handler figures above include it.
   */
  metrics_emit: number;
}

export interface PeerFigures {
  /** latchkey's bearer check without I/O: parse + CRC-32 checksum + SHA-256 + constant-time compare. */
  latchkey_verify_us: number;
  /** Seam's prefixed-api-key: checkAPIKey (SHA-256 of the long token + timingSafeEqual). */
  prefixed_api_key_verify_us: number;
  prefixed_api_key_version: string;
  /** scrypt at Node's defaults (N=16384, r=8, p=1, 64-byte key) + timingSafeEqual. */
  scrypt_verify_us: number;
  scrypt_params: string;
}

/** An SDK HTTP handler that answers every DynamoDB call from memory. */
function cannedHandler(responses: Record<string, string>) {
  return {
    handle: async (request: { headers: Record<string, string> }) => {
      const target = (request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const body = responses[target];
      if (body === undefined) throw new Error(`no canned response for ${target}`);
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}

const BATCH = { warmup: 2_000, perBatch: 4_000, batches: 7 };

export async function benchCpu(bench: Bench): Promise<{ cpu: CpuFigures; peers: PeerFigures }> {
  const { local } = bench;
  const key = await bench.createKey({ name: 'bench cpu' });
  const real = await local.runtime.dynamo.send(
    new GetItemCommand({
      TableName: local.tableName,
      Key: { pk: { S: `KEY#${key.id}` }, sk: { S: 'KEY' } },
      ConsistentRead: true,
    }),
  );
  const item = real.Item as Item;
  const dynamo = new DynamoDBClient({
    endpoint: local.dynamodbEndpoint,
    ...local.dynamodbIdentity,
    maxAttempts: 3,
    requestHandler: cannedHandler({
      UpdateItem: JSON.stringify({ Attributes: item }),
      GetItem: JSON.stringify({ Item: item }),
      TransactWriteItems: '{}',
    }) as never,
  });
  const runtime = createRuntime(local.config, { secrets: local.secretsClient, dynamo });
  const authorize = createAuthorizerHandler(runtime);
  const bearerEvent = authorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/echo/x');
  // The canned store accepts any nonce, so one signed event can be verified again and again.
  const signed = signRequest({ token: key.token, method: 'GET', path: signedPath('/v1/echo/x') });
  const signedEvent = authorizerEvent(signed.authorization, 'GET', '/v1/echo/x');
  await authorize(bearerEvent);
  await authorize(signedEvent); // loads the signing secret into the cache

  const bearer = await cpuPerCall(() => authorize(bearerEvent), BATCH);
  const signedCpu = await cpuPerCall(() => authorize(signedEvent), BATCH);

  const record = itemToRecord(item);
  const master = await local.runtime.signingSecret.get();
  const deps: VerifierDeps = {
    tokenPrefixes: local.config.tokenPrefixes,
    now: Date.now,
    adminKey: async () => local.adminKey,
    signingSecret: async () => master,
    usage: {
      recordUse: async () => ({ updated: true, record }),
      readKey: async () => ({ record, windows: {} }),
      recordSignedUse: async () => ({ outcome: 'recorded' }),
      recordReplay: async () => 'recorded',
    },
  };
  const request = (authorization: string) => ({
    authorization,
    method: 'GET',
    path: signedPath('/v1/echo/x'),
    contentDigest: undefined,
  });
  const bearerRequest = request(`Bearer ${key.token}`);
  const signedRequest = request(signed.authorization);
  const check = async (r: typeof bearerRequest) => {
    const v = await verifyRequest(deps, r);
    if (!v.ok) throw new Error('core verification failed');
  };
  const bearerCore = await cpuPerCall(() => check(bearerRequest), BATCH);
  const signedCore = await cpuPerCall(() => check(signedRequest), BATCH);

  const canonical = canonicalString({
    keyId: key.id,
    method: 'GET',
    path: signedPath('/v1/echo/x'),
    nonce: signed.nonce,
    timestamp: signed.timestamp,
    bodyDigest: '',
  });
  const FLOOR = { warmup: 5_000, perBatch: 20_000, batches: 7 };
  const sha256Floor = cpuPerCallSync(
    () => createHash('sha256').update(key.token, 'utf8').digest('hex'),
    FLOOR,
  );
  const hmacFloor = cpuPerCallSync(
    () => createHmac('sha512', Buffer.from(key.token, 'utf8')).update(canonical, 'utf8').digest('base64'),
    FLOOR,
  );
  const hmacSha256 = cpuPerCallSync(
    () => createHmac('sha256', Buffer.from(master, 'utf8')).update(`${key.id}:${record.salt}`).digest(),
    FLOOR,
  );

  // Peers: the same bearer verification, other designs.
  const storedHash = sha256Hex(key.token);
  const latchkeyVerify = cpuPerCallSync(() => {
    const parsed = parseAuthorization(`Bearer ${key.token}`, 'lk');
    if (!parsed.ok || parsed.credential.kind !== 'token') throw new Error('parse failed');
    if (!constantTimeEqual(sha256Hex(parsed.credential.token), storedHash)) throw new Error('mismatch');
  }, FLOOR);
  const peer = await generateAPIKey({ keyPrefix: 'lk' });
  if (!('token' in peer) || peer.token === undefined) throw new Error('prefixed-api-key generated nothing');
  const peerToken = peer.token;
  const peerHash = peer.longTokenHash;
  const prefixedVerify = cpuPerCallSync(() => {
    if (!checkAPIKey(peerToken, peerHash)) throw new Error('prefixed-api-key refused its own key');
  }, FLOOR);
  const salt = randomBytes(16);
  const stored = scryptSync(key.token, salt, 64);
  const scryptVerify = cpuPerCallSync(
    () => {
      if (!timingSafeEqual(scryptSync(key.token, salt, 64), stored)) throw new Error('scrypt mismatch');
    },
    { warmup: 2, perBatch: 6, batches: 3 },
  );

  const metrics = new MetricsWriter({ functionName: 'latchkey-bench', write: () => undefined });
  const metricsEmit = cpuPerCallSync(() => {
    metrics.count('verifications', { outcome: 'refused', reason: 'wrong_secret' });
    metrics.flush();
  }, FLOOR);

  return {
    cpu: {
      bearer: round(bearer, 1),
      signed: round(signedCpu, 1),
      bearer_core: round(bearerCore, 1),
      signed_core: round(signedCore, 1),
      sha256_floor: round(sha256Floor, 2),
      hmac_floor: round(hmacFloor, 2),
      hmac_sha256: round(hmacSha256, 2),
      metrics_emit: round(metricsEmit, 2),
    },
    peers: {
      latchkey_verify_us: round(latchkeyVerify, 2),
      prefixed_api_key_verify_us: round(prefixedVerify, 2),
      prefixed_api_key_version: await peerVersion(),
      scrypt_verify_us: round(scryptVerify, 0),
      scrypt_params: 'N=16384 r=8 p=1 keylen=64 (Node defaults)',
    },
  };
}

async function peerVersion(): Promise<string> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  return (require('prefixed-api-key/package.json') as { version: string }).version;
}
