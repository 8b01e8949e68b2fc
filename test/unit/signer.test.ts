import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bodyDigestOf,
  checkTimestamp,
  parseArmorAuthorization,
  parseContentDigest,
  verifyArmorSignature,
  verifyBodyDigest,
} from '#core/armor';
import { contentDigestHeader, keyIdOfToken, signRequest } from '#core/signer';
import { deriveSecret, formatToken, newKeyId, newSalt } from '#core/token';
import { REFERENCE_CLIENTS, type ReferenceClient, runReferenceClient } from '../helpers/reference-clients';

const keyId = newKeyId();
const TOKEN = formatToken('lk', keyId, deriveSecret('master-secret-for-tests', keyId, newSalt()));
/** A nonce of the strict profile, the only kind the signer takes. */
const NONCE = '0123456789abcdef0123456789abcdef';
const tmp = mkdtempSync(join(tmpdir(), 'latchkey-signer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Headers {
  authorization: string;
  contentDigest?: string;
}

/** Server-side verification as the authorizer + integration would do it. */
function verify(headers: Headers, method: string, path: string, body: string | Uint8Array | null): boolean {
  const creds = parseArmorAuthorization(headers.authorization);
  if (creds === null) return false;
  const claimed = parseContentDigest(headers.contentDigest);
  if (headers.contentDigest !== undefined && claimed === null) return false;
  const digestCheck = verifyBodyDigest(body, headers.contentDigest);
  if (digestCheck === 'missing' || digestCheck === 'mismatch') return false;
  return (
    creds.keyId === keyId && verifyArmorSignature(TOKEN, creds, { method, path, bodyDigest: claimed ?? '' })
  );
}

describe('signRequest', () => {
  it('signs a GET without a body: no Content-Digest', () => {
    const signed = signRequest({ token: TOKEN, method: 'GET', path: '/prod/v1/keys' });
    expect(signed.contentDigest).toBeUndefined();
    expect(signed.authorization).toMatch(
      new RegExp(`^ARMOR-PSK ${keyId}:[A-Za-z0-9+/]{86}==:[0-9a-f]{32}:\\d+$`),
    );
    expect(checkTimestamp(signed.timestamp, Date.now())).toBe('ok');
    expect(verify(signed, 'GET', '/prod/v1/keys', null)).toBe(true);
  });

  it('signs a POST with a body and returns the Content-Digest value', () => {
    const body = '{"name":"ci"}';
    const signed = signRequest({ token: TOKEN, method: 'post', path: '/prod/v1/keys', body });
    expect(signed.contentDigest).toBe(`sha-512=:${bodyDigestOf(body)}:`);
    expect(signed.contentDigest).toBe(contentDigestHeader(body));
    expect(verify(signed, 'POST', '/prod/v1/keys', body)).toBe(true);
    expect(verify(signed, 'POST', '/prod/v1/keys', '{"name":"cd"}')).toBe(false);
    expect(verify({ authorization: signed.authorization }, 'POST', '/prod/v1/keys', body)).toBe(false);
  });

  it('returns headers by their wire names, exactly the ones to send', () => {
    const get = signRequest({ token: TOKEN, method: 'GET', path: '/x' });
    expect(get.headers).toEqual({ authorization: get.authorization });
    const post = signRequest({ token: TOKEN, method: 'POST', path: '/x', body: 'b' });
    expect(post.headers).toEqual({ authorization: post.authorization, 'content-digest': post.contentDigest });
    expect(post.contentDigest).toBe(contentDigestHeader('b'));
    expect(Object.keys(post.headers)).toEqual(['authorization', 'content-digest']);
  });

  it('treats an empty body as no body', () => {
    const a = signRequest({ token: TOKEN, method: 'PUT', path: '/p', body: '', nonce: NONCE, timestamp: 5 });
    const b = signRequest({
      token: TOKEN,
      method: 'PUT',
      path: '/p',
      body: new Uint8Array(),
      nonce: NONCE,
      timestamp: 5,
    });
    const c = signRequest({ token: TOKEN, method: 'PUT', path: '/p', nonce: NONCE, timestamp: 5 });
    expect(a).toEqual(c);
    expect(b).toEqual(c);
    expect(contentDigestHeader('')).toBeUndefined();
    expect(contentDigestHeader(undefined)).toBeUndefined();
  });

  it('uses the given nonce and timestamp, and fresh random nonces otherwise', () => {
    const fixed = signRequest({
      token: TOKEN,
      method: 'GET',
      path: '/x',
      nonce: NONCE,
      timestamp: 1_700_000_000,
    });
    expect(fixed.authorization.endsWith(`:${NONCE}:1700000000`)).toBe(true);
    expect(fixed).toEqual(
      signRequest({ token: TOKEN, method: 'GET', path: '/x', nonce: NONCE, timestamp: 1_700_000_000 }),
    );
    const nonces = new Set(
      Array.from({ length: 50 }, () => signRequest({ token: TOKEN, method: 'GET', path: '/x' }).nonce),
    );
    expect(nonces.size).toBe(50);
  });

  it('does not sign the query string', () => {
    const a = signRequest({ token: TOKEN, method: 'GET', path: '/x?limit=5', nonce: NONCE, timestamp: 1 });
    const b = signRequest({ token: TOKEN, method: 'GET', path: '/x', nonce: NONCE, timestamp: 1 });
    expect(a.authorization).toBe(b.authorization);
  });

  it('works with any token prefix', () => {
    const other = formatToken('acme2', keyId, deriveSecret('m', keyId, newSalt()));
    expect(keyIdOfToken(other)).toBe(keyId);
    const signed = signRequest({ token: other, method: 'GET', path: '/x' });
    const creds = parseArmorAuthorization(signed.authorization);
    expect(creds && verifyArmorSignature(other, creds, { method: 'GET', path: '/x', bodyDigest: '' })).toBe(
      true,
    );
  });

  it.each([
    ['a token without underscores', { token: 'nounderscores' }],
    ['a token with a short keyId', { token: 'lk_short_secret' }],
    ['a token with extra parts', { token: `${TOKEN}_x` }],
    ['a nonce with a colon', { nonce: 'a:b' }],
    ['an empty nonce', { nonce: '' }],
    ['a 129-char nonce', { nonce: 'a'.repeat(129) }],
    ['a nonce with a space', { nonce: 'a b' }],
    ['a nonce of the compatible profile only', { nonce: 'once-only' }],
    ['a 31-char hex nonce', { nonce: NONCE.slice(1) }],
    ['an upper-case hex nonce', { nonce: NONCE.toUpperCase() }],
    ['a negative timestamp', { timestamp: -1 }],
    ['a fractional timestamp', { timestamp: 1.5 }],
    ['a 13-digit timestamp', { timestamp: 1_700_000_000_000 }],
    ['a NaN timestamp', { timestamp: Number.NaN }],
    ['a method with a space', { method: 'GE T' }],
    ['an empty method', { method: '' }],
  ])('refuses %s without echoing the token', (_name, override) => {
    const input = { token: TOKEN, method: 'GET', path: '/x', ...override };
    expect(() => signRequest(input)).toThrow(TypeError);
    try {
      signRequest(input);
    } catch (e) {
      expect(String(e)).not.toContain(TOKEN);
    }
  });

  it.each([
    ['no token', ''],
    ['bad keyId', 'lk_abc_def'],
    ['empty prefix', `_${keyId}_rest`],
    ['empty rest', `lk_${keyId}_`],
  ])('keyIdOfToken: %s → null', (_name, token) => {
    expect(keyIdOfToken(token)).toBeNull();
  });
});

describe('reference clients (bash + openssl, Python stdlib) written from the protocol reference', () => {
  const run = (client: ReferenceClient, args: string[], env: Record<string, string> = {}): Headers =>
    runReferenceClient(client, TOKEN, args, env);

  const bodyText = '{"name":"résumé ✓","description":"line1\\nline2"}\n';
  const bodyFile = join(tmp, 'body.json');
  const binFile = join(tmp, 'body.bin');
  const emptyFile = join(tmp, 'empty');
  const binary = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
  writeFileSync(bodyFile, bodyText, 'utf8');
  writeFileSync(binFile, binary);
  writeFileSync(emptyFile, '');

  for (const client of REFERENCE_CLIENTS) {
    describe(client, () => {
      it('GET without a body verifies and sends no Content-Digest', () => {
        const headers = run(client, ['GET', '/prod/v1/keys']);
        expect(headers.contentDigest).toBeUndefined();
        const creds = parseArmorAuthorization(headers.authorization);
        expect(creds).not.toBeNull();
        expect(creds?.nonce).toMatch(/^[0-9a-f]{32}$/);
        expect(checkTimestamp(creds?.timestamp ?? 0, Date.now())).toBe('ok');
        expect(verify(headers, 'GET', '/prod/v1/keys', null)).toBe(true);
        expect(verify(headers, 'GET', '/prod/v1/keys/x', null)).toBe(false);
      });

      it('lower-case method is upper-cased, and the query string is not signed', () => {
        const headers = run(client, ['delete', '/prod/v1/keys/abc?x=1']);
        expect(verify(headers, 'DELETE', '/prod/v1/keys/abc', null)).toBe(true);
      });

      it('POST with a UTF-8 body verifies, including the body digest', () => {
        const headers = run(client, ['POST', '/prod/v1/keys', bodyFile]);
        expect(headers.contentDigest).toBe(`sha-512=:${bodyDigestOf(bodyText)}:`);
        expect(verify(headers, 'POST', '/prod/v1/keys', bodyText)).toBe(true);
        expect(verify(headers, 'POST', '/prod/v1/keys', `${bodyText} `)).toBe(false);
      });

      it('PUT with a binary body verifies', () => {
        const headers = run(client, ['PUT', '/prod/v1/echo/bin', binFile]);
        expect(verify(headers, 'PUT', '/prod/v1/echo/bin', binary)).toBe(true);
      });

      it('an empty body file is signed as no body', () => {
        const headers = run(client, ['POST', '/prod/v1/echo/e', emptyFile]);
        expect(headers.contentDigest).toBeUndefined();
        expect(verify(headers, 'POST', '/prod/v1/echo/e', '')).toBe(true);
      });

      it('produces exactly what signRequest produces for the same nonce and timestamp', () => {
        const env = { LATCHKEY_NONCE: NONCE, LATCHKEY_TIMESTAMP: '1700000000' };
        expect(run(client, ['GET', '/prod/v1/whoami'], env)).toEqual({
          authorization: signRequest({
            token: TOKEN,
            method: 'GET',
            path: '/prod/v1/whoami',
            nonce: NONCE,
            timestamp: 1_700_000_000,
          }).authorization,
        });
        const signed = signRequest({
          token: TOKEN,
          method: 'POST',
          path: '/prod/v1/keys',
          body: bodyText,
          nonce: NONCE,
          timestamp: 1_700_000_000,
        });
        expect(run(client, ['POST', '/prod/v1/keys', bodyFile], env)).toEqual({
          authorization: signed.authorization,
          contentDigest: signed.contentDigest,
        });
      });

      it('refuses to run without a usable token', () => {
        expect(() => run(client, ['GET', '/x'], { LATCHKEY_TOKEN: 'not-a-token' })).toThrow();
        expect(() => run(client, ['GET'])).toThrow();
      });
    });
  }
});
