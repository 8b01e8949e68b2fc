import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '#core/crc32';

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('known answer for %j', (input, expected) => {
    expect(crc32(input)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of the string', () => {
    // "é" is C3 A9 in UTF-8; CRC-32 of those two bytes.
    expect(crc32('é')).toBe(zlibCrc32(Buffer.from([0xc3, 0xa9])));
  });

  it('always returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const value = crc32(s);
        expect(Number.isInteger(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(0xffffffff);
      }),
    );
  });

  it('agrees with zlib on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(crc32(s)).toBe(zlibCrc32(Buffer.from(s, 'utf8')));
      }),
    );
  });
});
