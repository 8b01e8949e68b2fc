import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '#core/model';
import { ADMIN_PRINCIPAL } from '#core/principal';
import { signRequest } from '#core/signer';
import { deriveSecret, formatToken } from '#core/token';
import {
  RATE_WINDOW_MS,
  type RecordReplayInput,
  type RecordSignedUseResult,
  type RecordUseInput,
  type RecordUseResult,
  rateWindowOf,
} from '#core/usage-store';
import {
  classifyRefusal,
  keyPrincipal,
  retryAfterSeconds,
  type VerifierDeps,
  verifyRequest,
} from '#core/verify';
import { keyRecord } from '../helpers/records';

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const TOKEN = formatToken('lk', KEY_ID, deriveSecret('master', KEY_ID, 'AbCdEfGhIjKlMnOpQrStUv'));
const OTHER_TOKEN = formatToken(
  'lk',
  KEY_ID,
  deriveSecret('another master', KEY_ID, 'AbCdEfGhIjKlMnOpQrStUv'),
);
const ADMIN_KEY = 'Zq7mW2xR9tLk4pV8nB3cJ6hF1dS5gA0e';
/** 12:00:30.000 UTC: half-way through a rate window. */
const NOW = Date.parse('2025-06-01T12:00:30.000Z');

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** The key behind TOKEN. */
const record = (overrides: Partial<KeyRecord> = {}): KeyRecord =>
  keyRecord({ id: KEY_ID, key_hash: sha256(TOKEN), ...overrides });

