import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ARMOR_SCHEME,
  bodyDigestOf,
  canonicalString,
  checkTimestamp,
  computeSignature,
  NONCE_TTL_SECONDS,
  parseArmorAuthorization,
  parseArmorCredentials,
  parseContentDigest,
  signatureMatches,
  TIMESTAMP_SKEW_SECONDS,
  verifyArmorSignature,
  verifyBodyDigest,
} from '#core/armor';
import { deriveSecret, formatToken, newSalt } from '#core/token';

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const TOKEN = formatToken(
  'lk',
  KEY_ID,
  deriveSecret('master-secret-for-tests', KEY_ID, 'saltsaltsaltsaltsalt00'),
);
/** 64 bytes of 0xfb: its base64 is full of '+' and '/', so the url-safe spelling differs. */
const SIG = Buffer.alloc(64, 0xfb).toString('base64');
const NONCE = 'n0nce-Value_1';
const TS = '1700000000';

function creds(keyId = KEY_ID, sig = SIG, nonce = NONCE, ts = TS): string {
  return `${keyId}:${sig}:${nonce}:${ts}`;
}

/** Independent implementation of docs/protocol.md §2.2, straight from node:crypto. */
function specSignature(token: string, parts: string[]): string {
  return createHmac('sha512', Buffer.from(token, 'utf8'))
    .update(Buffer.from(parts.join(''), 'utf8'))
    .digest('base64');
}

function sha512b64(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('base64');
}

describe('constants', () => {
  it('matches the protocol reference', () => {
    expect(ARMOR_SCHEME).toBe('ARMOR-PSK');
    expect(TIMESTAMP_SKEW_SECONDS).toBe(300);
    expect(NONCE_TTL_SECONDS).toBe(600);
  });
});

