/**
 * fast-check generators for the inputs the property tests share: base62 strings, token prefixes, key
 * ids and salts, ARMOR-PSK nonces, HTTP methods and request paths, and the number of runs each
 * property gets.
 */
import fc from 'fast-check';
import { BASE62_ALPHABET } from '#core/base62';

/** Every property runs at least this many cases. */
export const RUNS = { numRuns: 1_000 };

/** A base62 string of exactly `length` characters. */
export const base62 = (length: number) =>
  fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET), minLength: length, maxLength: length });

/** A token prefix: 1–16 lowercase letters or digits. */
export const prefixArb = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 16,
});

/** A key id (16 base62 characters) and a per-key salt (22). */
export const keyIdArb = base62(16);
export const saltArb = base62(22);

/** A valid nonce: 1–128 printable ASCII characters without a colon. */
export const nonceArb = fc.string({
  unit: fc
    .integer({ min: 0x21, max: 0x7e })
    .filter((c) => c !== 0x3a)
    .map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 128,
});

/** One of the usual HTTP methods. */
export const methodArb = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE');

/** A URL path starting with `/`. */
export const pathArb = fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`));

/** A nonce of the strict signing profile, the only kind latchkey's signer takes: 32 lowercase hex. */
export const strictNonceArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));