/** In-test fakes: every dependency counts its calls; the ones a test does not expect to run throw. */
function fakes(options: {
  adminKey?: () => Promise<string>;
  recordUse?: (input: RecordUseInput) => Promise<RecordUseResult>;
  now?: () => number;
}) {
  const calls = { adminKey: 0, recordUse: 0, now: 0, signingSecret: 0, readKey: 0, recordSignedUse: 0 };
  const inputs: RecordUseInput[] = [];
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected call to ${name}`));
  const deps: VerifierDeps = {
    tokenPrefixes: ['lk'],
    now: () => {
      calls.now++;
      return (options.now ?? (() => NOW))();
    },
    adminKey: () => {
      calls.adminKey++;
      return (options.adminKey ?? unexpected('adminKey'))();
    },
    signingSecret: () => {
      calls.signingSecret++;
      return Promise.resolve('master');
    },
    usage: {
      recordUse: (input) => {
        calls.recordUse++;
        inputs.push(input);
        return (options.recordUse ?? unexpected('recordUse'))(input);
      },
      readKey: () => {
        calls.readKey++;
        return unexpected('readKey')();
      },
      recordSignedUse: () => {
        calls.recordSignedUse++;
        return unexpected('recordSignedUse')();
      },
      recordReplay: () => unexpected('recordReplay')(),
    },
  };
  return { deps, calls, inputs };
}

const request = (authorization: string | undefined) => ({
  authorization,
  method: 'GET',
  path: '/prod/v1/whoami',
  contentDigest: undefined,
});

const ioCalls = (calls: ReturnType<typeof fakes>['calls']) =>
  calls.adminKey + calls.recordUse + calls.signingSecret + calls.readKey + calls.recordSignedUse;

describe('verifyRequest: refusals decided without any I/O', () => {
  it.each([
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['a bare token', TOKEN, 'malformed'],
    ['a truncated token', `Bearer ${TOKEN.slice(0, -1)}`, 'malformed'],
    ['a short admin-like value', 'Bearer abc', 'malformed'],
    ['a wrong checksum', `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('a') ? 'b' : 'a'}`, 'bad_checksum'],
    [
      'a one-character typo in the secret',
      `Bearer ${TOKEN.slice(0, 40)}${TOKEN[40] === 'x' ? 'y' : 'x'}${TOKEN.slice(41)}`,
      'bad_checksum',
    ],
    ['Basic auth', 'Basic dXNlcjpwYXNz', 'unsupported_scheme'],
    ['a malformed ARMOR-PSK header', 'ARMOR-PSK not:valid', 'malformed'],
  ])('%s → unauthorized %s, with zero calls to any dependency', async (_, authorization, reason) => {
    const { deps, calls } = fakes({
      adminKey: async () => ADMIN_KEY,
      recordUse: async () => ({ updated: true, record: record() }),
    });
    await expect(verifyRequest(deps, request(authorization))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason,
      keyId: null,
    });
    expect(ioCalls(calls)).toBe(0);
    expect(calls.adminKey).toBe(0);
    expect(calls.recordUse).toBe(0);
  });
});

describe('verifyRequest: the admin key', () => {
  it('calls adminKey once, never recordUse, and allows the admin principal', async () => {
    const { deps, calls } = fakes({ adminKey: async () => ADMIN_KEY });
    const result = await verifyRequest(deps, request(`Bearer ${ADMIN_KEY}`));
    expect(result).toMatchObject({ ok: true, principal: ADMIN_PRINCIPAL, record: null });
    expect(calls.adminKey).toBe(1);
    expect(calls.recordUse).toBe(0);
    expect(ioCalls(calls)).toBe(1);
  });

  it.each([
    ['a different key', 'Xq7mW2xR9tLk4pV8nB3cJ6hF1dS5gA0e'],
    ['a case variant', ADMIN_KEY.toLowerCase()],
    ['a longer key with the same start', `${ADMIN_KEY}0`],
  ])('refuses %s with wrong_admin_key', async (_, presented) => {
    const { deps, calls } = fakes({ adminKey: async () => ADMIN_KEY });
    await expect(verifyRequest(deps, request(`Bearer ${presented}`))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason: 'wrong_admin_key',
      keyId: null,
    });
    expect(calls.adminKey).toBe(1);
    expect(calls.recordUse).toBe(0);
  });

  it('rejects (fails closed) when the admin key cannot be read', async () => {
    const failure = new Error('Secrets Manager unavailable');
    const { deps } = fakes({ adminKey: () => Promise.reject(failure) });
    await expect(verifyRequest(deps, request(`Bearer ${ADMIN_KEY}`))).rejects.toBe(failure);
  });
});

describe('verifyRequest: API-key tokens', () => {
  it('makes one recordUse call with the SHA-256 of the token, never the token itself', async () => {
    const { deps, calls, inputs } = fakes({ recordUse: async () => ({ updated: true, record: record() }) });
    await verifyRequest(deps, request(`Bearer ${TOKEN}`));
    expect(calls.recordUse).toBe(1);
    expect(calls.adminKey).toBe(0);
    expect(inputs).toEqual([
      { keyId: KEY_ID, tokenHash: sha256(TOKEN), nowMs: NOW, window: Math.floor(NOW / 60_000), cost: 1 },
    ]);
    const serialized = JSON.stringify(inputs[0]);
    expect(serialized).not.toContain(TOKEN);
    expect(serialized).not.toContain(TOKEN.slice(20, 63)); // the secret part
  });

  it('allows a usable key with its frozen permissions, org and record', async () => {
    const stored = record({ permissions: ['api:read'], org_id: 'globex' });
    const { deps } = fakes({ recordUse: async () => ({ updated: true, record: stored }) });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).resolves.toMatchObject({
      ok: true,
      principal: { type: 'key', keyId: KEY_ID, orgId: 'globex', permissions: ['api:read'] },
      record: stored,
    });
  });

  it.each([
    ['no key with that id', null, 'unknown_key'],
    ['a different secret', record({ key_hash: sha256(OTHER_TOKEN) }), 'wrong_secret'],
    ['a revoked key', record({ revoked_at: '2025-05-01T00:00:00.000Z' }), 'revoked'],
    ['a key that expired earlier', record({ expires_at_ms: NOW - 1 }), 'expired'],
    ['a key expiring at this very millisecond', record({ expires_at_ms: NOW }), 'expired'],
    [
      'a revoked key, presented with the wrong secret',
      record({ key_hash: sha256(OTHER_TOKEN), revoked_at: '2025-05-01T00:00:00.000Z' }),
      'wrong_secret',
    ],
  ])('classifies a refused write on %s as %s', async (_, stored, reason) => {
    const { deps, calls } = fakes({ recordUse: async () => ({ updated: false, record: stored }) });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason,
      keyId: KEY_ID,
    });
    expect(calls.recordUse).toBe(1);
  });

  it('classifies a refused write on a usable key as rate_limited, with Retry-After in 1..60 and its limit', async () => {
    const { deps } = fakes({
      recordUse: async () => ({ updated: false, record: record({ rate_limit_per_minute: 7 }) }),
    });
    const result = await verifyRequest(deps, request(`Bearer ${TOKEN}`));
    expect(result).toEqual({
      ok: false,
      kind: 'rate_limited',
      retryAfterSeconds: 30,
      keyId: KEY_ID,
      limitPerMinute: 7,
    });
  });

  it.each([
    [0, 60],
    [1, 60],
    [999, 60],
    [1_000, 59],
    [30_000, 30],
    [59_000, 1],
    [59_500, 1],
    [59_999, 1],
  ])('rate_limited at %i ms into the window → Retry-After %i', async (offset, expected) => {
    const windowStart = Math.floor(NOW / RATE_WINDOW_MS) * RATE_WINDOW_MS;
    const { deps } = fakes({
      now: () => windowStart + offset,
      recordUse: async () => ({ updated: false, record: record() }),
    });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).resolves.toMatchObject({
      kind: 'rate_limited',
      retryAfterSeconds: expected,
    });
  });

  it('never allows a write reported as done without a matching record (fails closed)', async () => {
    for (const stored of [null, record({ key_hash: sha256(OTHER_TOKEN) })]) {
      const { deps } = fakes({ recordUse: async () => ({ updated: true, record: stored }) });
      const result = await verifyRequest(deps, request(`Bearer ${TOKEN}`));
      expect(result.ok).toBe(false);
    }
  });

  it('rejects (fails closed) when recordUse throws', async () => {
    const failure = new Error('ProvisionedThroughputExceededException');
    const { deps } = fakes({ recordUse: () => Promise.reject(failure) });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).rejects.toBe(failure);
  });

  it('rejects when the clock throws, rather than returning ok', async () => {
    const { deps } = fakes({
      now: () => {
        throw new Error('clock');
      },
      recordUse: async () => ({ updated: true, record: record() }),
    });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).rejects.toThrow('clock');
  });
});

describe('rateWindowOf / retryAfterSeconds', () => {
  it('uses one-minute windows', () => {
    expect(RATE_WINDOW_MS).toBe(60_000);
    expect(rateWindowOf(0)).toBe(0);
    expect(rateWindowOf(59_999)).toBe(0);
    expect(rateWindowOf(60_000)).toBe(1);
  });

  it('always answers 1..60 seconds, reaching the next window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), (nowMs) => {
        const seconds = retryAfterSeconds(nowMs);
        expect(Number.isInteger(seconds)).toBe(true);
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBeLessThanOrEqual(60);
        expect(rateWindowOf(nowMs + seconds * 1000)).toBeGreaterThan(rateWindowOf(nowMs));
      }),
    );
  });
});

describe('classifyRefusal', () => {
  const hash = sha256(TOKEN);
  it.each([
    ['no record', null, 'unknown_key'],
    ['another hash', record({ key_hash: sha256(OTHER_TOKEN) }), 'wrong_secret'],
    ['revoked', record({ revoked_at: '2025-01-02T00:00:00.000Z' }), 'revoked'],
    ['expired', record({ expires_at_ms: NOW }), 'expired'],
    ['disabled', record({ disabled_at: '2025-01-02T00:00:00.000Z' }), 'disabled'],
    [
      'disabled and expired',
      record({ disabled_at: '2025-01-02T00:00:00.000Z', expires_at_ms: NOW }),
      'expired',
    ],
    ['expires later', record({ expires_at_ms: NOW + 1 }), 'rate_limited'],
    ['active', record(), 'rate_limited'],
  ])('%s → %s', (_, stored, expected) => {
    expect(classifyRefusal(stored, hash, NOW)).toBe(expected);
  });
});

describe('keyPrincipal', () => {
  it('takes id, org and permissions from the record', () => {
    expect(keyPrincipal(record())).toEqual({
      type: 'key',
      keyId: KEY_ID,
      orgId: 'acme',
      permissions: ['api:read', 'api:write'],
    });
  });
});

/** Dependencies for signed requests: the key behind TOKEN, and the writes each call made. */
function signedFakes(options: {
  record?: KeyRecord;
  signedUse?: RecordSignedUseResult;
  replay?: 'recorded' | 'replayed';
}) {
  const writes = { signedUse: 0, replays: [] as RecordReplayInput[] };
  const deps: VerifierDeps = {
    tokenPrefixes: ['lk'],
    now: () => NOW,
    adminKey: () => Promise.reject(new Error('unexpected call to adminKey')),
    signingSecret: async () => 'master',
    usage: {
      recordUse: () => Promise.reject(new Error('unexpected call to recordUse')),
      readKey: async () => ({ record: options.record ?? record(), windows: {} }),
      recordSignedUse: async () => {
        writes.signedUse++;
        return options.signedUse ?? { outcome: 'recorded' };
      },
      recordReplay: async (input) => {
        writes.replays.push(input);
        return options.replay ?? 'recorded';
      },
    },
  };
  return { deps, writes };
}

function signedRequest(path = '/prod/v1/echo/orders/123', method = 'GET') {
  const headers = signRequest({ token: TOKEN, method, path, timestamp: Math.floor(NOW / 1000) });
  return { authorization: headers.authorization, method, path, contentDigest: undefined };
}

describe('verifyRequest: a verified signature is consumed whatever the outcome', () => {
  it('accepted: one transactional write, no separate replay records', async () => {
    const { deps, writes } = signedFakes({});
    await expect(verifyRequest(deps, signedRequest())).resolves.toMatchObject({ ok: true, scheme: 'armor' });
    expect(writes).toEqual({ signedUse: 1, replays: [] });
  });

  it('refused for the rate limit: the nonce and the signature are recorded alone, then rate_limited', async () => {
    const { deps, writes } = signedFakes({
      signedUse: { outcome: 'refused', record: record({ rate_limit_per_minute: 9 }) },
    });
    const req = signedRequest();
    await expect(verifyRequest(deps, req)).resolves.toMatchObject({
      ok: false,
      kind: 'rate_limited',
      limitPerMinute: 9,
    });
    const [, signature, nonce, timestamp] = req.authorization.split(':') as [string, string, string, string];
    expect(writes.replays).toEqual([
      { keyId: KEY_ID, nonce, signatureHash: sha256(signature), replayTtl: Number(timestamp) + 600 },
    ]);
  });

  it.each([
    ['revoked', { revoked_at: '2025-05-01T00:00:00.000Z' }],
    ['expired', { expires_at_ms: NOW - 1 }],
  ] as const)('%s on the read: recorded alone (no use transaction), then refused', async (reason, over) => {
    const { deps, writes } = signedFakes({ record: record(over) });
    await expect(verifyRequest(deps, signedRequest())).resolves.toMatchObject({ ok: false, reason });
    expect(writes.signedUse).toBe(0);
    expect(writes.replays).toHaveLength(1);
  });

  it('a copy that recorded them first makes the refusal a replay', async () => {
    const { deps } = signedFakes({ record: record({ revoked_at: 'x' }), replay: 'replayed' });
    await expect(verifyRequest(deps, signedRequest())).resolves.toMatchObject({
      ok: false,
      reason: 'replayed',
    });
  });

  it('an unverified signature writes nothing', async () => {
    const { deps, writes } = signedFakes({ record: record({ revoked_at: 'x' }) });
    const req = { ...signedRequest(), path: '/prod/v1/echo/orders/124' };
    await expect(verifyRequest(deps, req)).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(writes).toEqual({ signedUse: 0, replays: [] });
  });
});

describe('verifyRequest: a deployment that accepts several prefixes', () => {
  const ACME_TOKEN = formatToken('acme', KEY_ID, deriveSecret('master', KEY_ID, 'AbCdEfGhIjKlMnOpQrStUv'));

  it('bearer: a token of every listed prefix reaches the key; another prefix is refused without I/O', async () => {
    for (const token of [TOKEN, ACME_TOKEN]) {
      const { deps, inputs } = fakes({
        recordUse: async () => ({ updated: true, record: record({ key_hash: sha256(token) }) }),
      });
      deps.tokenPrefixes = ['acme', 'lk'];
      await expect(verifyRequest(deps, request(`Bearer ${token}`))).resolves.toMatchObject({ ok: true });
      expect(inputs[0]?.tokenHash).toBe(sha256(token));
    }
    const { deps, calls } = fakes({});
    deps.tokenPrefixes = ['acme'];
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason: 'malformed',
      keyId: null,
    });
    expect(ioCalls(calls)).toBe(0);
  });

  it('ARMOR-PSK: a key issued under a listed prefix that is not the first verifies', async () => {
    const { deps, writes } = signedFakes({});
    deps.tokenPrefixes = ['acme', 'lk'];
    await expect(verifyRequest(deps, signedRequest())).resolves.toMatchObject({ ok: true, scheme: 'armor' });
    expect(writes.signedUse).toBe(1);
  });

  it('ARMOR-PSK: a key of a prefix dropped from the list is refused as key_mismatch, writing nothing', async () => {
    const { deps, writes } = signedFakes({});
    deps.tokenPrefixes = ['acme'];
    await expect(verifyRequest(deps, signedRequest())).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason: 'key_mismatch',
      keyId: KEY_ID,
    });
    expect(writes).toEqual({ signedUse: 0, replays: [] });
  });
});

describe('verifyRequest: signing profiles', () => {
  const nonce = '0123456789abcdef0123456789abcdef';
  const shiftedRequest = () => {
    const headers = signRequest({
      token: TOKEN,
      method: 'DELETE',
      path: '/prod/v1/echo/orders/123',
      nonce,
      timestamp: Math.floor(NOW / 1000),
    });
    return {
      authorization: headers.authorization.replace(`:${nonce}:`, `:3${nonce}:`),
      method: 'DELETE',
      path: '/prod/v1/echo/orders/12',
      contentDigest: undefined,
    };
  };

  it('strict: a nonce that is not 32 lowercase hex characters is refused before any I/O', async () => {
    const { deps, writes } = signedFakes({});
    let reads = 0;
    const strict: VerifierDeps = {
      ...deps,
      signingProfile: 'strict',
      usage: {
        ...deps.usage,
        readKey: async () => {
          reads++;
          return { record: record(), windows: {} };
        },
      },
    };
    await expect(verifyRequest(strict, shiftedRequest())).resolves.toMatchObject({
      ok: false,
      reason: 'nonce_not_strict',
    });
    expect(reads).toBe(0);
    expect(writes).toEqual({ signedUse: 0, replays: [] });
    await expect(verifyRequest(strict, signedRequest())).resolves.toMatchObject({ ok: true });
  });

  it('compatible (the default): the shifted request verifies; only the signature record stops a second copy', async () => {
    const { deps } = signedFakes({});
    await expect(verifyRequest(deps, shiftedRequest())).resolves.toMatchObject({ ok: true });
  });
});

describe('verifyRequest: a bearer token is checked against the master secret too', () => {
  it('a key item written without the master secret (hash of a token derived from another) is refused', async () => {
    // Someone who can write the table but not read the master secret stores the hash of a token of their own.
    const forged = record({ key_hash: sha256(OTHER_TOKEN) });
    const { deps, calls } = fakes({ recordUse: async () => ({ updated: true, record: forged }) });
    await expect(verifyRequest(deps, request(`Bearer ${OTHER_TOKEN}`))).resolves.toMatchObject({
      ok: false,
      reason: 'key_mismatch',
    });
    expect(calls.recordUse).toBe(1);
  });

  it('the genuine token passes with one recordUse call', async () => {
    const { deps, calls } = fakes({ recordUse: async () => ({ updated: true, record: record() }) });
    await expect(verifyRequest(deps, request(`Bearer ${TOKEN}`))).resolves.toMatchObject({ ok: true });
    expect(calls.recordUse).toBe(1);
  });
});

describe('verifyRequest: a signed request whose body is given (latchkey/verify)', () => {
  const path = '/orders';
  const body = Buffer.from([0x7b, 0x00, 0xff, 0x7d]);
  const signed = signRequest({ token: TOKEN, method: 'POST', path, body, timestamp: Math.floor(NOW / 1000) });
  const input = (overrides: { body?: Uint8Array | string | null; contentDigest?: string | undefined }) => ({
    authorization: signed.authorization,
    method: 'POST',
    path,
    contentDigest: 'contentDigest' in overrides ? overrides.contentDigest : signed.contentDigest,
    body: overrides.body,
  });

  it('the body the client signed (binary) verifies with one transactional write', async () => {
    const { deps, writes } = signedFakes({});
    await expect(verifyRequest(deps, input({ body }))).resolves.toMatchObject({ ok: true, scheme: 'armor' });
    expect(writes.signedUse).toBe(1);
  });

  it.each([
    ['another body under the signed digest', 'content_digest_mismatch', { body: Buffer.from('{}') }],
    ['an empty body under the digest of a non-empty one', 'content_digest_mismatch', { body: '' }],
    ['a body with no Content-Digest', 'content_digest_missing', { body, contentDigest: undefined }],
  ])('%s → %s, refused before any I/O', async (_, reason, overrides) => {
    const { deps, writes } = signedFakes({});
    deps.usage.readKey = () => Promise.reject(new Error('unexpected call to readKey'));
    await expect(verifyRequest(deps, input(overrides))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason,
      keyId: KEY_ID,
    });
    expect(writes.signedUse + writes.replays.length).toBe(0);
  });

  it('a bearer request is not held to its body', async () => {
    const { deps } = fakes({ recordUse: async () => ({ updated: true, record: record() }) });
    await expect(
      verifyRequest(deps, { ...request(`Bearer ${TOKEN}`), body: 'anything', contentDigest: 'sha-512=:x:' }),
    ).resolves.toMatchObject({ ok: true, scheme: 'bearer' });
  });
});

describe('verifyRequest: a verifier that does not accept the admin key', () => {
  it('refuses an admin-key credential as wrong_admin_key without any I/O', async () => {
    const { deps, calls } = fakes({});
    delete deps.adminKey;
    await expect(verifyRequest(deps, request(`Bearer ${ADMIN_KEY}`))).resolves.toEqual({
      ok: false,
      kind: 'unauthorized',
      reason: 'wrong_admin_key',
      keyId: null,
    });
    expect(ioCalls(calls)).toBe(0);
  });
});
