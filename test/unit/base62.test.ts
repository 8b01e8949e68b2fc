import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, encodeBase62, encodeBase62Number, isBase62, randomBase62 } from '#core/base62';

/** Independent decoder, so encoding is checked against arithmetic rather than against itself. */
function decodeBase62(value: string): bigint {
  let n = 0n;
  for (const ch of value) {
    const digit = BASE62_ALPHABET.indexOf(ch);
    if (digit < 0) throw new Error(`not base62: ${ch}`);
    n = n * 62n + BigInt(digit);
  }
  return n;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

describe('BASE62_ALPHABET', () => {
  it('is the 62 characters 0-9, A-Z, a-z in ASCII order, each once', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect([...BASE62_ALPHABET].sort().join('')).toBe(BASE62_ALPHABET);
    expect(BASE62_ALPHABET).toMatch(/^[0-9A-Za-z]{62}$/);
  });
});

describe('isBase62', () => {
  it.each(['', '0', 'abcXYZ019', BASE62_ALPHABET])('accepts %j', (value) => {
    expect(isBase62(value)).toBe(true);
  });

  it.each(['_', '-', '+', '/', '=', ' ', 'abc ', 'a\nb', 'é', 'ａ', 'abc_def'])('rejects %j', (value) => {
    expect(isBase62(value)).toBe(false);
  });
});

describe('encodeBase62Number', () => {
  it.each([
    [0n, 1, '0'],
    [0n, 4, '0000'],
    [9n, 1, '9'],
    [10n, 1, 'A'],
    [35n, 1, 'Z'],
    [36n, 1, 'a'],
    [61n, 1, 'z'],
    [62n, 2, '10'],
    [3843n, 2, 'zz'],
    [3844n, 3, '100'],
  ])('encodes %s in width %i as %j', (value, width, expected) => {
    expect(encodeBase62Number(value, width)).toBe(expected);
  });

  it('throws a RangeError when the value does not fit the width', () => {
    expect(() => encodeBase62Number(62n, 1)).toThrow(RangeError);
    expect(() => encodeBase62Number(62n ** 43n, 43)).toThrow(RangeError);
  });

  it('fits the largest value of a width exactly', () => {
    expect(encodeBase62Number(62n ** 43n - 1n, 43)).toBe('z'.repeat(43));
  });

  it('round-trips through an independent decoder', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 62n ** 20n - 1n }), (n) => {
        const encoded = encodeBase62Number(n, 20);
        expect(encoded).toHaveLength(20);
        expect(decodeBase62(encoded)).toBe(n);
      }),
    );
  });
});

describe('encodeBase62', () => {
  it('treats bytes as a big-endian unsigned integer', () => {
    expect(encodeBase62(Uint8Array.of(0x01, 0x00), 3)).toBe(encodeBase62Number(256n, 3));
    expect(encodeBase62(new Uint8Array(0), 2)).toBe('00');
    expect(encodeBase62(Uint8Array.of(0, 0, 0), 1)).toBe('0');
  });

  it('fits any 256-bit value in 43 characters (the token secret width)', () => {
    expect(encodeBase62(new Uint8Array(32).fill(0xff), 43)).toHaveLength(43);
    expect(decodeBase62(encodeBase62(new Uint8Array(32).fill(0xff), 43))).toBe(2n ** 256n - 1n);
  });

  it('round-trips arbitrary byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 32 }), (bytes) => {
        const encoded = encodeBase62(bytes, 43);
        expect(encoded).toMatch(/^[0-9A-Za-z]{43}$/);
        expect(decodeBase62(encoded)).toBe(bytesToBigInt(bytes));
      }),
    );
  });
});

describe('randomBase62', () => {
  it.each([0, 1, 16, 22, 43, 1000])('returns exactly %i alphabet characters', (length) => {
    const value = randomBase62(length);
    expect(value).toHaveLength(length);
    expect(isBase62(value)).toBe(true);
  });

  it('does not repeat itself', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomBase62(16)));
    expect(seen.size).toBe(1000);
  });

  it('is uniform over the alphabet (no modulo bias)', () => {
    // 620,000 draws: 10,000 expected per character, σ ≈ 99. A plain `byte % 62` would give the
    // first 8 characters ≈ 12,100 each, far outside ±600 (≈ 6σ, so this never flakes).
    const counts = new Map<string, number>();
    for (const ch of randomBase62(620_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(9_400);
      expect(count).toBeLessThan(10_600);
    }
  });
});
