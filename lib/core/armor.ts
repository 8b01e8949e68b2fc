import { constantTimeEqual, hmacSha512Base64, sha512Base64 } from './crypto';
import { KEY_ID_RE } from './token';

/**
 * ARMOR-PSK signed requests (docs/protocol.md §2):
 *
 *   Authorization: ARMOR-PSK <keyId>:<signature>:<nonce>:<timestamp>
 *   signature = base64(HMAC-SHA512(utf8(fullToken), keyId + METHOD + requestPath + nonce + timestamp + bodyDigest))
 *   Content-Digest: sha-512=:<bodyDigest>:      (only when the body is non-empty)
 *
 * Everything here is pure and total: no I/O, no environment, and no function throws on any input.
 */
export { ARMOR_SCHEME } from './wire';
export const TIMESTAMP_SKEW_SECONDS = 300;
/** Nonce records may be deleted this long after their timestamp (the skew window, doubled). */
export const NONCE_TTL_SECONDS = 600;
export const NONCE_MAX_LENGTH = 128;
/** The strict profile's nonce, and the one latchkey's own signer always sends: 16 random bytes in hex. */
export const STRICT_NONCE_LENGTH = 32;
/** Decimal digits of the timestamp (Unix seconds: enough until the year 33658). */
const TIMESTAMP_MAX_DIGITS = 12;
/** The credentials after `ARMOR-PSK `: key id, signature, nonce and timestamp fit well within this. */
const CREDENTIALS_MAX_LENGTH = 512;
/** A whole ARMOR-PSK Authorization header, padding included. */
const HEADER_MAX_LENGTH = 1024;

export interface ArmorCredentials {
  keyId: string;
  /** Standard padded base64 of the 64-byte HMAC-SHA512, exactly as presented. */
  signature: string;
  nonce: string;
  /** Unix seconds. */
  timestamp: number;
  /** The timestamp exactly as sent; this, not `timestamp`, goes into the canonical string. */
  timestampRaw: string;
}

export interface CanonicalInput {
  keyId: string;
  method: string;
  /** URL path as the client sent it: no scheme, host, port or query string. */
  path: string;
  nonce: string;
  /** The raw string as sent (preferred), or a non-negative integer. */
  timestamp: string | number;
  /** '' for an empty body, else base64 SHA-512 of the body (the Content-Digest sha-512 value). */
  bodyDigest: string;
}

/**
 * Base64 of exactly 64 bytes, canonical: 86 symbols then '=='; the 86th symbol carries 2 data bits
 * and 4 zero padding bits, so it must be one of A, Q, g, w. Rejects base64url, unpadded and
 * non-canonical encodings, so one MAC has exactly one accepted spelling.
 */
const SHA512_B64_RE = /^[A-Za-z0-9+/]{85}[AQgw]==$/;
/** 1–128 printable ASCII characters (0x21–0x7E) except ':'. */
const NONCE_RE = new RegExp(`^[\\x21-\\x39\\x3b-\\x7e]{1,${NONCE_MAX_LENGTH}}$`);
const STRICT_NONCE_RE = new RegExp(`^[0-9a-f]{${STRICT_NONCE_LENGTH}}$`);
/**
 * Decimal Unix seconds, at most 12 digits, no sign and no leading zeros. Leading zeros are refused
 * because the canonical string has no separators: with them, a trailing '0' of a nonce could be moved
 * into the timestamp (`n0`+`1700000000` = `n`+`01700000000`), giving a fresh nonce for the same MAC.
 */
const TIMESTAMP_RE = new RegExp(`^(?:0|[1-9][0-9]{0,${TIMESTAMP_MAX_DIGITS - 1}})$`);
const ARMOR_HEADER_RE = /^[ \t]*ARMOR-PSK[ \t]+(\S+)[ \t]*$/i;

/**
 * Whether a nonce fits the strict signing profile: exactly 32 lowercase hex characters. With a nonce of
 * fixed length, and a timestamp that must be within ±300 s (so it cannot gain or lose a digit), the
 * canonical string splits one way only: no character can move between the path and the nonce.
 */
export function isStrictNonce(nonce: string): boolean {
  return typeof nonce === 'string' && STRICT_NONCE_RE.test(nonce);
}

