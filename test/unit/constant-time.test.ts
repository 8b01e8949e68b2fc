/**
 * Every comparison of a secret, a stored hash or a signature goes through `timingSafeEqual`: the admin
 * key, the bearer token's stored hash and its derived secret, the hash the master secret re-derives for
 * a signed request, the ARMOR-PSK signature, and the Content-Digest check of a signed body. Replacing any
 * of them with `===` (or `constantTimeEqual` with `a === b`) leaves every other test green, so this one
 * watches `node:crypto`'s `timingSafeEqual` and checks that each comparison reached it with the two
 * values it compares (`constantTimeEqual` hands it their SHA-256 digests).
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseArmorAuthorization, verifyArmorSignature, verifyBodyDigest } from '#core/armor';
import { sha512Base64 } from '#core/crypto';
import { signRequest } from '#core/signer';
import { deriveSecret, formatToken, parseToken } from '#core/token';
import { classifyRefusal, type VerifierDeps, verifyRequest } from '#core/verify';
import { keyRecord } from '../helpers/records';

const spy = vi.hoisted(() => ({ calls: [] as [string, string][] }));

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      const hex = (v: NodeJS.ArrayBufferView) =>
        Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
      spy.calls.push([hex(a), hex(b)]);
      return actual.timingSafeEqual(a, b);
    },
  };
});

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const MASTER = 'master';
const SALT = 'AbCdEfGhIjKlMnOpQrStUv';
const TOKEN = formatToken('lk', KEY_ID, deriveSecret(MASTER, KEY_ID, SALT));
const ADMIN_KEY = 'Zq7mW2xR9tLk4pV8nB3cJ6hF1dS5gA0e';
const NOW = Date.parse('2025-06-01T12:00:30.000Z');

const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const record = keyRecord({ id: KEY_ID, key_hash: sha256Hex(TOKEN), salt: SALT });

/** Asserts `timingSafeEqual` compared these two values (either order), as `constantTimeEqual` hands them. */
function expectComparedInConstantTime(a: string, b: string): void {
  const [da, db] = [sha256Hex(a), sha256Hex(b)];
  const found = spy.calls.some(([x, y]) => (x === da && y === db) || (x === db && y === da));
  expect(found, `timingSafeEqual never compared ${a.slice(0, 12)}… with ${b.slice(0, 12)}…`).toBe(true);
}

const unexpected = () => Promise.reject(new Error('unexpected call'));
const deps = (over: Partial<VerifierDeps> = {}): VerifierDeps => ({
  tokenPrefixes: ['lk'],
  now: () => NOW,
  adminKey: async () => ADMIN_KEY,
  signingSecret: async () => MASTER,
  usage: {
    recordUse: async () => ({ updated: true, record }),
    readKey: async () => ({ record, windows: {} }),
    recordSignedUse: async () => ({ outcome: 'recorded' }),
    recordReplay: unexpected,
  },
  ...over,
});
const bearer = (value: string) => ({
  authorization: `Bearer ${value}`,
  method: 'GET',
  path: '/v1/whoami',
  contentDigest: undefined,
});

beforeEach(() => {
  spy.calls.length = 0;
});

describe('comparisons that must take constant time', () => {
  it('the admin key', async () => {
    await expect(verifyRequest(deps(), bearer(ADMIN_KEY))).resolves.toMatchObject({ ok: true });
    expectComparedInConstantTime(ADMIN_KEY, ADMIN_KEY);
    const wrong = ADMIN_KEY.replace('Z', 'Y');
    await expect(verifyRequest(deps(), bearer(wrong))).resolves.toMatchObject({ reason: 'wrong_admin_key' });
    expectComparedInConstantTime(wrong, ADMIN_KEY);
  });

  it("a bearer token's stored hash and the secret the master secret derives", async () => {
    await expect(verifyRequest(deps(), bearer(TOKEN))).resolves.toMatchObject({ ok: true });
    expectComparedInConstantTime(record.key_hash as string, sha256Hex(TOKEN));
    const secret = parseToken(TOKEN, 'lk')?.secret as string;
    expectComparedInConstantTime(secret, deriveSecret(MASTER, KEY_ID, SALT));
  });

  it('the stored hash when a refused use-write is explained', () => {
    expect(classifyRefusal(record, sha256Hex('another token'), NOW)).toBe('wrong_secret');
    expectComparedInConstantTime(record.key_hash as string, sha256Hex('another token'));
  });

  it("a signed request: the re-derived token's hash and the signature", async () => {
    const path = '/v1/echo/orders';
    const signed = signRequest({ token: TOKEN, method: 'GET', path, timestamp: Math.floor(NOW / 1000) });
    const request = { authorization: signed.authorization, method: 'GET', path, contentDigest: undefined };
    await expect(verifyRequest(deps(), request)).resolves.toMatchObject({ ok: true, scheme: 'armor' });
    expectComparedInConstantTime(sha256Hex(TOKEN), record.key_hash as string);
    const presented = parseArmorAuthorization(signed.authorization)?.signature as string;
    expectComparedInConstantTime(presented, presented);

    spy.calls.length = 0;
    const credentials = parseArmorAuthorization(signed.authorization);
    if (credentials === null) throw new Error('expected the header to parse');
    expect(
      verifyArmorSignature(TOKEN, credentials, { method: 'GET', path: `${path}x`, bodyDigest: '' }),
    ).toBe(false);
    expect(spy.calls).toHaveLength(1);
  });

  it("a signed body's Content-Digest", () => {
    const body = '{"qty":1}';
    expect(verifyBodyDigest(body, `sha-512=:${sha512Base64(body)}:`)).toBe('ok');
    expectComparedInConstantTime(sha512Base64(body), sha512Base64(body));
    const other = sha512Base64('{"qty":2}');
    expect(verifyBodyDigest(body, `sha-512=:${other}:`)).toBe('mismatch');
    expectComparedInConstantTime(other, sha512Base64(body));
    expect(verifyBodyDigest('', `sha-512=:${other}:`)).toBe('mismatch');
    expectComparedInConstantTime(other, sha512Base64(''));
  });
});
