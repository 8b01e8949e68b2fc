/**
 * RFC 9421 requests end to end through the local gateway against DynamoDB Local, both API types: signed by
 * an implementation latchkey did not write (the `http-message-signatures` package) with HMAC (the key's
 * token) and Ed25519 (a public-key key item written directly), accepted; and the hardening cases — replay,
 * window, tampering, components, labels, tag, algorithm, sizes, two credentials — refused with the one
 * credential refusal and their reason in the authorizer's log. Two DynamoDB calls per accepted request.
 */
import { createHash, createHmac, sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { httpbis, type SigningKey } from 'http-message-signatures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest9421 } from '#core/http-signatures-sign';
import type { KeyRecord } from '#core/model';
import { keyItemKey, recordToItem } from '#lambda/dynamo/codec';
import type { LocalMode } from '#local/local-mode';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { keyRecord } from '../helpers/records';
import { API_TYPES, REFUSALS } from '../helpers/refusals';

const hmacKey = (token: string, alg: 'hmac-sha256' | 'hmac-sha512' = 'hmac-sha256'): SigningKey => ({
  alg,
  sign: async (data) =>
    createHmac(alg === 'hmac-sha256' ? 'sha256' : 'sha512', Buffer.from(token, 'utf8'))
      .update(data)
      .digest(),
});

interface SignOptions {
  method?: string;
  /** Path with the query, as sent. */
  target: string;
  body?: string;
  key: SigningKey;
  keyId: string;
  fields?: string[];
  params?: string[];
  paramValues?: Record<string, string | Date | undefined>;
  name?: string;
  extraHeaders?: Record<string, string>;
}

describe.each(API_TYPES)('%s API', (apiType) => {
  const refused = REFUSALS[apiType].bad_credential.status;
  let local: LocalMode;
  let call: Call;
  let ddbCalls: string[] = [];

  beforeAll(async () => {
    local = await startTestLatchkey({ apiType });
    call = client(local.url, { apiType });
    onDynamoCommand(local.runtime.dynamo, (name) => ddbCalls.push(name));
  });
  afterAll(async () => {
    await local.stop();
  });

  /** The headers `http-message-signatures` produces for the request. */
  async function signedHeaders(o: SignOptions): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...o.extraHeaders };
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-digest'] = `sha-256=:${createHash('sha256').update(o.body).digest('base64')}:`;
    }
    const fields = o.fields ?? [
      '@method',
      '@authority',
      '@path',
      '@query',
      ...(o.body === undefined ? [] : ['content-digest']),
    ];
    const signed = await httpbis.signMessage(
      {
        key: o.key,
        name: o.name ?? 'sig1',
        fields,
        params: o.params ?? ['created', 'nonce', 'keyid', 'alg', 'tag'],
        paramValues: {
          keyid: o.keyId,
          nonce: randomBytes(16).toString('hex'),
          tag: 'latchkey',
          ...o.paramValues,
        } as never,
      },
      { method: o.method ?? 'GET', url: `${local.url}${o.target}`, headers },
    );
    // Names lower-cased, so a test can change a field whatever spelling the signer used.
    return Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  }

  const send = (o: { method?: string; target: string; body?: string }, headers: Record<string, string>) =>
    call(o.method ?? 'GET', o.target, { headers, ...(o.body === undefined ? {} : { rawBody: o.body }) });

  async function ed25519Key(overrides: Partial<KeyRecord> = {}) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const id = randomBytes(12)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 16);
    const record = keyRecord({
      id,
      org_id: 'default',
      key_hash: null,
      salt: '',
      sig_alg: 'ed25519',
      public_key: publicKey.export({ format: 'jwk' }).x as string,
      ...overrides,
    });
    await local.runtime.dynamo.send(
      new PutItemCommand({ TableName: local.tableName, Item: recordToItem(record) }),
    );
    const key: SigningKey = { alg: 'ed25519', sign: async (data) => cryptoSign(null, data, privateKey) };
    return { id, key };
  }

  describe('signed by http-message-signatures: accepted', () => {
    it('hmac-sha256 with a token key: GET with a query; one read and one transaction', async () => {
      const k = await createKey(call, local.adminKey);
      const o = { target: '/v1/echo/hello?n=1&q=two' };
      const headers = await signedHeaders({ ...o, key: hmacKey(k.token), keyId: k.id });
      ddbCalls = [];
      const res = await send(o, headers);
      expect(res.status, res.text).toBe(200);
      expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
    });

    it('hmac-sha256 with a body: Content-Digest sha-256 covered and checked by the integration', async () => {
      const k = await createKey(call, local.adminKey);
      const o = { method: 'POST', target: '/v1/echo/body', body: '{"a":1}' };
      const headers = await signedHeaders({ ...o, key: hmacKey(k.token), keyId: k.id });
      const res = await send(o, headers);
      expect(res.status, res.text).toBe(200);
      // The same signature over another body: the authorizer cannot see it, the integration refuses it.
      const tampered = await signedHeaders({ ...o, key: hmacKey(k.token), keyId: k.id });
      const forged = await send({ ...o, body: '{"a":2}' }, tampered);
      expect(forged.status).toBe(401);
    });

    it('ed25519 with a public-key key item (no token, no hash)', async () => {
      const { id, key } = await ed25519Key();
      const o = { target: '/v1/echo/ed' };
      const res = await send(o, await signedHeaders({ ...o, key, keyId: id }));
      expect(res.status, res.text).toBe(200);
      // No alg parameter: the key's algorithm applies.
      const bare = await signedHeaders({
        ...o,
        key,
        keyId: id,
        params: ['created', 'nonce', 'keyid', 'tag'],
      });
      expect((await send(o, bare)).status).toBe(200);
    });

    it('hmac-sha512 when the key item says so', async () => {
      const k = await createKey(call, local.adminKey);
      await local.runtime.dynamo.send(
        new PutItemCommand({
          TableName: local.tableName,
          Item: { ...(await itemOf(k.id)), sig_alg: { S: 'hmac-sha512' } },
        }),
      );
      const o = { target: '/v1/echo/512' };
      const ok = await signedHeaders({ ...o, key: hmacKey(k.token, 'hmac-sha512'), keyId: k.id });
      expect((await send(o, ok)).status).toBe(200);
      const wrong = await signedHeaders({ ...o, key: hmacKey(k.token, 'hmac-sha256'), keyId: k.id });
      expect((await send(o, wrong)).status).toBe(refused);
    });
  });

  describe('keys made through the management API, signed by what latchkey did not write', () => {
    it('a public-key key registered with POST /v1/keys: the package signs with its private key; rotation moves to the new one', async () => {
      const first = generateKeyPairSync('ed25519');
      const created = await call<{ key: { id: string; signature_algorithm: string }; raw_key?: string }>(
        'POST',
        '/v1/keys',
        {
          token: local.adminKey,
          body: {
            name: 'ed25519 end to end',
            public_key: first.publicKey.export({ format: 'pem', type: 'spki' }),
          },
        },
      );
      expect(created.status, created.text).toBe(201);
      expect(created.body.raw_key).toBeUndefined();
      expect(created.body.key.signature_algorithm).toBe('ed25519');
      const id = created.body.key.id;
      const signer = (privateKey: typeof first.privateKey): SigningKey => ({
        alg: 'ed25519',
        sign: async (data) => cryptoSign(null, data, privateKey),
      });
      const get = { target: '/v1/echo/registered?x=1' };
      expect(
        (await send(get, await signedHeaders({ ...get, key: signer(first.privateKey), keyId: id }))).status,
      ).toBe(200);
      const post = { method: 'POST', target: '/v1/echo/registered', body: '{"sku":"A-1"}' };
      const posted = await send(
        post,
        await signedHeaders({ ...post, key: signer(first.privateKey), keyId: id }),
      );
      expect(posted.status, posted.text).toBe(200);
      // Another key pair under the same key id is refused.
      const other = generateKeyPairSync('ed25519');
      expect(
        (await send(get, await signedHeaders({ ...get, key: signer(other.privateKey), keyId: id }))).status,
      ).toBe(refused);

      const rotated = await call<{ key: { id: string } }>('POST', `/v1/keys/${id}/rotate`, {
        token: local.adminKey,
        body: { grace_period_seconds: 0, public_key: other.publicKey.export({ format: 'jwk' }).x },
      });
      expect(rotated.status, rotated.text).toBe(201);
      const next = rotated.body.key.id;
      expect(
        (await send(get, await signedHeaders({ ...get, key: signer(other.privateKey), keyId: next }))).status,
      ).toBe(200);
      // The old key stopped with the rotation (grace 0).
      expect(
        (await send(get, await signedHeaders({ ...get, key: signer(first.privateKey), keyId: id }))).status,
      ).toBe(refused);
      const used = await call<{ key: { calls: number } }>('GET', `/v1/keys/${id}`, { token: local.adminKey });
      expect(used.body.key.calls).toBe(2);
    });

    it('a token key created with signature_algorithm hmac-sha512 verifies HMAC-SHA512 signatures only', async () => {
      const created = await call<{ key: { id: string; signature_algorithm: string }; raw_key: string }>(
        'POST',
        '/v1/keys',
        { token: local.adminKey, body: { name: 'sha512 end to end', signature_algorithm: 'hmac-sha512' } },
      );
      expect(created.status, created.text).toBe(201);
      expect(created.body.key.signature_algorithm).toBe('hmac-sha512');
      const { id } = created.body.key;
      const o = { target: '/v1/echo/sha512' };
      const ok = await signedHeaders({ ...o, key: hmacKey(created.body.raw_key, 'hmac-sha512'), keyId: id });
      expect((await send(o, ok)).status).toBe(200);
      const wrong = await signedHeaders({
        ...o,
        key: hmacKey(created.body.raw_key, 'hmac-sha256'),
        keyId: id,
      });
      expect((await send(o, wrong)).status).toBe(refused);
    });

    it("latchkey's own SDK signer is accepted too, with a body and a query", async () => {
      const k = await createKey(call, local.adminKey);
      const body = '{"qty":2}';
      const signed = signRequest9421({
        keyId: k.id,
        token: k.token,
        method: 'POST',
        url: `${local.url}/v1/echo/sdk?page=2`,
        body,
      });
      const res = await call('POST', '/v1/echo/sdk?page=2', {
        headers: { ...signed.headers },
        rawBody: body,
      });
      expect(res.status, res.text).toBe(200);
      // The query is covered: the same signature on another page is refused.
      const moved = await call('POST', '/v1/echo/sdk?page=3', {
        headers: { ...signed.headers },
        rawBody: body,
      });
      expect(moved.status).toBe(refused);
    });
  });

  async function itemOf(id: string) {
    const out = await local.runtime.dynamo.send(
      new GetItemCommand({ TableName: local.tableName, Key: keyItemKey(id), ConsistentRead: true }),
    );
    if (!out.Item) throw new Error('no key item');
    return out.Item;
  }

  describe('hardening: the one credential refusal', () => {
    let token = '';
    let keyId = '';
    beforeAll(async () => {
      const k = await createKey(call, local.adminKey);
      token = k.token;
      keyId = k.id;
    });
    const sign = (o: Omit<SignOptions, 'key' | 'keyId'>) =>
      signedHeaders({ key: hmacKey(token), keyId, ...o });

    it('replay: the same request twice, the second refused', async () => {
      const o = { target: '/v1/echo/replay' };
      const headers = await sign(o);
      expect((await send(o, headers)).status).toBe(200);
      expect((await send(o, headers)).status).toBe(refused);
    });

    it.each([
      ['created too old', { created: new Date(Date.now() - 400_000) }],
      ['created in the future', { created: new Date(Date.now() + 400_000) }],
      ['expires past', { created: new Date(Date.now() - 10_000), expires: new Date(Date.now() - 5_000) }],
    ])('window: %s', async (_, values) => {
      const o = { target: '/v1/echo/window' };
      const params = ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'];
      const headers = await sign({ ...o, params, paramValues: values as never });
      expect((await send(o, headers)).status).toBe(refused);
    });

    it.each([
      ['method', { method: 'DELETE' }],
      ['path', { target: '/v1/echo/other?x=1' }],
      ['query', { target: '/v1/echo/tamper?x=2' }],
    ])('tampering with the %s', async (_, change) => {
      const o = { target: '/v1/echo/tamper?x=1' };
      const headers = await sign(o);
      expect((await send({ ...o, ...change }, headers)).status).toBe(refused);
    });

    it('tampering with the authority (the Host the signature names)', async () => {
      const o = { target: '/v1/echo/host' };
      const headers = await sign(o);
      const url = new URL(local.url);
      const res = await fetch(`http://localhost:${url.port}${o.target}`, { headers });
      expect(res.status).toBe(refused);
    });

    it('tampering with the Content-Digest of a body', async () => {
      const o = { method: 'POST', target: '/v1/echo/digest', body: '{"a":1}' };
      const headers = await sign(o);
      headers['content-digest'] = `sha-256=:${createHash('sha256').update('{"a":2}').digest('base64')}:`;
      expect((await send({ ...o, body: '{"a":2}' }, headers)).status).toBe(refused);
    });

    it('a Content-Digest changed after signing to one of another algorithm', async () => {
      const o = { method: 'POST', target: '/v1/echo/md5', body: '{}' };
      const md5 = await signedHeaders({
        ...o,
        key: hmacKey(token),
        keyId,
        extraHeaders: {},
        fields: ['@method', '@authority', '@path', '@query', 'content-digest'],
      });
      md5['content-digest'] = 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:';
      expect((await send(o, md5)).status).toBe(refused);
    });

    it.each([
      ['@query missing', ['@method', '@authority', '@path']],
      ['@authority missing', ['@method', '@path', '@query']],
      ['content-digest missing with a body', ['@method', '@authority', '@path', '@query']],
      ['an unknown derived component', ['@method', '@authority', '@path', '@query', '@scheme']],
    ])('components: %s', async (name, fields) => {
      const o = name.includes('body')
        ? { method: 'POST', target: '/v1/echo/components', body: '{}' }
        : { target: '/v1/echo/components' };
      const headers = await sign({ ...o, fields });
      expect((await send(o, headers)).status).toBe(refused);
    });

    it('components: a covered field that is not sent', async () => {
      const o = { target: '/v1/echo/absent' };
      const headers = await sign({
        ...o,
        fields: ['@method', '@authority', '@path', '@query', 'x-extra'],
        extraHeaders: { 'x-extra': 'yes' },
      });
      expect((await send(o, headers)).status).toBe(200);
      const again = await sign({
        ...o,
        fields: ['@method', '@authority', '@path', '@query', 'x-extra'],
        extraHeaders: { 'x-extra': 'yes' },
      });
      delete again['x-extra'];
      expect((await send(o, again)).status).toBe(refused);
    });

    it('components: one repeated', async () => {
      const o = { target: '/v1/echo/dup' };
      const headers = await sign(o);
      headers['signature-input'] = (headers['signature-input'] as string).replace(
        '("@method"',
        '("@method" "@method"',
      );
      expect((await send(o, headers)).status).toBe(refused);
    });

    it('an extra member or label, and labels that differ', async () => {
      const o = { target: '/v1/echo/labels' };
      const a = await sign(o);
      const b = await sign({ ...o, name: 'sig2' });
      const extra = {
        ...a,
        signature: `${a.signature}, ${b.signature}`,
        'signature-input': `${a['signature-input']}, ${b['signature-input']}`,
      };
      expect((await send(o, extra)).status).toBe(refused);
      const mismatch = { ...a, signature: b.signature as string };
      expect((await send(o, mismatch)).status).toBe(refused);
    });

    it.each([
      ['a wrong tag', { tag: 'other' }],
      ['no nonce', { nonce: undefined }],
    ])('parameters: %s', async (_, values) => {
      const o = { target: '/v1/echo/params' };
      expect((await send(o, await sign({ ...o, paramValues: values }))).status).toBe(refused);
    });

    it('an alg that is not the key’s', async () => {
      const o = { target: '/v1/echo/alg' };
      const headers = await signedHeaders({ ...o, key: { ...hmacKey(token), alg: 'ed25519' }, keyId });
      expect((await send(o, headers)).status).toBe(refused);
    });

    it('oversize fields', async () => {
      const o = { target: '/v1/echo/big' };
      const headers = await sign(o);
      const padded = {
        ...headers,
        'signature-input': `${headers['signature-input']};x="${'a'.repeat(1100)}"`,
      };
      expect((await send(o, padded)).status).toBe(refused);
    });

    it('both an Authorization header and a signature', async () => {
      const o = { target: '/v1/echo/two' };
      const headers = await sign(o);
      expect((await send(o, { ...headers, authorization: `Bearer ${token}` })).status).toBe(refused);
    });

    it('ARMOR-PSK keys keep working alongside: a bearer request with the same key', async () => {
      expect((await call('GET', '/v1/echo/bearer', { token })).status).toBe(200);
    });
  });
});