export function isValidTimestamp(timestamp: string): boolean {
  return typeof timestamp === 'string' && TIMESTAMP_RE.test(timestamp);
}

/**
 * Parses the credentials part of `Authorization: ARMOR-PSK <keyId>:<signature>:<nonce>:<timestamp>`
 * (everything after the scheme name and its separating whitespace, with no surrounding whitespace).
 * Returns null for anything malformed.
 */
export function parseArmorCredentials(value: string): ArmorCredentials | null {
  if (typeof value !== 'string' || value.length > CREDENTIALS_MAX_LENGTH) return null;
  const fields = value.split(':');
  if (fields.length !== 4) return null;
  const [keyId, signature, nonce, timestampRaw] = fields as [string, string, string, string];
  if (!KEY_ID_RE.test(keyId)) return null;
  if (!SHA512_B64_RE.test(signature)) return null;
  if (!NONCE_RE.test(nonce)) return null;
  if (!TIMESTAMP_RE.test(timestampRaw)) return null;
  return { keyId, signature, nonce, timestamp: Number(timestampRaw), timestampRaw };
}

/**
 * Parses a whole Authorization header value whose scheme is ARMOR-PSK (case-insensitive); null when
 * the scheme differs or the credentials are malformed.
 */
export function parseArmorAuthorization(header: string | null | undefined): ArmorCredentials | null {
  if (typeof header !== 'string' || header.length > HEADER_MAX_LENGTH) return null;
  const match = ARMOR_HEADER_RE.exec(header);
  if (!match) return null;
  return parseArmorCredentials(match[1] as string);
}

/** `keyId + METHOD + requestPath + nonce + timestamp + bodyDigest`, no separators. */
export function canonicalString(input: CanonicalInput): string {
  const method = String(input.method).replace(/[a-z]+/g, (s) => s.toUpperCase());
  const timestamp = typeof input.timestamp === 'number' ? String(input.timestamp) : input.timestamp;
  return `${input.keyId}${method}${input.path}${input.nonce}${timestamp}${input.bodyDigest}`;
}

/** Base64 HMAC-SHA512 of the canonical string, keyed with the UTF-8 bytes of the full token. */
export function computeSignature(token: string, canonical: string): string {
  return hmacSha512Base64(token, canonical);
}

/** Constant-time comparison of the expected and presented signatures. */
export function signatureMatches(expected: string, presented: string): boolean {
  if (typeof expected !== 'string' || typeof presented !== 'string') return false;
  return constantTimeEqual(expected, presented);
}

/** Computes the expected signature for parsed credentials and compares it in constant time. */
export function verifyArmorSignature(
  token: string,
  credentials: ArmorCredentials,
  request: { method: string; path: string; bodyDigest: string },
): boolean {
  const expected = computeSignature(
    token,
    canonicalString({
      keyId: credentials.keyId,
      method: request.method,
      path: request.path,
      nonce: credentials.nonce,
      timestamp: credentials.timestampRaw,
      bodyDigest: request.bodyDigest,
    }),
  );
  return signatureMatches(expected, credentials.signature);
}

/** Base64 SHA-512 of the body bytes (strings are UTF-8 encoded); '' for an empty body. */
export function bodyDigestOf(body: Uint8Array | string): string {
  if (!isBody(body) || body.length === 0) return '';
  return sha512Base64(body);
}

/**
 * Extracts the `sha-512` member of an RFC 9530 `Content-Digest` header (an RFC 8941 dictionary),
 * e.g. `sha-256=:…:, sha-512=:…:`. Keys are lower case (RFC 8941 §3.2, RFC 9530): a member whose key has
 * an upper-case letter (`SHA-512=`) makes the whole header malformed. The value must be a byte
 * sequence holding canonical padded standard base64 of 64 bytes. Returns that base64 string, or null
 * when the header is absent, is not a well-formed dictionary, has no such member, or has a malformed one.
 *
 * The signature covers this header's value, so it is read one way only, the way RFC 8941 serialises it:
 * no whitespace before or after the value or a member, members separated by `,` and optional spaces,
 * a `sha-512` member listed once and without parameters (`sha-512=:…:;x=1` is refused). Anything a
 * proxy or an integration could read differently is refused rather than guessed at.
 */
