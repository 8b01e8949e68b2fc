/**
 * Ed25519 public keys as the management API reads them (`#core/public-key`), and the key item codec's
 * handling of public-key keys: stored without hash or salt, and an item that mixes a hash with a
 * public key, or names an unknown algorithm, refused as a dependency fault rather than read as a key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '#core/errors';
import { ed25519PublicKeyObject, parseEd25519PublicKey, publicKeyFingerprint } from '#core/public-key';
import { hashMatches } from '#core/token';
import { itemToRecord, recordToItem, s } from '#lambda/dynamo/codec';
import { keyRecord } from '../helpers/records';

const { publicKey } = generateKeyPairSync('ed25519');
const RAW = publicKey.export({ format: 'jwk' }).x as string;

describe('parseEd25519PublicKey', () => {
  it.each([
    ['base64url', RAW],
    ['base64url with surrounding whitespace', `  ${RAW}\n`],
    ['base64 padded', Buffer.from(RAW, 'base64url').toString('base64')],
    ['base64 unpadded', Buffer.from(RAW, 'base64url').toString('base64').replace(/=+$/, '')],
    ['PEM SPKI', publicKey.export({ format: 'pem', type: 'spki' }).toString()],
  ])('reads %s into the raw base64url form', (_, value) => {
    expect(parseEd25519PublicKey(value)).toEqual({ ok: true, publicKey: RAW });
  });

  it('gives back a key that verifies what its private half signed', () => {
    const pair = generateKeyPairSync('ed25519');
    const raw = pair.publicKey.export({ format: 'jwk' }).x as string;
    expect(ed25519PublicKeyObject(raw).export({ format: 'jwk' }).x).toBe(raw);
  });

  it.each([
    ['', 'not_base64'],
    ['A'.repeat(2000), 'too_long'],
    [`${RAW}!`, 'not_base64'],
    [`${RAW.slice(0, 42)}B`, 'not_base64'],
    [Buffer.alloc(32).toString('hex'), 'wrong_length'],
  ])('refuses %j as %s', (value, problem) => {
    expect(parseEd25519PublicKey(value)).toMatchObject({ ok: false, problem });
  });

  it('fingerprints the raw bytes with SHA-256', () => {
    expect(publicKeyFingerprint(RAW)).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(publicKeyFingerprint(RAW)).not.toContain(RAW);
  });
});

describe('key items of public-key keys', () => {
  const record = keyRecord({ key_hash: null, salt: '', sig_alg: 'ed25519', public_key: RAW });

  it('are stored with sig_alg and public_key, and no key_hash or salt', () => {
    const item = recordToItem(record);
    expect(item.sig_alg).toEqual(s('ed25519'));
    expect(item.public_key).toEqual(s(RAW));
    expect(item.key_hash).toBeUndefined();
    expect(item.salt).toBeUndefined();
    expect(itemToRecord(item)).toEqual(record);
  });

  it('a token key item keeps no sig_alg for hmac-sha256, and reads it back', () => {
    const item = recordToItem(keyRecord());
    expect(item.sig_alg).toBeUndefined();
    expect(itemToRecord(item).sig_alg).toBe('hmac-sha256');
    expect(itemToRecord(recordToItem(keyRecord({ sig_alg: 'hmac-sha512' }))).sig_alg).toBe('hmac-sha512');
  });

  it.each([
    ['an ed25519 item with a key_hash', { ...recordToItem(record), key_hash: s('f'.repeat(64)) }],
    ['an ed25519 item without a public_key', { ...recordToItem(record), public_key: undefined }],
    ['a token item with a public_key', { ...recordToItem(keyRecord()), public_key: s(RAW) }],
    ['a token item without a key_hash', { ...recordToItem(keyRecord()), key_hash: undefined }],
    ['an unknown sig_alg', { ...recordToItem(keyRecord()), sig_alg: s('none') }],
  ])('refuses %s (fail closed)', (_, item) => {
    const clean = Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
    expect(() => itemToRecord(clean as Parameters<typeof itemToRecord>[0])).toThrow(DependencyError);
  });

  it('no token hash matches a key without one', () => {
    expect(hashMatches(null, 'f'.repeat(64))).toBe(false);
    expect(hashMatches(null, '')).toBe(false);
    expect(hashMatches('f'.repeat(64), 'f'.repeat(64))).toBe(true);
  });
});
