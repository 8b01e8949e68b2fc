/**
 * Client side of ARMOR-PSK (docs/protocol.md §2): builds the `Authorization` and `Content-Digest` headers
 * for one request, as `headers` to spread into any HTTP client's headers and as the parts they are made of. It always signs within the strict signing profile (a nonce of 32 lowercase hex
 * characters), so what it signs is accepted under both profiles. Only node:crypto underneath, so it can
 * ship in an SDK unchanged.
 */
import { randomBytes } from 'node:crypto';
import {
  ARMOR_SCHEME,
  bodyDigestOf,
  canonicalString,
  computeSignature,
  isStrictNonce,
  isValidTimestamp,
  STRICT_NONCE_LENGTH,
} from './armor';
import { KEY_ID_RE } from './token';

export interface SignRequestInput {
  /** The full API-key token, `<prefix>_<keyId>_<secret><checksum>`. */
  token: string;
  method: string;
  /** The URL path as it will be sent (with the stage, e.g. `/prod/v1/keys`); a query string is dropped. */
  path: string;
  body?: string | Uint8Array;
  /** 32 lowercase hex characters (the strict profile). Default: 16 random bytes in hex. */
  nonce?: string;
  /** Unix seconds; default: now. */
  timestamp?: number;
}

/** The HTTP headers of a signed request, by their wire names: spread them into `fetch`'s headers. */
export interface ArmorHeaders {
  authorization: string;
  /** Only when the body is non-empty. */
  'content-digest'?: string;
}

/** What `signRequest` returns: the headers to send, and the values they are made of. */
export interface ArmorSignature {
  /** Exactly the headers to send: `fetch(url, { headers: { ...signed.headers, … } })`. */
  headers: ArmorHeaders;
  /** Full `Authorization` header value: `ARMOR-PSK <keyId>:<signature>:<nonce>:<timestamp>`. */
  authorization: string;
  /** `Content-Digest` header value, present only when the body is non-empty. */
  contentDigest?: string;
  nonce: string;
  timestamp: number;
}

/** The `Content-Digest` header value for a body (`sha-512=:<b64>:`), or undefined for an empty body. */
export function contentDigestHeader(body: string | Uint8Array | undefined | null): string | undefined {
  const digest = bodyDigestOf(body ?? '');
  return digest === '' ? undefined : `sha-512=:${digest}:`;
}

/** The keyId of a token `<prefix>_<keyId>_<rest>`, without requiring a particular prefix. */
export function keyIdOfToken(token: string): string | null {
  if (typeof token !== 'string') return null;
  const parts = token.split('_');
  if (parts.length !== 3) return null;
  const [prefix, keyId, rest] = parts as [string, string, string];
  if (prefix === '' || rest === '' || !KEY_ID_RE.test(keyId)) return null;
  return keyId;
}

/** Signs one request. Throws (without echoing the token) when an input cannot be signed. */
export function signRequest(input: SignRequestInput): ArmorSignature {
  const keyId = keyIdOfToken(input.token);
  if (keyId === null) throw new TypeError('token is not of the form <prefix>_<keyId>_<secret>');
  const method = input.method.toUpperCase();
  if (!/^[A-Z0-9!#$%&'*+.^_`|~-]+$/.test(method)) throw new TypeError('method is not an HTTP token');
  const path = stripQuery(input.path);
  const nonce = input.nonce ?? randomBytes(STRICT_NONCE_LENGTH / 2).toString('hex');
  if (!isStrictNonce(nonce)) throw new TypeError('nonce must be 32 lowercase hex characters');
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || !isValidTimestamp(String(timestamp))) {
    throw new TypeError('timestamp must be a non-negative integer of Unix seconds (at most 12 digits)');
  }
  const bodyDigest = bodyDigestOf(input.body ?? '');
  const signature = computeSignature(
    input.token,
    canonicalString({ keyId, method, path, nonce, timestamp: String(timestamp), bodyDigest }),
  );
  const authorization = `${ARMOR_SCHEME} ${keyId}:${signature}:${nonce}:${timestamp}`;
  if (bodyDigest === '') return { headers: { authorization }, authorization, nonce, timestamp };
  const contentDigest = `sha-512=:${bodyDigest}:`;
  return {
    headers: { authorization, 'content-digest': contentDigest },
    authorization,
    contentDigest,
    nonce,
    timestamp,
  };
}

function stripQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}
