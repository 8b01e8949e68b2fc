import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArmorCredentials,
  bodyDigestOf,
  parseArmorAuthorization,
  parseArmorCredentials,
  parseContentDigest,
  verifyArmorSignature,
  verifyBodyDigest,
} from '#core/armor';
import { BASE62_ALPHABET } from '#core/base62';
import { signRequest } from '#core/signer';
import { deriveSecret, formatToken } from '#core/token';
import {
  keyIdArb,
  methodArb,
  nonceArb,
  pathArb,
  RUNS,
  saltArb,
  strictNonceArb,
} from '../helpers/arbitraries';

const tokenArb = fc.record({ keyId: keyIdArb, salt: saltArb }).map(({ keyId, salt }) => ({
  keyId,
  token: formatToken('lk', keyId, deriveSecret('master-secret-for-tests', keyId, salt)),
}));
/** The usual methods and any other upper-case token. */
const anyMethodArb = fc.oneof(methodArb, fc.stringMatching(/^[A-Z]{1,12}$/));
/** Web paths and stage-prefixed echo paths with percent-encoded arbitrary text. */
const anyPathArb = fc.oneof(
  pathArb,
  fc.string({ maxLength: 200 }).map((s) => `/prod/v1/echo/${encodeURIComponent(s)}`),
);
const timestampArb = fc.integer({ min: 0, max: 999_999_999_999 });
const bodyArb = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.uint8Array({ maxLength: 300 }),
);

const requestArb = fc.record({
  key: tokenArb,
  method: anyMethodArb,
  path: anyPathArb,
  body: bodyArb,
  nonce: strictNonceArb,
  timestamp: timestampArb,
});

interface ServerView {
  token: string;
  creds: ArmorCredentials;
  method: string;
  path: string;
  bodyDigest: string;
}

type SignedInput = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function signedView(r: SignedInput): ServerView {
  const signed = signRequest({
    token: r.key.token,
    method: r.method,
    path: r.path,
    body: r.body,
    nonce: r.nonce,
    timestamp: r.timestamp,
  });
  const creds = parseArmorAuthorization(signed.authorization);
  if (creds === null) throw new Error(`signer produced an unparseable header: ${signed.authorization}`);
  return {
    token: r.key.token,
    creds,
    method: r.method,
    path: r.path,
    bodyDigest: parseContentDigest(signed.contentDigest) ?? '',
  };
}

function verifies(v: ServerView): boolean {
  return verifyArmorSignature(v.token, v.creds, { method: v.method, path: v.path, bodyDigest: v.bodyDigest });
}

/** Characters that make the parsers walk every branch: separators, quotes, base64, controls. */
const trickyUnit = fc.oneof(
  fc.constantFrom(
    ':',
    ',',
    ';',
    '=',
    '"',
    '\\',
    '(',
    ')',
    ' ',
    '\t',
    '\n',
    '+',
    '/',
    '-',
    '_',
    '*',
    '.',
    '?',
    '\u0000',
    'é',
    '😀',
  ),
  fc.constantFrom(...BASE62_ALPHABET),
);
const trickyString = fc.oneof(
  fc.string({ maxLength: 600 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: trickyUnit, maxLength: 300 }),
);

describe('properties', () => {
  it('parseArmorCredentials never throws, and anything it accepts is well-formed', () => {
    const nearValid = fc
      .tuple(
        fc.oneof(keyIdArb, trickyString),
        fc.oneof(
          fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
          trickyString,
        ),
        fc.oneof(nonceArb, trickyString),
        fc.oneof(timestampArb.map(String), trickyString),
      )
      .map((parts) => parts.join(':'));
    fc.assert(
      fc.property(fc.oneof(trickyString, nearValid), (value) => {
        const parsed = parseArmorCredentials(value);
        if (parsed === null) return true;
        expect(`${parsed.keyId}:${parsed.signature}:${parsed.nonce}:${parsed.timestampRaw}`).toBe(value);
        expect(Buffer.from(parsed.signature, 'base64').toString('base64')).toBe(parsed.signature);
        expect(Buffer.from(parsed.signature, 'base64')).toHaveLength(64);
        expect(String(parsed.timestamp)).toBe(parsed.timestampRaw);
        return true;
      }),
      RUNS,
    );
  });

  it('parseContentDigest never throws, and anything it returns is a 64-byte digest', () => {
    const dictionaryish = fc
      .array(
        fc.oneof(
          fc
            .uint8Array({ minLength: 64, maxLength: 64 })
            .map((b) => `sha-512=:${Buffer.from(b).toString('base64')}:`),
          fc.uint8Array({ maxLength: 70 }).map((b) => `sha-256=:${Buffer.from(b).toString('base64')}:`),
          trickyString,
        ),
        { maxLength: 4 },
      )
      .map((members) => members.join(', '));
    fc.assert(
      fc.property(fc.oneof(trickyString, dictionaryish), (header) => {
        const digest = parseContentDigest(header);
        if (digest !== null) {
          expect(Buffer.from(digest, 'base64')).toHaveLength(64);
          expect(Buffer.from(digest, 'base64').toString('base64')).toBe(digest);
        }
        return true;
      }),
      RUNS,
    );
  });

  it('sign → parse → verify round-trips for arbitrary requests', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const view = signedView(r);
        expect(view.creds.keyId).toBe(r.key.keyId);
        expect(view.creds.nonce).toBe(r.nonce);
        expect(view.creds.timestamp).toBe(r.timestamp);
        expect(view.bodyDigest).toBe(bodyDigestOf(r.body));
        expect(verifies(view)).toBe(true);
        const signed = signRequest({ ...r, token: r.key.token });
        expect(verifyBodyDigest(r.body, signed.contentDigest)).toBe(
          r.body.length === 0 ? 'not_expected' : 'ok',
        );
      }),
      RUNS,
    );
  });

  it('changing any one canonical field makes verification fail', () => {
    const field = fc.constantFrom('method', 'path', 'nonce', 'timestamp', 'body', 'keyId', 'token');
    fc.assert(
      fc.property(requestArb, field, requestArb, (r, which, other) => {
        const view = signedView(r);
        let mutated: ServerView;
        switch (which) {
          case 'method':
            fc.pre(other.method !== r.method.toUpperCase());
            mutated = { ...view, method: other.method };
            break;
          case 'path':
            fc.pre(other.path !== r.path.split(/[?#]/)[0]);
            mutated = { ...view, path: other.path };
            break;
          case 'nonce':
            fc.pre(other.nonce !== r.nonce);
            mutated = { ...view, creds: { ...view.creds, nonce: other.nonce } };
            break;
          case 'timestamp':
            fc.pre(other.timestamp !== r.timestamp);
            mutated = {
              ...view,
              creds: { ...view.creds, timestamp: other.timestamp, timestampRaw: String(other.timestamp) },
            };
            break;
          case 'body':
            fc.pre(bodyDigestOf(other.body) !== view.bodyDigest);
            mutated = { ...view, bodyDigest: bodyDigestOf(other.body) };
            break;
          case 'keyId':
            fc.pre(other.key.keyId !== r.key.keyId);
            mutated = { ...view, creds: { ...view.creds, keyId: other.key.keyId } };
            break;
          case 'token':
            fc.pre(other.key.token !== r.key.token);
            mutated = { ...view, token: other.key.token };
            break;
        }
        expect(verifies(mutated)).toBe(false);
      }),
      RUNS,
    );
  });
});
