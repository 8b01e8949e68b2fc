import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalString, computeSignature } from '#core/armor';
import { BASE62_ALPHABET } from '#core/base62';
import { parseAuthorization } from '#core/credentials';
import type { KeyRecord } from '#core/model';
import { signRequest } from '#core/signer';
import {
  CHECKSUM_LENGTH,
  checksumOf,
  formatToken,
  KEY_ID_LENGTH,
  parseToken,
  SECRET_LENGTH,
  tokenFor,
} from '#core/token';
import { type VerifierDeps, type VerifyRequest, verifyRequest } from '#core/verify';
import { authorizerRequestOf } from '#lambda/runtime/events';
import {
  base62,
  methodArb,
  nonceArb,
  pathArb,
  prefixArb,
  RUNS,
  strictNonceArb,
} from '../helpers/arbitraries';
import { authorizerEvent, httpAuthorizerEvent } from '../helpers/authorizer-event';
import { keyRecord } from '../helpers/records';
import { API_TYPES } from '../helpers/refusals';

/**
 * Property-based reliability of everything that reads attacker-controlled input before any I/O:
 * the token parser, the Authorization header parser, the canonical string, and the verifier that
 * ties them together (with in-memory dependencies), and the authorizer's reading of each API type's event.
 * Each property runs at least 1,000 cases:
 *  - never throws, whatever the input;
 *  - what is accepted round-trips exactly;
 *  - any single-field mutation of a valid credential is refused, and refused before any write.
 */
const MASTER = 'reliability-master-secret-0123456789abcdefghijklmnop';

const tokenPartsArb = fc.record({
  prefix: prefixArb,
  keyId: base62(KEY_ID_LENGTH),
  secret: base62(SECRET_LENGTH),
});

/** Strings that walk every branch: separators, whitespace, base64 symbols, controls, non-ASCII. */
const tricky = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(':', '_', ' ', '\t', '\n', '\r', '=', '+', '/', '-', '\u0000', 'é', '😀', '\u2028'),
      fc.constantFrom(...BASE62_ALPHABET),
    ),
    maxLength: 300,
  }),
);

/** Replaces position `i` of `s` with `c`. */
const setAt = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);