export function parseContentDigest(header: string | undefined): string | null {
  if (typeof header !== 'string' || header.length > 8192) return null;
  const members = splitDictionary(header);
  if (members === null) return null;
  let found: string | null = null;
  for (const member of members) {
    const match = /^([a-z*][a-z0-9_.*-]*)(?:=(.*))?$/s.exec(member);
    if (!match) return null;
    if (match[1] !== 'sha-512') continue;
    // Exactly one byte sequence: no parameters, and no second `sha-512` member.
    const value = /^:([^:]*):$/.exec(match[2] ?? '');
    if (found !== null || !value || !SHA512_B64_RE.test(value[1] as string)) return null;
    found = value[1] as string;
  }
  return found;
}

/**
 * Splits a structured-field dictionary into members at top-level commas, respecting quoted strings
 * (with backslash escapes), byte sequences and inner lists. A comma may be followed by spaces; any
 * other whitespace around a member (leading, trailing, before a comma, tabs) makes the header
 * malformed. Null when it is malformed, unbalanced or a member is empty.
 */
function splitDictionary(header: string): string[] | null {
  if (header === '') return [];
  const members: string[] = [];
  let current = '';
  let inString = false;
  let inBytes = false;
  let depth = 0;
  const push = (member: string): boolean => {
    if (member === '' || /^\s|\s$/.test(member)) return false;
    members.push(member);
    return true;
  };
  for (let i = 0; i < header.length; i++) {
    const c = header[i] as string;
    if (inString) {
      current += c;
      if (c === '\\') {
        if (i + 1 >= header.length) return null;
        current += header[++i] as string;
      } else if (c === '"') inString = false;
      continue;
    }
    if (inBytes) {
      current += c;
      if (c === ':') inBytes = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === ':') inBytes = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return null;
      depth--;
    } else if (c === ',' && depth === 0) {
      if (!push(current)) return null;
      current = '';
      while (header[i + 1] === ' ') i++;
      continue;
    }
    current += c;
  }
  if (inString || inBytes || depth !== 0) return null;
  return push(current) ? members : null;
}

/** Whether a signed timestamp (Unix seconds) is within ±skew of the clock (inclusive). */
export function checkTimestamp(
  timestamp: number,
  nowMs: number,
  skewSeconds = TIMESTAMP_SKEW_SECONDS,
): 'ok' | 'stale' | 'future' {
  if (!Number.isFinite(timestamp) || !Number.isFinite(nowMs) || !Number.isFinite(skewSeconds)) return 'stale';
  const nowSeconds = Math.floor(nowMs / 1000);
  if (timestamp < nowSeconds - skewSeconds) return 'stale';
  if (timestamp > nowSeconds + skewSeconds) return 'future';
  return 'ok';
}

/**
 * For code that sees the body (every latchkey Lambda, and your own integrations): the authorizer
 * verified the signature over the Content-Digest value, so the body itself must match it.
 *
 * - `ok`: the header's sha-512 matches the body (an empty body may carry the digest of no bytes);
 * - `missing`: non-empty body without a usable `sha-512` member;
 * - `mismatch`: the digest does not match the body (including an empty body with a non-empty claim);
 * - `not_expected`: empty body and no digest claimed; nothing to check.
 *
 * Pass the raw body bytes (decode API Gateway's base64 bodies first).
 */
export function verifyBodyDigest(
  body: string | Uint8Array | null,
  contentDigestHeader: string | undefined,
): 'ok' | 'missing' | 'mismatch' | 'not_expected' {
  const bytes = body ?? '';
  if (!isBody(bytes)) return 'mismatch';
  const claimed = parseContentDigest(contentDigestHeader);
  if (bytes.length === 0) {
    if (claimed === null) return 'not_expected';
    return constantTimeEqual(claimed, sha512Base64('')) ? 'ok' : 'mismatch';
  }
  if (claimed === null) return 'missing';
  // Constant time like every other credential comparison, though a body's digest is no secret.
  return constantTimeEqual(claimed, sha512Base64(bytes)) ? 'ok' : 'mismatch';
}

function isBody(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}
