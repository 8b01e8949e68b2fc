import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, isBase62 } from '#core/base62';
import { crc32 } from '#core/crc32';
import {
  assertValidPrefix,
  CHECKSUM_LENGTH,
  checksumOf,
  deriveSecret,
  formatToken,
  hasDistinctPrefixes,
  KEY_ID_LENGTH,
  KEY_ID_RE,
  keyPrefixOf,
  MAX_TOKEN_PREFIXES,
  newKeyId,
  newSalt,
  PREFIX_LIST_RE,
  parseToken,
  parseTokenOf,
  SALT_LENGTH,
  SECRET_LENGTH,
  splitPrefixes,
  tokenFor,
} from '#core/token';
import { base62, prefixArb } from '../helpers/arbitraries';

const MASTER = 'master-secret-for-unit-tests';
const KEY_ID = '3hQx9TmP2wLk8ZrA';
const SALT = 'AbCdEfGhIjKlMnOpQrStUv';
const SECRET = deriveSecret(MASTER, KEY_ID, SALT);
const TOKEN = formatToken('lk', KEY_ID, SECRET);

/** docs/protocol.md §1.2: what secret scanners match. */
function scannerRegex(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[A-Za-z0-9]{16,}_[A-Za-z0-9]{33,}\\b`, 'g');
}

function decodeBase62(value: string): bigint {
  let n = 0n;
  for (const ch of value) n = n * 62n + BigInt(BASE62_ALPHABET.indexOf(ch));
  return n;
}

describe('constants', () => {
  it('give the secret at least 160 bits and room for a 256-bit PRF output', () => {
    expect(SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(256);
    expect(KEY_ID_LENGTH).toBeGreaterThanOrEqual(16);
    expect(CHECKSUM_LENGTH).toBe(6);
    // Every CRC-32 value fits in the checksum width.
    expect(62 ** CHECKSUM_LENGTH).toBeGreaterThan(0xffffffff);
  });
});

describe('assertValidPrefix', () => {
  it.each(['lk', 'a', '0', 'acme2024', 'a'.repeat(16)])('accepts %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it.each(['', 'LK', 'Lk', 'l_k', 'l-k', 'lk ', 'a'.repeat(17), 'lé'])('rejects %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(/prefix/);
  });
});

describe('checksumOf', () => {
  it('is the CRC-32 of the body, in 6 base62 characters', () => {
    expect(checksumOf('123456789')).toHaveLength(6);
    expect(decodeBase62(checksumOf('123456789'))).toBe(0xcbf43926n);
    expect(decodeBase62(checksumOf(''))).toBe(0n);
    expect(checksumOf('')).toBe('000000');
  });

  it('is the last 6 characters of a token', () => {
    const body = TOKEN.slice(0, -CHECKSUM_LENGTH);
    expect(TOKEN.slice(-CHECKSUM_LENGTH)).toBe(checksumOf(body));
    expect(decodeBase62(TOKEN.slice(-CHECKSUM_LENGTH))).toBe(BigInt(crc32(body)));
  });
});

describe('formatToken / parseToken', () => {
  it('formats <prefix>_<keyId>_<secret><checksum> with fixed lengths', () => {
    expect(TOKEN).toHaveLength(2 + 1 + 16 + 1 + 43 + 6);
    expect(TOKEN.startsWith(`lk_${KEY_ID}_${SECRET}`)).toBe(true);
    expect(TOKEN).toMatch(/^lk_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}$/);
  });

  it('round-trips', () => {
    expect(parseToken(TOKEN, 'lk')).toEqual({
      prefix: 'lk',
      keyId: KEY_ID,
      secret: SECRET,
      checksum: TOKEN.slice(-6),
    });
  });

  it('round-trips for any prefix, key id and secret', () => {
    fc.assert(
      fc.property(prefixArb, base62(KEY_ID_LENGTH), base62(SECRET_LENGTH), (prefix, keyId, secret) => {
        const token = formatToken(prefix, keyId, secret);
        expect(token).toHaveLength(prefix.length + 1 + KEY_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH);
        const parts = parseToken(token, prefix);
        expect(parts).toEqual({ prefix, keyId, secret, checksum: token.slice(-CHECKSUM_LENGTH) });
      }),
    );
  });

  it('is matched whole by the secret scanners’ regex, inside surrounding text', () => {
    const text = `export LATCHKEY_TOKEN=${TOKEN}\nAuthorization: Bearer ${TOKEN}.`;
    expect(text.match(scannerRegex('lk'))).toEqual([TOKEN, TOKEN]);
    fc.assert(
      fc.property(prefixArb, base62(KEY_ID_LENGTH), base62(SECRET_LENGTH), (prefix, keyId, secret) => {
        const token = formatToken(prefix, keyId, secret);
        expect(` ${token} `.match(scannerRegex(prefix))).toEqual([token]);
      }),
    );
  });

  it('uses only [A-Za-z0-9_], so a double-click selects it whole', () => {
    expect(TOKEN).toMatch(/^\w+$/);
  });

  describe('rejects, returning null', () => {
    it.each([
      ['the empty string', ''],
      ['another prefix', formatToken('gh', KEY_ID, SECRET)],
      ['an upper-case prefix', `LK${TOKEN.slice(2)}`],
      ['no prefix at all', TOKEN.slice(3)],
      ['the key prefix alone', keyPrefixOf('lk', KEY_ID)],
      ['a missing first underscore', `lk${TOKEN.slice(3)}`],
      ['a missing second underscore', TOKEN.slice(0, 19) + TOKEN.slice(20)],
      ['an extra underscore in the key id', `lk_${KEY_ID.slice(0, 8)}_${KEY_ID.slice(8)}_${TOKEN.slice(20)}`],
      ['an underscore replacing a secret character', `${TOKEN.slice(0, 30)}_${TOKEN.slice(31)}`],
      ['a truncated token', TOKEN.slice(0, -1)],
      ['a token without its checksum', TOKEN.slice(0, -6)],
      ['an extra trailing character', `${TOKEN}a`],
      ['a leading space', ` ${TOKEN}`],
      ['a trailing newline', `${TOKEN}\n`],
      ['a 15-character key id', formatToken('lk', KEY_ID.slice(1), `${SECRET}a`)],
      ['a 17-character key id', formatToken('lk', `${KEY_ID}a`, SECRET.slice(1))],
      ['a 42-character secret', formatToken('lk', KEY_ID, SECRET.slice(1))],
      ['a 44-character secret', formatToken('lk', KEY_ID, `${SECRET}a`)],
    ])('%s', (_, token) => {
      expect(parseToken(token, 'lk')).toBeNull();
    });

    it.each(['-', '+', '/', '=', '.', ' ', 'é', '\u0000'])(
      'a %j in the key id or secret, even with a matching checksum',
      (bad) => {
        const keyId = `${bad}${KEY_ID.slice(1)}`;
        const secret = `${SECRET.slice(0, -1)}${bad}`;
        expect(parseToken(formatToken('lk', keyId, SECRET), 'lk')).toBeNull();
        expect(parseToken(formatToken('lk', KEY_ID, secret), 'lk')).toBeNull();
      },
    );

    it('a token parsed with a different deployment prefix', () => {
      expect(parseToken(TOKEN, 'l')).toBeNull();
      expect(parseToken(TOKEN, 'lkx')).toBeNull();
      expect(parseToken(TOKEN, 'xx')).toBeNull();
    });

    it('every single-character change to the key id, secret or checksum', () => {
      const start = 'lk_'.length;
      let checked = 0;
      for (let i = start; i < TOKEN.length; i++) {
        if (i === start + KEY_ID_LENGTH) continue; // the separator: covered above
        for (const ch of BASE62_ALPHABET) {
          if (ch === TOKEN[i]) continue;
          const mutated = TOKEN.slice(0, i) + ch + TOKEN.slice(i + 1);
          expect(parseToken(mutated, 'lk'), `position ${i} → ${ch}`).toBeNull();
          checked++;
        }
      }
      expect(checked).toBe((TOKEN.length - start - 1) * 61);
    });

    it('swapping two adjacent different characters', () => {
      for (let i = 3; i < TOKEN.length - 1; i++) {
        const a = TOKEN.charAt(i);
        const b = TOKEN.charAt(i + 1);
        if (a === b || a === '_' || b === '_') continue;
        const swapped = TOKEN.slice(0, i) + b + a + TOKEN.slice(i + 2);
        expect(parseToken(swapped, 'lk'), `swap at ${i}`).toBeNull();
      }
    });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        expect(() => parseToken(s, 'lk')).not.toThrow();
      }),
    );
  });
});

describe('keyPrefixOf', () => {
  it('is <prefix>_<keyId>, a prefix of the token that the scanner does not match', () => {
    const keyPrefix = keyPrefixOf('lk', KEY_ID);
    expect(keyPrefix).toBe(`lk_${KEY_ID}`);
    expect(TOKEN.startsWith(`${keyPrefix}_`)).toBe(true);
    expect(keyPrefix.match(scannerRegex('lk'))).toBeNull();
  });
});

describe('deriveSecret', () => {
  it('is HMAC-SHA256(master, keyId ":" salt) as a 43-character base62 number', () => {
    const mac = createHmac('sha256', MASTER).update(`${KEY_ID}:${SALT}`).digest('hex');
    expect(SECRET).toHaveLength(SECRET_LENGTH);
    expect(isBase62(SECRET)).toBe(true);
    expect(decodeBase62(SECRET)).toBe(BigInt(`0x${mac}`));
  });

  it('is deterministic', () => {
    expect(deriveSecret(MASTER, KEY_ID, SALT)).toBe(SECRET);
    expect(tokenFor('lk', MASTER, KEY_ID, SALT)).toBe(TOKEN);
  });

  it('is keyed: a different master secret, salt or key id gives a different secret', () => {
    const variants = [
      deriveSecret(`${MASTER}x`, KEY_ID, SALT),
      deriveSecret('', KEY_ID, SALT),
      deriveSecret(MASTER, KEY_ID, `${SALT.slice(0, -1)}w`),
      deriveSecret(MASTER, `${KEY_ID.slice(0, -1)}B`, SALT),
    ];
    expect(new Set([SECRET, ...variants]).size).toBe(variants.length + 1);
  });

  it('does not let the salt and key id trade characters', () => {
    expect(deriveSecret(MASTER, 'ab', 'c')).not.toBe(deriveSecret(MASTER, 'a', 'bc'));
  });
});

describe('tokenFor', () => {
  it('produces a token that parses, with the given key id', () => {
    const token = tokenFor('acme', MASTER, KEY_ID, SALT);
    expect(parseToken(token, 'acme')?.keyId).toBe(KEY_ID);
    expect(parseToken(token, 'acme')?.secret).toBe(SECRET);
  });
});

describe('the tokenPrefix list', () => {
  it.each(['lk', 'acme,lk', 'a,b,c,d', `${'a'.repeat(16)},${'9'.repeat(16)}`])('accepts %j', (list) => {
    expect(PREFIX_LIST_RE.test(list) && hasDistinctPrefixes(list)).toBe(true);
    expect(splitPrefixes(list).join(',')).toBe(list);
  });

  it.each([
    '',
    ',',
    'acme,',
    ',lk',
    'acme,,lk',
    'acme, lk',
    'acme;lk',
    'ACME,lk',
    'acme,l_k',
    `acme,${'a'.repeat(17)}`,
    Array.from({ length: MAX_TOKEN_PREFIXES + 1 }, (_, i) => `p${i}`).join(','),
  ])('refuses the shape %j', (list) => {
    expect(PREFIX_LIST_RE.test(list)).toBe(false);
  });

  it('refuses a prefix listed twice', () => {
    expect(hasDistinctPrefixes('acme,lk,acme')).toBe(false);
    expect(hasDistinctPrefixes('lk,lk')).toBe(false);
    expect(hasDistinctPrefixes('lk,lk2')).toBe(true);
  });

  it('splits in order, the first being the one new keys get', () => {
    expect(splitPrefixes('acme,lk')).toEqual(['acme', 'lk']);
    expect(splitPrefixes('lk')).toEqual(['lk']);
  });
});

describe('parseTokenOf', () => {
  const ACME = formatToken('acme', KEY_ID, SECRET);

  it('parses a token of any accepted prefix, with its own prefix', () => {
    expect(parseTokenOf(TOKEN, ['acme', 'lk'])).toEqual(parseToken(TOKEN, 'lk'));
    expect(parseTokenOf(ACME, ['acme', 'lk'])?.prefix).toBe('acme');
    expect(parseTokenOf(ACME, ['lk', 'acme'])?.prefix).toBe('acme');
  });

  it('refuses a token of a prefix not listed, and prefixes that only start the same way', () => {
    expect(parseTokenOf(TOKEN, ['acme'])).toBeNull();
    expect(parseTokenOf(ACME, ['ac', 'acm', 'acmex'])).toBeNull();
    expect(parseTokenOf(TOKEN, [])).toBeNull();
  });

  it('still checks the checksum under every prefix', () => {
    const wrong = `${ACME.slice(0, -1)}${ACME.endsWith('A') ? 'B' : 'A'}`;
    expect(parseTokenOf(wrong, ['acme', 'lk'])).toBeNull();
    // The checksum covers the prefix: a token's prefix swapped for another accepted one is refused.
    expect(parseTokenOf(`lk${ACME.slice(4)}`, ['acme', 'lk'])).toBeNull();
  });
});

describe('newKeyId / newSalt', () => {
  it('are random base62 of the right length', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newKeyId();
      expect(id).toMatch(KEY_ID_RE);
      ids.add(id);
      const salt = newSalt();
      expect(salt).toHaveLength(SALT_LENGTH);
      expect(isBase62(salt)).toBe(true);
    }
    expect(ids.size).toBe(200);
  });
});