/** A token with one character changed somewhere after the prefix's underscore. */
const mutatedTokenArb = tokenPartsArb.chain((parts) => {
  const token = formatToken(parts.prefix, parts.keyId, parts.secret);
  const start = parts.prefix.length + 1;
  return fc
    .tuple(fc.integer({ min: start, max: token.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
    .filter(([i, c]) => token[i] !== c)
    .map(([i, c]) => ({ parts, token, mutated: setAt(token, i, c) }));
});

describe('token parser', () => {
  it('never throws, and whatever it accepts re-formats to exactly the input', () => {
    const nearTokens = fc.oneof(
      tricky,
      tokenPartsArb.map((p) => formatToken(p.prefix, p.keyId, p.secret)),
      mutatedTokenArb.map((m) => m.mutated),
      fc.tuple(prefixArb, tricky, tricky).map(([p, a, b]) => `${p}_${a}_${b}`),
    );
    fc.assert(
      fc.property(nearTokens, fc.oneof(prefixArb, fc.constant('lk')), (input, prefix) => {
        const parts = parseToken(input, prefix);
        if (parts === null) return;
        expect(formatToken(parts.prefix, parts.keyId, parts.secret)).toBe(input);
        expect(parts.checksum).toBe(checksumOf(input.slice(0, -CHECKSUM_LENGTH)));
      }),
      RUNS,
    );
  });

  it('round-trips every well-formed token', () => {
    fc.assert(
      fc.property(tokenPartsArb, ({ prefix, keyId, secret }) => {
        const token = formatToken(prefix, keyId, secret);
        expect(parseToken(token, prefix)).toEqual({
          prefix,
          keyId,
          secret,
          checksum: token.slice(-CHECKSUM_LENGTH),
        });
        expect(token).toMatch(new RegExp(`^${prefix}_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}$`));
      }),
      RUNS,
    );
  });

  it('refuses any single-field mutation: prefix, key id, secret or checksum replaced by another valid-looking value', () => {
    const field = fc.constantFrom('prefix', 'keyId', 'secret', 'checksum');
    fc.assert(
      fc.property(
        tokenPartsArb,
        field,
        tokenPartsArb,
        base62(CHECKSUM_LENGTH),
        (p, which, other, checksum) => {
          const token = formatToken(p.prefix, p.keyId, p.secret);
          let mutated: string;
          switch (which) {
            case 'prefix':
              fc.pre(other.prefix !== p.prefix);
              // Re-checksummed with the new prefix, then read with the deployment's own prefix.
              mutated = formatToken(other.prefix, p.keyId, p.secret);
              break;
            case 'keyId':
              fc.pre(other.keyId !== p.keyId);
              mutated = `${p.prefix}_${other.keyId}_${p.secret}${token.slice(-CHECKSUM_LENGTH)}`;
              break;
            case 'secret':
              fc.pre(other.secret !== p.secret);
              mutated = `${p.prefix}_${p.keyId}_${other.secret}${token.slice(-CHECKSUM_LENGTH)}`;
              break;
            default:
              fc.pre(checksum !== token.slice(-CHECKSUM_LENGTH));
              mutated = token.slice(0, -CHECKSUM_LENGTH) + checksum;
          }
          expect(parseToken(mutated, p.prefix)).toBeNull();
        },
      ),
      RUNS,
    );
  });

  it('refuses any single-character change, whatever the character', () => {
    fc.assert(
      fc.property(mutatedTokenArb, ({ parts, mutated }) => {
        expect(parseToken(mutated, parts.prefix)).toBeNull();
      }),
      RUNS,
    );
  });
});

describe('Authorization header parser', () => {
  const REASONS = ['missing', 'unsupported_scheme', 'malformed', 'bad_checksum'];
  const schemeCase = (scheme: string) =>
    fc
      .array(fc.boolean(), { minLength: scheme.length, maxLength: scheme.length })
      .map((upper) => [...scheme].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
  const space = fc.constantFrom(' ', '  ', '\t', ' \t ');
  const pad = fc.constantFrom('', ' ', '\t', '  ');
  const signatureArb = fc
    .uint8Array({ minLength: 64, maxLength: 64 })
    .map((b) => Buffer.from(b).toString('base64'));
  const timestampArb = fc.integer({ min: 0, max: 999_999_999_999 }).map(String);

  it('never throws, and every refusal has a known reason', () => {
    const headers = fc.oneof(
      tricky,
      tricky.map((s) => `Bearer ${s}`),
      tricky.map((s) => `ARMOR-PSK ${s}`),
      fc.tuple(base62(16), tricky, tricky, tricky).map((f) => `ARMOR-PSK ${f.join(':')}`),
      mutatedTokenArb.map((m) => `Bearer ${m.mutated}`),
      fc.constantFrom(undefined, null, '', ' '),
    );
    fc.assert(
      fc.property(headers, (header) => {
        const result = parseAuthorization(header as string | undefined, 'lk');
        if (!result.ok) expect(REASONS).toContain(result.reason);
      }),
      RUNS,
    );
  });

  it('round-trips bearer tokens, admin keys and ARMOR-PSK credentials, whatever the scheme case and spacing', () => {
    const bearer = fc.tuple(schemeCase('Bearer'), space, pad, pad, tokenPartsArb);
    fc.assert(
      fc.property(
        bearer,
        base62(48),
        schemeCase('ARMOR-PSK'),
        fc.tuple(base62(16), signatureArb, nonceArb, timestampArb),
        ([scheme, sp, lead, trail, p], adminKey, armorScheme, [keyId, signature, nonce, ts]) => {
          const token = formatToken('lk', p.keyId, p.secret);
          const parsed = parseAuthorization(`${lead}${scheme}${sp}${token}${trail}`, 'lk');
          expect(parsed).toEqual({
            ok: true,
            credential: { scheme: 'bearer', kind: 'token', token, parts: parseToken(token, 'lk') },
          });
          expect(parseAuthorization(`${scheme}${sp}${adminKey}`, 'lk')).toEqual({
            ok: true,
            credential: { scheme: 'bearer', kind: 'admin', value: adminKey },
          });
          const armor = parseAuthorization(
            `${armorScheme}${sp}${keyId}:${signature}:${nonce}:${ts}${trail}`,
            'lk',
          );
          expect(armor).toEqual({
            ok: true,
            credential: {
              scheme: 'armor',
              kind: 'signed',
              armor: { keyId, signature, nonce, timestamp: Number(ts), timestampRaw: ts },
            },
          });
        },
      ),
      RUNS,
    );
  });

  it('refuses a bearer token with any one character changed (before any I/O: bad_checksum or malformed)', () => {
    fc.assert(
      fc.property(mutatedTokenArb, ({ parts, mutated }) => {
        const result = parseAuthorization(`Bearer ${mutated}`, parts.prefix);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['bad_checksum', 'malformed']).toContain(result.reason);
      }),
      RUNS,
    );
  });

  it('refuses an ARMOR-PSK header with any one field made invalid', () => {
    const invalid = {
      keyId: fc.oneof(
        base62(15),
        base62(17),
        base62(16).map((k) => setAt(k, 3, '-')),
        fc.constant(''),
      ),
      signature: fc.oneof(
        signatureArb.map((s) => s.replace(/==$/, '')), // unpadded
        signatureArb.map((s) => s.replace(/\+/g, '-').replace(/\//g, '_')).filter((s) => /[-_]/.test(s)), // base64url
        fc.uint8Array({ minLength: 63, maxLength: 63 }).map((b) => Buffer.from(b).toString('base64')), // 63 bytes
        signatureArb.map((s) => `${s.slice(0, 85)}B==`), // non-canonical last symbol
      ),
      nonce: fc.oneof(
        fc.constant(''),
        nonceArb.map((n) => `${n.slice(0, 60)} x`),
        nonceArb.map((n) => `${n}`.padEnd(129, 'n')),
        fc.constant('caf\u00e9'),
      ),
      timestamp: fc.oneof(
        timestampArb.map((t) => `0${t}`),
        fc.constant(''),
        fc.constant('1700000000.5'),
        fc.constant('-1700000000'),
        fc.constant('1234567890123'),
      ),
    };
    const field = fc.constantFrom('keyId', 'signature', 'nonce', 'timestamp');
    fc.assert(
      fc.property(
        fc.tuple(base62(16), signatureArb, nonceArb, timestampArb),
        field,
        fc.record(invalid),
        ([keyId, signature, nonce, ts], which, bad) => {
          const f = { keyId, signature, nonce, timestamp: ts, [which]: bad[which as keyof typeof bad] };
          const header = `ARMOR-PSK ${f.keyId}:${f.signature}:${f.nonce}:${f.timestamp}`;
          const result = parseAuthorization(header, 'lk');
          expect(result.ok).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('canonical string', () => {
  const canonicalArb = fc.record({
    keyId: base62(16),
    method: methodArb,
    path: pathArb,
    nonce: strictNonceArb,
    timestamp: fc.integer({ min: 0, max: 999_999_999_999 }),
    bodyDigest: fc.oneof(
      fc.constant(''),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
    ),
  });

  it('never throws, whatever it is given, and is the plain concatenation with the method upper-cased', () => {
    fc.assert(
      fc.property(
        tricky,
        tricky,
        tricky,
        tricky,
        fc.oneof(tricky, fc.integer()),
        tricky,
        (k, m, p, n, t, d) => {
          const s = canonicalString({ keyId: k, method: m, path: p, nonce: n, timestamp: t, bodyDigest: d });
          expect(s).toBe(`${k}${m.replace(/[a-z]+/g, (x) => x.toUpperCase())}${p}${n}${String(t)}${d}`);
        },
      ),
      RUNS,
    );
  });

  it('round-trips through the signer: the header the signer builds verifies against the string the server rebuilds', () => {
    fc.assert(
      fc.property(tokenPartsArb, canonicalArb, (p, c) => {
        const token = formatToken('lk', c.keyId, p.secret);
        const headers = signRequest({
          token,
          method: c.method,
          path: c.path,
          nonce: c.nonce,
          timestamp: c.timestamp,
        });
        const parsed = parseAuthorization(headers.authorization, 'lk');
        if (!parsed.ok || parsed.credential.kind !== 'signed') throw new Error('signer output did not parse');
        const a = parsed.credential.armor;
        const rebuilt = canonicalString({
          keyId: a.keyId,
          method: c.method,
          path: c.path,
          nonce: a.nonce,
          timestamp: a.timestampRaw,
          bodyDigest: '',
        });
        expect(computeSignature(token, rebuilt)).toBe(a.signature);
      }),
      RUNS,
    );
  });

  it('changes when any single field changes (the method up to case)', () => {
    const field = fc.constantFrom('keyId', 'method', 'path', 'nonce', 'timestamp', 'bodyDigest');
    fc.assert(
      fc.property(canonicalArb, field, canonicalArb, (c, which, other) => {
        const key = which as keyof typeof c;
        fc.pre(String(other[key]).toUpperCase() !== String(c[key]).toUpperCase());
        expect(canonicalString({ ...c, [key]: other[key] })).not.toBe(canonicalString(c));
      }),
      RUNS,
    );
  });
});

describe('the verifier ties them together (in-memory store)', () => {
  const NOW = Date.parse('2026-01-15T12:00:30.000Z');
  const NOW_S = Math.floor(NOW / 1000);
  const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');

  function store(keys: Array<{ id: string; salt: string }>) {
    const writes: string[] = [];
    const records = new Map<string, KeyRecord>();
    for (const k of keys) {
      records.set(
        k.id,
        keyRecord({ id: k.id, salt: k.salt, key_hash: sha256(tokenFor('lk', MASTER, k.id, k.salt)) }),
      );
    }
    const deps: VerifierDeps = {
      tokenPrefixes: ['lk'],
      now: () => NOW,
      adminKey: async () => 'AdminKeyThatIsNeverUsedHere0123456789',
      signingSecret: async () => MASTER,
      usage: {
        recordUse: async (input) => {
          const r = records.get(input.keyId) ?? null;
          if (r && r.key_hash === input.tokenHash) {
            writes.push(`use:${input.keyId}`);
            return { updated: true, record: r };
          }
          return { updated: false, record: r };
        },
        readKey: async (id) => {
          const r = records.get(id);
          return r ? { record: r, windows: {} } : null;
        },
        recordSignedUse: async (input) => {
          writes.push(`signed:${input.keyId}:${input.nonce}`);
          return { outcome: 'recorded' };
        },
        recordReplay: async (input) => {
          writes.push(`replay:${input.keyId}:${input.nonce}`);
          return 'recorded';
        },
      },
    };
    return { deps, writes };
  }

  const keyArb = fc.record({ id: base62(16), salt: base62(22) });
  const signedArb = fc.record({
    key: keyArb,
    other: keyArb,
    method: methodArb,
    path: pathArb,
    nonce: strictNonceArb,
    skew: fc.integer({ min: -300, max: 300 }),
    body: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
  });

  it('accepts a signed request as built, and refuses it, writing nothing, when any single field is changed', () => {
    const field = fc.constantFrom(
      'keyId',
      'signature',
      'nonce',
      'timestamp',
      'method',
      'path',
      'contentDigest',
      'signingToken',
    );
    fc.assert(
      fc.asyncProperty(signedArb, field, signedArb, async (r, which, o) => {
        fc.pre(r.key.id !== r.other.id);
        const { deps, writes } = store([r.key, r.other]);
        const token = tokenFor('lk', MASTER, r.key.id, r.key.salt);
        const sign = (t: string, x: typeof r) =>
          signRequest({
            token: t,
            method: x.method,
            path: x.path,
            nonce: x.nonce,
            timestamp: NOW_S + x.skew,
            ...(x.body !== undefined ? { body: x.body } : {}),
          });
        const h = sign(token, r);
        const request: VerifyRequest = {
          authorization: h.authorization,
          method: r.method,
          path: r.path,
          contentDigest: h.contentDigest,
        };
        const ok = await verifyRequest(deps, request);
        expect(ok.ok).toBe(true);
        expect(writes).toHaveLength(1);
        writes.length = 0;

        const [, fields] = h.authorization.split(' ') as [string, string];
        const [keyId, signature, nonce, ts] = fields.split(':') as [string, string, string, string];
        const header = (f: Partial<Record<'keyId' | 'signature' | 'nonce' | 'ts', string>>) =>
          `ARMOR-PSK ${f.keyId ?? keyId}:${f.signature ?? signature}:${f.nonce ?? nonce}:${f.ts ?? ts}`;
        let mutated: VerifyRequest;
        switch (which) {
          case 'keyId':
            mutated = { ...request, authorization: header({ keyId: r.other.id }) };
            break;
          case 'signature':
            // Another well-formed signature: one base64 symbol changed (not the last, which is constrained).
            mutated = {
              ...request,
              authorization: header({ signature: setAt(signature, 10, signature[10] === 'A' ? 'B' : 'A') }),
            };
            break;
          case 'nonce':
            fc.pre(o.nonce !== r.nonce);
            mutated = { ...request, authorization: header({ nonce: o.nonce }) };
            break;
          case 'timestamp':
            fc.pre(o.skew !== r.skew);
            mutated = { ...request, authorization: header({ ts: String(NOW_S + o.skew) }) };
            break;
          case 'method':
            fc.pre(o.method !== r.method);
            mutated = { ...request, method: o.method };
            break;
          case 'path':
            fc.pre(o.path !== r.path);
            mutated = { ...request, path: o.path };
            break;
          case 'contentDigest':
            fc.pre(o.body !== r.body);
            mutated = { ...request, contentDigest: sign(token, { ...r, body: o.body }).contentDigest };
            break;
          default:
            fc.pre(r.other.salt !== r.key.salt);
            mutated = {
              ...request,
              authorization: sign(tokenFor('lk', MASTER, r.key.id, r.other.salt), r).authorization,
            };
        }
        const refused = await verifyRequest(deps, mutated);
        expect(refused).toMatchObject({ ok: false, kind: 'unauthorized' });
        expect(writes).toEqual([]);
      }),
      RUNS,
    );
  });

  it('refuses a bearer token with any one character changed without touching the store', () => {
    fc.assert(
      fc.asyncProperty(
        keyArb,
        fc.nat(),
        fc.constantFrom(...BASE62_ALPHABET, '_', '-', ' '),
        async (k, pos, c) => {
          const { deps, writes } = store([k]);
          let lookups = 0;
          const counted: VerifierDeps = {
            ...deps,
            usage: {
              ...deps.usage,
              recordUse: async (input) => {
                lookups++;
                return deps.usage.recordUse(input);
              },
            },
          };
          const token = tokenFor('lk', MASTER, k.id, k.salt);
          expect(
            (
              await verifyRequest(counted, {
                authorization: `Bearer ${token}`,
                method: 'GET',
                path: '/',
                contentDigest: undefined,
              })
            ).ok,
          ).toBe(true);
          const i = 3 + (pos % (token.length - 3));
          fc.pre(token[i] !== c);
          writes.length = 0;
          lookups = 0;
          const result = await verifyRequest(counted, {
            authorization: `Bearer ${setAt(token, i, c)}`,
            method: 'GET',
            path: '/',
            contentDigest: undefined,
          });
          expect(result.ok).toBe(false);
          expect(lookups).toBe(0);
          expect(writes).toEqual([]);
        },
      ),
      RUNS,
    );
  });
});

describe.each(API_TYPES)('the %s API authorizer event, read by the adapter', (apiType) => {
  const eventFor = (authorization: string | undefined, method: string, path: string) =>
    apiType === 'http'
      ? httpAuthorizerEvent(authorization, method, path)
      : authorizerEvent(authorization, method, path);
  /** The path a client signs: behind a REST API's execute-api URL it carries the stage. */
  const sentPath = (path: string) => (apiType === 'http' ? path : `/prod${path}`);

  it('never throws, and reads the Authorization value, the method and the path exactly as sent', () => {
    fc.assert(
      fc.property(
        fc.option(tricky, { nil: undefined }),
        methodArb,
        pathArb,
        (authorization, method, path) => {
          const request = authorizerRequestOf(eventFor(authorization, method, path));
          expect(request.headers.authorization).toBe(authorization);
          expect(request.method).toBe(method);
          expect(request.path).toBe(sentPath(path));
          expect(request.target.api).toBe(apiType);
        },
      ),
      RUNS,
    );
  });

  it('keeps every header name a plain header, __proto__ included, and never touches a prototype', () => {
    const nameArb = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'),
      fc.stringMatching(/^x-[a-z]{1,12}$/),
    );
    fc.assert(
      fc.property(fc.dictionary(nameArb, tricky, { maxKeys: 6 }), (extra) => {
        const event = eventFor('Bearer x', 'GET', '/v1/whoami');
        const headers: Record<string, string | undefined> = { ...event.headers };
        for (const [name, value] of Object.entries(extra))
          Object.defineProperty(headers, name, {
            value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
        const request = authorizerRequestOf({ ...event, headers } as typeof event);
        expect(Object.getPrototypeOf(request.headers)).toBeNull();
        for (const [name, value] of Object.entries(extra)) {
          // Names are lower-cased (`valueOf` is read as `valueof`), values kept as sent.
          expect(Object.hasOwn(request.headers, name.toLowerCase())).toBe(true);
          expect(request.headers[name.toLowerCase()]).toBe(value);
        }
        expect(request.headers.authorization).toBe('Bearer x');
      }),
      RUNS,
    );
  });
});
