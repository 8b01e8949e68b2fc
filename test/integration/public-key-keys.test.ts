/**
 * Public-key keys end to end through the local gateway, against DynamoDB Local: created from an Ed25519
 * public key in each accepted form (no token, no raw_key, no hash or salt at rest), every other key
 * refused with a 400 that names the problem, rotation to a new public key, `hmac-sha512` token keys, the
 * audit trail, and no bearer or ARMOR-PSK credential ever authenticating as such a key.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { signRequest } from '#core/signer';
import { deriveSecret, formatToken } from '#core/token';
import type { ApiKey, AuditPage } from '#core/wire';
import { runCli } from '../helpers/cli';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const lk = useLatchkey();

type Created = { key: ApiKey; raw_key?: string; warning?: string };
type ErrorAnswer = { error: { code: string; message: string } };

function ed25519(): { publicKey: KeyObject; raw: string; pem: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x as string;
  return { publicKey, raw, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** A key pair whose base64url public key begins with '-', which a CLI must not read as an option. */
function ed25519StartingWithDash(): ReturnType<typeof ed25519> {
  for (;;) {
    const pair = ed25519();
    if (pair.raw.startsWith('-')) return pair;
  }
}

async function item(id: string) {
  const out = await lk.local.runtime.dynamo.send(
    new GetItemCommand({
      TableName: lk.local.config.tableName,
      Key: { pk: { S: `KEY#${id}` }, sk: { S: 'KEY' } },
    }),
  );
  return out.Item ?? {};
}

const create = (body: Record<string, unknown>) =>
  lk.call<Created>('POST', '/v1/keys', { token: lk.admin, body: { name: 'signer', ...body } });

describe('POST /v1/keys with a public_key', () => {
  it.each([
    ['base64url of the raw 32 bytes', (k: ReturnType<typeof ed25519>) => k.raw],
    [
      'base64 with padding',
      (k: ReturnType<typeof ed25519>) => Buffer.from(k.raw, 'base64url').toString('base64'),
    ],
    ['a PEM PUBLIC KEY (SPKI)', (k: ReturnType<typeof ed25519>) => k.pem],
  ])('takes %s: no raw_key, nothing secret at rest', async (_, form) => {
    const key = ed25519();
    const res = await create({ public_key: form(key) });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['key']);
    expect(res.body.key).toMatchObject({
      signature_algorithm: 'ed25519',
      public_key: key.raw,
      status: 'active',
    });
    const stored = await item(res.body.key.id);
    expect(stored.sig_alg).toEqual({ S: 'ed25519' });
    expect(stored.public_key).toEqual({ S: key.raw });
    expect(stored.key_hash).toBeUndefined();
    expect(stored.salt).toBeUndefined();
    const read = await lk.call<{ key: ApiKey }>('GET', `/v1/keys/${res.body.key.id}`, { token: lk.admin });
    expect(read.body.key).toEqual(res.body.key);
  });

  it('accepts signature_algorithm ed25519 alongside the public key', async () => {
    const res = await create({ public_key: ed25519().raw, signature_algorithm: 'ed25519' });
    expect(res.status).toBe(201);
    expect(res.body.key.signature_algorithm).toBe('ed25519');
  });

  it.each([
    [
      '31 bytes',
      () => Buffer.alloc(31, 7).toString('base64url'),
      /decodes to 31 bytes; an Ed25519 public key is 32/,
    ],
    ['33 bytes', () => Buffer.alloc(33, 7).toString('base64'), /decodes to 33 bytes/],
    [
      'an RSA public key',
      () =>
        generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }),
      /is an RSA key; latchkey takes only Ed25519 public keys/,
    ],
    [
      'an RSA PEM in PKCS#1',
      () =>
        generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
          format: 'pem',
          type: 'pkcs1',
        }),
      /is an RSA key/,
    ],
    [
      'an EC P-256 public key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }),
      /is a ec key; latchkey takes only Ed25519/,
    ],
    [
      'an X25519 public key',
      () => generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }),
      /is a x25519 key/,
    ],
    [
      'an Ed25519 private key',
      () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
      /is a private key; send only the public key/,
    ],
    ['text that is not base64', () => 'not a key!', /is neither base64url, base64 nor PEM/],
    ['base64 and base64url mixed', () => `${'A'.repeat(20)}+_${'A'.repeat(21)}`, /neither base64url/],
    [
      'a broken PEM',
      () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      /not a readable PEM/,
    ],
    ['a number', () => 42, /must be a string/],
  ])('refuses %s with a 400 naming the problem, and keeps nothing', async (_, value, message) => {
    const sent = value();
    const before = await lk.call<{ keys: ApiKey[] }>('GET', '/v1/keys?limit=100', { token: lk.admin });
    const res = await lk.call<ErrorAnswer>('POST', '/v1/keys', {
      token: lk.admin,
      body: {
        name: 'refused',
        public_key: typeof sent === 'string' || typeof sent === 'number' ? sent : String(sent),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^public_key: /);
    expect(res.body.error.message).toMatch(message);
    // What was sent is never echoed (a pasted private key above all).
    if (typeof sent === 'string') expect(res.text).not.toContain(sent.split('\n')[1] ?? sent);
    const after = await lk.call<{ keys: ApiKey[] }>('GET', '/v1/keys?limit=100', { token: lk.admin });
    expect(after.body.keys.length).toBe(before.body.keys.length);
  });

  it.each([
    [{ signature_algorithm: 'ed25519' }, /^public_key: is required for signature_algorithm ed25519/],
    [
      { signature_algorithm: 'hmac-sha512', public_key: 'K' },
      /^signature_algorithm: a key with a public_key signs with ed25519/,
    ],
    [
      { signature_algorithm: 'rsa-pss-sha512' },
      /^signature_algorithm: must be one of hmac-sha256, hmac-sha512, ed25519/,
    ],
  ])('refuses %j', async (body, message) => {
    const sent: Record<string, unknown> = { ...body };
    if (sent.public_key === 'K') sent.public_key = ed25519().raw;
    const res = await lk.call<ErrorAnswer>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'x', ...sent },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('records the algorithm and the public key’s fingerprint in key.created', async () => {
    const key = ed25519();
    const res = await create({ public_key: key.raw });
    const trail = await lk.call<AuditPage>('GET', `/v1/audit?key_id=${res.body.key.id}`, { token: lk.admin });
    const changes = trail.body.events[0]?.changes ?? {};
    expect(changes.signature_algorithm).toEqual({ old: null, new: 'ed25519' });
    expect(changes.public_key_fingerprint?.new).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(trail.body)).not.toContain(key.raw);
  });
});