describe('parseArmorCredentials', () => {
  it('accepts a well-formed value and keeps the raw timestamp', () => {
    expect(parseArmorCredentials(creds())).toEqual({
      keyId: KEY_ID,
      signature: SIG,
      nonce: NONCE,
      timestamp: 1_700_000_000,
      timestampRaw: TS,
    });
  });

  it.each([
    ['1-char nonce', creds(KEY_ID, SIG, 'x')],
    ['128-char nonce', creds(KEY_ID, SIG, 'a'.repeat(128))],
    ['nonce with every printable non-colon symbol', creds(KEY_ID, SIG, '!"#$%&\'()*+,-./;<=>?@[\\]^_`{|}~')],
    ['timestamp 0', creds(KEY_ID, SIG, NONCE, '0')],
    ['12-digit timestamp', creds(KEY_ID, SIG, NONCE, '999999999999')],
    ['signature ending in A==', creds(KEY_ID, Buffer.alloc(64, 0).toString('base64'))],
  ])('accepts %s', (_name, value) => {
    expect(parseArmorCredentials(value)).not.toBeNull();
  });

  const rejections: [string, string][] = [
    // field count
    ['empty string', ''],
    ['three fields', `${KEY_ID}:${SIG}:${NONCE}`],
    ['five fields', `${creds()}:extra`],
    ['trailing colon', `${creds()}:`],
    ['leading colon', `:${creds()}`],
    ['only colons', ':::'],
    ['surrounding whitespace', ` ${creds()} `],
    ['scheme included', `ARMOR-PSK ${creds()}`],
    // keyId
    ['empty keyId', creds('')],
    ['15-char keyId', creds(KEY_ID.slice(1))],
    ['17-char keyId', creds(`${KEY_ID}x`)],
    ['keyId with -', creds(`${KEY_ID.slice(1)}-`)],
    ['keyId with _', creds(`${KEY_ID.slice(1)}_`)],
    ['keyId with non-ASCII', creds(`${KEY_ID.slice(1)}é`)],
    ['keyId with space', creds(`${KEY_ID.slice(1)} `)],
    ['whole token as keyId', creds(TOKEN)],
    // signature
    ['empty signature', creds(KEY_ID, '')],
    ['unpadded signature', creds(KEY_ID, SIG.replace(/=+$/, ''))],
    ['single-padded signature', creds(KEY_ID, SIG.replace(/=+$/, '='))],
    ['url-safe signature', creds(KEY_ID, Buffer.alloc(64, 0xfb).toString('base64url'))],
    ['url-safe signature, padded', creds(KEY_ID, SIG.replace(/\+/g, '-').replace(/\//g, '_'))],
    ['SHA-256-sized signature', creds(KEY_ID, Buffer.alloc(32, 1).toString('base64'))],
    ['63-byte signature', creds(KEY_ID, Buffer.alloc(63, 1).toString('base64'))],
    ['65-byte signature', creds(KEY_ID, Buffer.alloc(65, 1).toString('base64'))],
    ['hex signature', creds(KEY_ID, Buffer.alloc(64, 1).toString('hex'))],
    ['non-canonical last symbol', creds(KEY_ID, `${SIG.slice(0, 85)}B==`)],
    ['signature with inner whitespace', creds(KEY_ID, `${SIG.slice(0, 40)} ${SIG.slice(41)}`)],
    ['signature with invalid symbol', creds(KEY_ID, `*${SIG.slice(1)}`)],
    // nonce
    ['empty nonce', creds(KEY_ID, SIG, '')],
    ['129-char nonce', creds(KEY_ID, SIG, 'a'.repeat(129))],
    ['nonce with space', creds(KEY_ID, SIG, 'ab cd')],
    ['nonce with tab', creds(KEY_ID, SIG, 'ab\tcd')],
    ['nonce with newline', creds(KEY_ID, SIG, 'ab\ncd')],
    ['nonce with NUL', creds(KEY_ID, SIG, 'ab\u0000cd')],
    ['nonce with bell', creds(KEY_ID, SIG, 'ab\u0007cd')],
    ['nonce with DEL', creds(KEY_ID, SIG, 'ab\u007fcd')],
    ['nonce with é', creds(KEY_ID, SIG, 'abécd')],
    ['nonce with emoji', creds(KEY_ID, SIG, 'ab😀cd')],
    ['nonce with NBSP', creds(KEY_ID, SIG, 'ab\u00a0cd')],
    // timestamp
    ['empty timestamp', creds(KEY_ID, SIG, NONCE, '')],
    ['negative timestamp', creds(KEY_ID, SIG, NONCE, '-1700000000')],
    ['+timestamp', creds(KEY_ID, SIG, NONCE, '+1700000000')],
    ['float timestamp', creds(KEY_ID, SIG, NONCE, '1700000000.5')],
    ['exponent timestamp', creds(KEY_ID, SIG, NONCE, '1.7e9')],
    ['hex timestamp', creds(KEY_ID, SIG, NONCE, '0x6553f100')],
    ['13-digit timestamp', creds(KEY_ID, SIG, NONCE, '1700000000000')],
    ['huge timestamp', creds(KEY_ID, SIG, NONCE, '9'.repeat(400))],
    ['leading-zero timestamp', creds(KEY_ID, SIG, NONCE, '01700000000')],
    ['timestamp with space', creds(KEY_ID, SIG, NONCE, ' 1700000000')],
    ['timestamp with underscore', creds(KEY_ID, SIG, NONCE, '1_700_000_000')],
    ['Infinity timestamp', creds(KEY_ID, SIG, NONCE, 'Infinity')],
    ['NaN timestamp', creds(KEY_ID, SIG, NONCE, 'NaN')],
    ['full-width digit timestamp', creds(KEY_ID, SIG, NONCE, '１７００')],
    ['ISO timestamp', creds(KEY_ID, SIG, NONCE, '2023-11-14T22')],
  ];
  it.each(rejections)('rejects %s', (_name, value) => {
    expect(parseArmorCredentials(value)).toBeNull();
  });

  it('returns null for non-string input instead of throwing', () => {
    for (const v of [undefined, null, 42, {}, [creds()]]) {
      expect(parseArmorCredentials(v as unknown as string)).toBeNull();
    }
  });
});

describe('parseArmorAuthorization', () => {
  it.each([
    `ARMOR-PSK ${creds()}`,
    `armor-psk ${creds()}`,
    `Armor-Psk   ${creds()}  `,
    `\tARMOR-PSK\t${creds()}`,
  ])('accepts %j', (header) => {
    expect(parseArmorAuthorization(header)?.keyId).toBe(KEY_ID);
  });

  it.each([
    undefined,
    null,
    '',
    creds(),
    `Bearer ${TOKEN}`,
    `ARMOR-PSK${creds()}`,
    `ARMOR-PSK ${creds()} extra`,
    `ARMOR-PSK ${KEY_ID}:${SIG}:${NONCE}`,
    `ARMOR ${creds()}`,
  ])('rejects %j', (header) => {
    expect(parseArmorAuthorization(header)).toBeNull();
  });
});

describe('canonicalString', () => {
  it('is plain concatenation with an upper-case method', () => {
    expect(
      canonicalString({
        keyId: KEY_ID,
        method: 'post',
        path: '/prod/v1/keys',
        nonce: 'n',
        timestamp: '12',
        bodyDigest: 'D',
      }),
    ).toBe(`${KEY_ID}POST/prod/v1/keysn12D`);
  });

  it('uses the raw timestamp string as sent, or the decimal form of a number', () => {
    const base = { keyId: KEY_ID, method: 'GET', path: '/x', nonce: 'n', bodyDigest: '' };
    expect(canonicalString({ ...base, timestamp: '1700000000' })).toBe(`${KEY_ID}GET/xn1700000000`);
    expect(canonicalString({ ...base, timestamp: 1_700_000_000 })).toBe(`${KEY_ID}GET/xn1700000000`);
  });
});

describe('known answers (independent node:crypto computation of docs/protocol.md §2.2)', () => {
  const nonce = 'f3a1c0de9b8a7766554433';
  const ts = '1700000000';

  it('GET without a body: bodyDigest is the empty string', () => {
    const path = '/prod/v1/keys';
    const expected = specSignature(TOKEN, [KEY_ID, 'GET', path, nonce, ts, '']);
    const canonical = canonicalString({
      keyId: KEY_ID,
      method: 'GET',
      path,
      nonce,
      timestamp: ts,
      bodyDigest: '',
    });
    expect(canonical).toBe(`${KEY_ID}GET/prod/v1/keys${nonce}${ts}`);
    expect(computeSignature(TOKEN, canonical)).toBe(expected);
    const parsed = parseArmorAuthorization(`ARMOR-PSK ${KEY_ID}:${expected}:${nonce}:${ts}`);
    if (parsed === null) throw new Error('expected the header to parse');
    expect(verifyArmorSignature(TOKEN, parsed, { method: 'GET', path, bodyDigest: '' })).toBe(true);
  });

  it('POST with a body: bodyDigest is base64 SHA-512 of the raw bytes', () => {
    const path = '/prod/v1/keys';
    const body = Buffer.from('{"name":"ci – déploiement"}', 'utf8');
    const digest = sha512b64(body);
    const expected = specSignature(TOKEN, [KEY_ID, 'POST', path, nonce, ts, digest]);
    expect(bodyDigestOf(body)).toBe(digest);
    expect(bodyDigestOf(body.toString('utf8'))).toBe(digest);
    const canonical = canonicalString({
      keyId: KEY_ID,
      method: 'POST',
      path,
      nonce,
      timestamp: ts,
      bodyDigest: digest,
    });
    expect(computeSignature(TOKEN, canonical)).toBe(expected);
    expect(parseContentDigest(`sha-512=:${digest}:`)).toBe(digest);
    const parsed = parseArmorCredentials(`${KEY_ID}:${expected}:${nonce}:${ts}`);
    if (parsed === null) throw new Error('expected the credentials to parse');
    expect(verifyArmorSignature(TOKEN, parsed, { method: 'POST', path, bodyDigest: digest })).toBe(true);
    expect(verifyBodyDigest(body, `sha-512=:${digest}:`)).toBe('ok');
  });

  it('a fixed vector stays fixed', () => {
    // Pinned so that an accidental change in the canonical string or the key encoding is caught.
    const token = 'lk_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBCCCCCC';
    const canonical = canonicalString({
      keyId: 'AAAAAAAAAAAAAAAA',
      method: 'GET',
      path: '/prod/v1/whoami',
      nonce: 'abc',
      timestamp: '1700000000',
      bodyDigest: '',
    });
    expect(computeSignature(token, canonical)).toBe(
      createHmac('sha512', token).update('AAAAAAAAAAAAAAAAGET/prod/v1/whoamiabc1700000000').digest('base64'),
    );
  });
});

describe('single-field mutations change the signature', () => {
  const base = {
    keyId: KEY_ID,
    method: 'POST',
    path: '/prod/v1/echo/a',
    nonce: 'nonce-1',
    timestamp: '1700000000',
    bodyDigest: bodyDigestOf('{"a":1}'),
  };
  const original = computeSignature(TOKEN, canonicalString(base));
  const otherKeyId = 'Zz9Zz9Zz9Zz9Zz9Z';
  const otherToken = formatToken('lk', KEY_ID, deriveSecret('master-secret-for-tests', KEY_ID, newSalt()));

  it.each([
    ['method', { ...base, method: 'PUT' }, TOKEN],
    ['path', { ...base, path: '/prod/v1/echo/b' }, TOKEN],
    ['path (trailing slash)', { ...base, path: '/prod/v1/echo/a/' }, TOKEN],
    ['nonce', { ...base, nonce: 'nonce-2' }, TOKEN],
    ['timestamp', { ...base, timestamp: '1700000001' }, TOKEN],
    ['body', { ...base, bodyDigest: bodyDigestOf('{"a":2}') }, TOKEN],
    ['body removed', { ...base, bodyDigest: '' }, TOKEN],
    ['keyId', { ...base, keyId: otherKeyId }, TOKEN],
    ['token', base, otherToken],
    ['token (different prefix)', base, TOKEN.replace(/^lk_/, 'lx_')],
  ])('%s', (_name, input, token) => {
    const mutated = computeSignature(token, canonicalString(input));
    expect(mutated).not.toBe(original);
    expect(signatureMatches(original, mutated)).toBe(false);
  });
});

describe('signatureMatches', () => {
  it('compares exactly', () => {
    expect(signatureMatches(SIG, SIG)).toBe(true);
    expect(signatureMatches(SIG, `${SIG.slice(0, 85)}Q==`)).toBe(false);
    expect(signatureMatches(SIG, '')).toBe(false);
    expect(signatureMatches('', SIG)).toBe(false);
    expect(signatureMatches(SIG, undefined as unknown as string)).toBe(false);
  });
});

describe('parseContentDigest', () => {
  const d = sha512b64(Buffer.from('hello'));
  const d256 = createHash('sha256').update('hello').digest('base64');

  it.each([
    ['a lone member', `sha-512=:${d}:`],
    ['after sha-256', `sha-256=:${d256}:, sha-512=:${d}:`],
    ['before sha-256', `sha-512=:${d}:,sha-256=:${d256}:`],
    ['after sha-256 and several spaces', `sha-256=:${d256}:,   sha-512=:${d}:`],
    ['next to a string member with commas', `x="a, sha-512=:zz:", sha-512=:${d}:`],
    ['next to an inner list', `x=(1 2, 3), sha-512=:${d}:`],
  ])('finds it %s', (_name, header) => {
    expect(parseContentDigest(header)).toBe(d);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['only sha-256', `sha-256=:${d256}:`],
    ['an upper-case key (RFC 9530 keys are lower case)', `SHA-512=:${d}:`],
    ['a mixed-case key', `Sha-512=:${d}:`],
    ['an upper-case key next to a valid sha-256', `sha-256=:${d256}:, SHA-512=:${d}:`],
    ['bare base64', d],
    ['no colons', `sha-512=${d}`],
    ['a quoted string', `sha-512="${d}"`],
    ['empty byte sequence', 'sha-512=::'],
    ['sha-256-sized value', `sha-512=:${d256}:`],
    ['url-safe value', `sha-512=:${Buffer.from(d, 'base64').toString('base64url')}:`],
    ['unpadded value', `sha-512=:${d.replace(/=+$/, '')}:`],
    ['hex value', `sha-512=:${createHash('sha512').update('hello').digest('hex')}:`],
    ['inside a quoted string only', `x="sha-512=:${d}:"`],
    // One reading only: what a proxy or an integration might read differently is refused.
    ['a leading space', ` sha-512=:${d}:`],
    ['a trailing space', `sha-512=:${d}: `],
    ['surrounding spaces', `  sha-512=:${d}:  `],
    ['a trailing tab', `sha-512=:${d}:\t`],
    ['a no-break space before it', `\u00a0sha-512=:${d}:`],
    ['a space before the comma', `sha-256=:${d256}: , sha-512=:${d}:`],
    ['a tab after the comma', `sha-256=:${d256}:,\tsha-512=:${d}:`],
    ['a trailing comma', `sha-512=:${d}:,`],
    ['a parameter', `sha-512=:${d}:;x=1`],
    ['a parameter with no value', `sha-512=:${d}:;x`],
    ['repeated with the same value', `sha-512=:${d}:, sha-512=:${d}:`],
    ['conflicting duplicates', `sha-512=:${d}:, sha-512=:${sha512b64(Buffer.from('bye'))}:`],
    ['unterminated byte sequence', `sha-512=:${d}`],
    ['unterminated string', `x="abc, sha-512=:${d}:`],
    ['empty member', `, sha-512=:${d}:`],
    ['unbalanced paren', `x=(1, sha-512=:${d}:`],
    ['bad key', `512=:${d}:`],
    ['garbage', 'not a dictionary at all'],
    ['sha-512 as a boolean', 'sha-512'],
  ])('returns null for %s', (_name, header) => {
    expect(parseContentDigest(header)).toBeNull();
  });
});

describe('bodyDigestOf', () => {
  it('is empty for an empty body', () => {
    expect(bodyDigestOf('')).toBe('');
    expect(bodyDigestOf(new Uint8Array())).toBe('');
  });
  it('hashes the UTF-8 bytes of a string', () => {
    expect(bodyDigestOf('é')).toBe(sha512b64(Buffer.from([0xc3, 0xa9])));
  });
});

describe('checkTimestamp', () => {
  const now = 1_700_000_000_000;
  it.each([
    [1_700_000_000, 'ok'],
    [1_700_000_300, 'ok'],
    [1_699_999_700, 'ok'],
    [1_700_000_301, 'future'],
    [1_699_999_699, 'stale'],
    [0, 'stale'],
    [999_999_999_999, 'future'],
    [Number.NaN, 'stale'],
    [Number.POSITIVE_INFINITY, 'stale'],
  ])('%d → %s', (ts, expected) => {
    expect(checkTimestamp(ts, now)).toBe(expected);
  });
  it('floors the clock to whole seconds and honours a custom skew', () => {
    expect(checkTimestamp(1_699_999_700, now + 999)).toBe('ok');
    expect(checkTimestamp(1_700_000_010, now, 5)).toBe('future');
    expect(checkTimestamp(1_699_999_990, now, 5)).toBe('stale');
    expect(checkTimestamp(1_700_000_000, Number.NaN)).toBe('stale');
  });
});

describe('verifyBodyDigest', () => {
  const body = '{"name":"x"}';
  const good = `sha-512=:${bodyDigestOf(body)}:`;
  it.each([
    ['matching string body', body, good, 'ok'],
    ['matching bytes body', Buffer.from(body), good, 'ok'],
    ['body without header', body, undefined, 'missing'],
    [
      'body with a header lacking sha-512',
      body,
      `sha-256=:${createHash('sha256').update(body).digest('base64')}:`,
      'missing',
    ],
    ['body with a malformed header', body, 'sha-512=:nope:', 'missing'],
    ['body with another body’s digest', body, `sha-512=:${bodyDigestOf('{}')}:`, 'mismatch'],
    ['empty body, no header', '', undefined, 'not_expected'],
    ['null body, no header', null, undefined, 'not_expected'],
    ['empty body claiming a non-empty digest', '', good, 'mismatch'],
    ['null body claiming a non-empty digest', null, good, 'mismatch'],
    ['empty body with the digest of no bytes', '', `sha-512=:${sha512b64(Buffer.alloc(0))}:`, 'ok'],
  ] as const)('%s → %s', (_name, b, header, expected) => {
    expect(verifyBodyDigest(b, header)).toBe(expected);
  });
});
