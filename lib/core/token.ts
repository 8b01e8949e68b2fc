import { createHmac } from 'node:crypto';
import { encodeBase62, encodeBase62Number, isBase62, randomBase62 } from './base62';
import { crc32 } from './crc32';
import { constantTimeEqual, sha256Hex } from './crypto';

/**
 * API-key tokens: `<prefix>_<keyId>_<secret><checksum>`.
 *
 * - keyId: 16 random base62 characters (≈95 bits), the key's public id.
 * - secret: 43 base62 characters holding the 256-bit HMAC-SHA256(master, keyId ‖ salt).
 * - checksum: 6 base62 characters, CRC-32 of everything before it, so typos and truncated
 *   tokens are refused without any database call.
 */
export const KEY_ID_LENGTH = 16;
export const SECRET_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
export const SALT_LENGTH = 22;
/** A deployment's token prefix is 1 to this many lowercase letters or digits. */
export const PREFIX_MAX_LENGTH = 16;
export const PREFIX_RE = new RegExp(`^[a-z0-9]{1,${PREFIX_MAX_LENGTH}}$`);
/** `PREFIX_RE` in words, for error messages, the help and the docs. */
export const PREFIX_RULE = `1-${PREFIX_MAX_LENGTH} lowercase letters or digits`;
/**
 * A deployment accepts at most this many prefixes at once: the one new keys get and the ones it is
 * moving away from (changing the prefix needs two).
 */
export const MAX_TOKEN_PREFIXES = 4;
/** The `tokenPrefix` setting: prefixes separated by commas, the first for new keys (duplicates: `hasDistinctPrefixes`). */
export const PREFIX_LIST_RE = new RegExp(
  `^[a-z0-9]{1,${PREFIX_MAX_LENGTH}}(?:,[a-z0-9]{1,${PREFIX_MAX_LENGTH}}){0,${MAX_TOKEN_PREFIXES - 1}}$`,
);
/** `PREFIX_LIST_RE` and `hasDistinctPrefixes` in words. */
export const PREFIX_LIST_RULE =
  `1-${MAX_TOKEN_PREFIXES} distinct prefixes separated by commas (the first for new keys), ` +
  `each ${PREFIX_RULE}`;
/** The prefixes a deployment accepts, the first being the one new keys get. */
export type TokenPrefixes = readonly [string, ...string[]];
export const KEY_ID_RE = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`);

export interface TokenParts {
  prefix: string;
  keyId: string;
  secret: string;
  checksum: string;
}

export function assertValidPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new Error(`token prefix must be ${PREFIX_RULE}, got ${JSON.stringify(prefix)}`);
  }
}

/** True when no prefix of a comma-separated list appears twice. */
export function hasDistinctPrefixes(list: string): boolean {
  const prefixes = list.split(',');
  return new Set(prefixes).size === prefixes.length;
}

/** The prefixes of a `tokenPrefix` value already checked against `PREFIX_LIST_RE`, in order. */
export function splitPrefixes(list: string): TokenPrefixes {
  const [first = '', ...rest] = list.split(',');
  return [first, ...rest];
}

export function checksumOf(body: string): string {
  return encodeBase62Number(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function newKeyId(): string {
  return randomBase62(KEY_ID_LENGTH);
}

export function newSalt(): string {
  return randomBase62(SALT_LENGTH);
}

/** The token's secret part: a keyed PRF, so the table alone (salt, hash) never yields a token. */
export function deriveSecret(masterSecret: string, keyId: string, salt: string): string {
  const mac = createHmac('sha256', Buffer.from(masterSecret, 'utf8'))
    .update(`${keyId}:${salt}`, 'utf8')
    .digest();
  return encodeBase62(mac, SECRET_LENGTH);
}

export function formatToken(prefix: string, keyId: string, secret: string): string {
  const body = `${prefix}_${keyId}_${secret}`;
  return body + checksumOf(body);
}

/** The full token for a key, re-derived from the master secret and the key's non-secret salt. */
export function tokenFor(prefix: string, masterSecret: string, keyId: string, salt: string): string {
  return formatToken(prefix, keyId, deriveSecret(masterSecret, keyId, salt));
}

/**
 * The key's token re-derived from the master secret under the prefix of `prefixes` whose hash is the
 * stored one, or null when none is (a key of a prefix no longer accepted, or a record the master secret
 * did not make). Every prefix is tried, so the time taken does not depend on which one matches.
 */
export function issuedToken(
  prefixes: readonly string[],
  masterSecret: string,
  record: { readonly id: string; readonly salt: string; readonly key_hash: string | null },
): { prefix: string; token: string } | null {
  let found: { prefix: string; token: string } | null = null;
  for (const prefix of prefixes) {
    const token = tokenFor(prefix, masterSecret, record.id, record.salt);
    if (hashMatches(record.key_hash, sha256Hex(token)) && found === null) found = { prefix, token };
  }
  return found;
}

/**
 * Whether a token's hash is a key's stored one, in constant time. Never for a public-key key: it has no
 * hash (null), so no token, bearer or ARMOR-PSK, authenticates as it.
 */
export function hashMatches(keyHash: string | null, tokenHash: string): boolean {
  return keyHash !== null && constantTimeEqual(keyHash, tokenHash);
}

export function keyPrefixOf(prefix: string, keyId: string): string {
  return `${prefix}_${keyId}`;
}

/**
 * Parses a token of this deployment's prefix. Returns null for anything that is not a well-formed
 * token with a correct checksum. Pure: no I/O, no exceptions.
 */
export function parseToken(token: string, prefix: string): TokenParts | null {
  const expectedLength = prefix.length + 1 + KEY_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
  if (typeof token !== 'string' || token.length !== expectedLength) return null;
  if (!token.startsWith(`${prefix}_`)) return null;
  const keyId = token.slice(prefix.length + 1, prefix.length + 1 + KEY_ID_LENGTH);
  const sep = token.charAt(prefix.length + 1 + KEY_ID_LENGTH);
  const tail = token.slice(prefix.length + 2 + KEY_ID_LENGTH);
  if (sep !== '_' || !isBase62(keyId) || !isBase62(tail)) return null;
  const secret = tail.slice(0, SECRET_LENGTH);
  const checksum = tail.slice(SECRET_LENGTH);
  if (checksumOf(token.slice(0, token.length - CHECKSUM_LENGTH)) !== checksum) return null;
  return { prefix, keyId, secret, checksum };
}

/**
 * Parses a token of any of the accepted prefixes (the one it starts with, followed by `_`: a prefix has
 * no `_`, so at most one can), checksum included. Null as `parseToken`.
 */
export function parseTokenOf(token: string, prefixes: readonly string[]): TokenParts | null {
  if (typeof token !== 'string') return null;
  const prefix = prefixes.find((candidate) => token.startsWith(`${candidate}_`));
  return prefix === undefined ? null : parseToken(token, prefix);
}