describe('token keys and their signature algorithm', () => {
  it('default: hmac-sha256, no sig_alg at rest; hmac-sha512 stored as sig_alg', async () => {
    const plain = await createKey(lk.call, lk.admin);
    expect(plain.key).toMatchObject({ signature_algorithm: 'hmac-sha256', public_key: null });
    expect((await item(plain.id)).sig_alg).toBeUndefined();
    const strong = await create({ signature_algorithm: 'hmac-sha512' });
    expect(strong.status).toBe(201);
    expect(strong.body.raw_key).toMatch(/^lk_/);
    expect(strong.body.key).toMatchObject({ signature_algorithm: 'hmac-sha512', public_key: null });
    expect((await item(strong.body.key.id)).sig_alg).toEqual({ S: 'hmac-sha512' });
  });

  it('rotation keeps the algorithm and refuses a public_key', async () => {
    const strong = await create({ signature_algorithm: 'hmac-sha512' });
    const refused = await lk.call<ErrorAnswer>('POST', `/v1/keys/${strong.body.key.id}/rotate`, {
      token: lk.admin,
      body: { public_key: ed25519().raw },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^public_key: this key signs with a token/);
    const rotated = await lk.call<Created>('POST', `/v1/keys/${strong.body.key.id}/rotate`, {
      token: lk.admin,
      body: {},
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.raw_key).toMatch(/^lk_/);
    expect(rotated.body.key.signature_algorithm).toBe('hmac-sha512');
  });
});

describe('rotating a public-key key', () => {
  it('requires a new public key, and answers with the key alone', async () => {
    const first = ed25519();
    const old = await create({ public_key: first.raw });
    const id = old.body.key.id;
    const rotate = (body: Record<string, unknown>) =>
      lk.call<Created & ErrorAnswer>('POST', `/v1/keys/${id}/rotate`, { token: lk.admin, body });
    const missing = await rotate({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^public_key: is required to rotate a public-key key/);
    const same = await rotate({ public_key: first.pem });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toMatch(/current public key/);
    const bad = await rotate({ public_key: Buffer.alloc(16).toString('base64') });
    expect(bad.status).toBe(400);
    expect(
      (await lk.call<{ key: ApiKey }>('GET', `/v1/keys/${id}`, { token: lk.admin })).body.key.status,
    ).toBe('active');

    const second = ed25519();
    const rotated = await rotate({ public_key: second.pem, grace_period_seconds: 0 });
    expect(rotated.status).toBe(201);
    expect(Object.keys(rotated.body)).toEqual(['key']);
    expect(rotated.body.key).toMatchObject({
      signature_algorithm: 'ed25519',
      public_key: second.raw,
      rotated_from: id,
      name: 'signer',
    });
    expect((await item(rotated.body.key.id)).key_hash).toBeUndefined();
    const before = await lk.call<{ key: ApiKey }>('GET', `/v1/keys/${id}`, { token: lk.admin });
    expect(before.body.key).toMatchObject({ status: 'revoked', rotated_to: rotated.body.key.id });
  });
});

describe('a public-key key never authenticates with a token', () => {
  function expectUnauthorized(res: { status: number; body: unknown }) {
    expect(res.status).toBe(401);
    expect((res.body as ErrorAnswer).error).toMatchObject({
      code: 'unauthorized',
      message: UNAUTHORIZED_MESSAGE,
    });
  }

  // The token the server would derive for the key if it had a salt of '' (what a public-key key
  // stores): the strongest guess there is, and it still matches nothing.
  async function guessedToken(id: string): Promise<string> {
    return formatToken('lk', id, deriveSecret(await lk.local.runtime.signingSecret.get(), id, ''));
  }

  it('as a bearer token: the same 401, nothing counted, the item intact', async () => {
    const key = await create({ public_key: ed25519().raw, roles: ['admin'] });
    const id = key.body.key.id;
    const before = await item(id);
    const token = await guessedToken(id);
    for (const path of ['/v1/echo/x', '/v1/keys']) expectUnauthorized(await lk.call('GET', path, { token }));
    expect(await item(id)).toEqual(before);
  });

  it('as an ARMOR-PSK signature: the same 401, nothing counted', async () => {
    const key = await create({ public_key: ed25519().raw });
    const id = key.body.key.id;
    const before = await item(id);
    const token = await guessedToken(id);
    const signed = signRequest({ token, method: 'GET', path: '/v1/echo/x' });
    expectUnauthorized(await lk.call('GET', '/v1/echo/x', { authorization: signed.authorization }));
    expect((await item(id)).calls).toEqual(before.calls);
  });
});

describe('the CLI', () => {
  it('keys create --public-key FILE (prints the id with --quiet), keys get, keys rotate --public-key VALUE', async () => {
    const env = { LATCHKEY_URL: lk.local.url, LATCHKEY_KEY: lk.admin };
    const first = ed25519();
    const file = join(mkdtempSync(join(tmpdir(), 'latchkey-pub-')), 'signer.pub.pem');
    writeFileSync(file, first.pem);
    const created = await runCli(
      ['keys', 'create', '--name', 'cli-signer', '--public-key', file, '--quiet'],
      env,
    );
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[A-Za-z0-9]{16}$/);
    const shown = await runCli(['keys', 'get', id], env);
    expect(shown.stdout).toMatch(/signature\s+ed25519/);
    expect(shown.stdout).toContain(first.raw);
    // A base64url key may begin with '-': the CLI asks for the = form rather than guess, and takes it.
    const second = ed25519StartingWithDash();
    const ambiguous = await runCli(['keys', 'rotate', id, '--public-key', second.raw, '--json'], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("use '--public-key=-XYZ'");
    const rotated = await runCli(['keys', 'rotate', id, `--public-key=${second.raw}`, '--json'], env);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ key: { public_key: second.raw, rotated_from: id } });
    const strong = await runCli(
      ['keys', 'create', '--name', 'cli-512', '--signature-algorithm', 'hmac-sha512', '--json'],
      env,
    );
    expect(JSON.parse(strong.stdout).key.signature_algorithm).toBe('hmac-sha512');
    const wrong = await runCli(['keys', 'create', '--name', 'x', '--signature-algorithm', 'rsa'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--signature-algorithm must be one of');
  });
});
