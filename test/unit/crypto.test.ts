import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, hmacSha512Base64, sha256Hex, sha512Base64 } from '#core/crypto';

describe('sha256Hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('known answer for %j', (input, expected) => {
    expect(sha256Hex(input)).toBe(expected);
  });

  it('hashes UTF-8 and returns 64 lowercase hex characters', () => {
    expect(sha256Hex('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
    expect(sha256Hex('lk_anything')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('sha512Base64', () => {
  it('known answer for the empty input', () => {
    expect(sha512Base64('')).toBe(
      'z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    );
  });

  it('gives the same digest for a string and its UTF-8 bytes', () => {
    expect(sha512Base64('{"a":"é"}')).toBe(sha512Base64(Buffer.from('{"a":"é"}', 'utf8')));
  });

  it('is standard, padded base64 of 64 bytes', () => {
    const digest = sha512Base64('abc');
    expect(digest).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(Buffer.from(digest, 'base64')).toHaveLength(64);
  });
});

describe('hmacSha512Base64', () => {
  it('matches RFC 4231 test case 2', () => {
    const expectedHex =
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737';
    expect(hmacSha512Base64('Jefe', 'what do ya want for nothing?')).toBe(
      Buffer.from(expectedHex, 'hex').toString('base64'),
    );
  });

  it('depends on the key and on the message', () => {
    const base = hmacSha512Base64('key', 'message');
    expect(hmacSha512Base64('key2', 'message')).not.toBe(base);
    expect(hmacSha512Base64('key', 'message2')).not.toBe(base);
  });
});

describe('constantTimeEqual', () => {
  it.each([
    ['', '', true],
    ['secret', 'secret', true],
    ['secret', 'Secret', false],
    ['secret', 'secret ', false],
    ['secret', '', false],
    ['short', 'a much longer value than the other one', false],
    ['é', 'é', true],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(b, a)).toBe(expected);
  });
});
