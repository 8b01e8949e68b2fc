import { randomBytes } from 'node:crypto';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62_RE = /^[0-9A-Za-z]*$/;

export function isBase62(value: string): boolean {
  return BASE62_RE.test(value);
}

/** Encodes an unsigned big-endian integer (bytes) as base62, left-padded with '0' to `width`. */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return encodeBase62Number(n, width);
}

export function encodeBase62Number(value: bigint, width: number): string {
  let n = value;
  let out = '';
  while (n > 0n) {
    out = BASE62_ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`);
  return out.padStart(width, '0');
}

/** Uniformly random base62 string from a cryptographic source (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 62 * 4 = 248: bytes >= 248 would bias the result, so they are skipped.
      if (b < 248) out += BASE62_ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
