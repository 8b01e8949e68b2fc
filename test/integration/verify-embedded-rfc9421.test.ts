/**
 * latchkey/verify in-process against DynamoDB Local, RFC 9421: requests signed by the
 * `http-message-signatures` package (HMAC with a key's token, Ed25519 with a public-key key item) are
 * accepted, and the embedded verifier, which sees the body, refuses one that does not match its
 * Content-Digest before any I/O — with the reason in the result.
 */
import { createHash, createHmac, sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { httpbis, type SigningKey } from 'http-message-signatures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '#core/settings';
import { createDynamoClient } from '#lambda/aws/clients';
import { recordToItem } from '#lambda/dynamo/codec';
import type { Verifier, VerifyResult } from '#verify/index';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { keyRecord } from '../helpers/records';
import { localVerifier } from '../helpers/verify';

const latchkey = useLatchkey();
const ORIGIN = 'https://orders.example.com';
let verifier: Verifier;
let ddbCalls: string[] = [];

beforeAll(async () => {
  const dynamodb = createDynamoClient(latchkey.local.dynamodbEndpoint, latchkey.local.dynamodbIdentity);
  onDynamoCommand(dynamodb, (name) => ddbCalls.push(name));
  verifier = localVerifier(latchkey.local, {
    env: { [SETTINGS.verifyMode.env]: 'exact' },
    dynamodbClient: dynamodb,
  });
});
afterAll(() => verifier?.close());

/** A request as `http-message-signatures` signs it, ready for `verify`. */
async function signed(key: SigningKey, keyId: string, target: string, body?: string) {
  const headers: Record<string, string> = { host: new URL(ORIGIN).host };
  if (body !== undefined)
    headers['content-digest'] = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
  const message = await httpbis.signMessage(
    {
      key,
      name: 'sig1',
      fields: ['@method', '@authority', '@path', '@query', ...(body === undefined ? [] : ['content-digest'])],
      params: ['created', 'nonce', 'keyid', 'alg', 'tag'],
      paramValues: { keyid: keyId, nonce: randomBytes(16).toString('hex'), tag: 'latchkey' },
    },
    { method: body === undefined ? 'GET' : 'POST', url: `${ORIGIN}${target}`, headers },
  );
  return { method: message.method, path: target, headers: message.headers, body: body ?? null };
}

const reasonOf = (result: VerifyResult) => (result.allowed ? 'allowed' : result.reason);

describe('RFC 9421 in the embedded verifier', () => {
  it('hmac-sha256 with a token key, a query and a body: allowed, one read and one transaction', async () => {
    const k = await createKey(latchkey.call, latchkey.admin);
    const hmac: SigningKey = {
      alg: 'hmac-sha256',
      sign: async (data) => createHmac('sha256', Buffer.from(k.token, 'utf8')).update(data).digest(),
    };
    ddbCalls = [];
    const result = await verifier.verify(await signed(hmac, k.id, '/orders?page=2', '{"qty":1}'));
    expect(result).toMatchObject({ allowed: true, caller: { keyId: k.id, scheme: 'rfc9421' } });
    expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);

    const request = await signed(hmac, k.id, '/orders', '{"qty":1}');
    ddbCalls = [];
    expect(reasonOf(await verifier.verify({ ...request, body: '{"qty":9}' }))).toBe(
      'content_digest_mismatch',
    );
    expect(ddbCalls).toEqual([]);
  });

  it('ed25519 with a public-key key item', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const id = 'Ed25519Key000001';
    const record = keyRecord({
      id,
      org_id: 'default',
      key_hash: null,
      salt: '',
      sig_alg: 'ed25519',
      public_key: publicKey.export({ format: 'jwk' }).x as string,
    });
    await latchkey.local.runtime.dynamo.send(
      new PutItemCommand({ TableName: latchkey.local.tableName, Item: recordToItem(record) }),
    );
    const key: SigningKey = { alg: 'ed25519', sign: async (data) => cryptoSign(null, data, privateKey) };
    expect(await verifier.verify(await signed(key, id, '/orders/7'))).toMatchObject({
      allowed: true,
      caller: { keyId: id, scheme: 'rfc9421' },
    });
    // Bearer and ARMOR-PSK never match a key without a token.
    const other = generateKeyPairSync('ed25519').privateKey;
    const wrong: SigningKey = { alg: 'ed25519', sign: async (data) => cryptoSign(null, data, other) };
    expect(reasonOf(await verifier.verify(await signed(wrong, id, '/orders/7')))).toBe('bad_signature');
  });
});
