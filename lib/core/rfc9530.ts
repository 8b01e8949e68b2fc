/**
 * RFC 9530 `Content-Digest` for RFC 9421 requests (docs/protocol.md §2.7): the `sha-256` and `sha-512`
 * members of the field, and the check of a body against them, for whatever sees the body. Kept apart from
 * the signature code so that `latchkey/integration` carries only this. Pure and total.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The longest `Content-Digest` value accepted. */
const CONTENT_DIGEST_MAX_LENGTH = 1024;
/** RFC 9530 digests this profile reads, with their lengths in bytes. */
const DIGESTS = { 'sha-256': ['sha256', 32], 'sha-512': ['sha512', 64] } as const;

/** One dictionary member as RFC 9530 writes it: an algorithm key and a byte sequence, no parameters. */
const MEMBER_RE = /^([a-z*][a-z0-9_\-.*]*)=:([A-Za-z0-9+/]*={0,2}):$/;

/**
 * The `sha-256` and `sha-512` members of a `Content-Digest` field (RFC 9530), each canonical base64 of
 * the right length; members of other algorithms are skipped. Stricter than RFC 8941 allows, and small
 * enough for `latchkey/integration`: every member must be a key and a byte sequence without parameters,
 * and no key may repeat. Null when the field is malformed or has neither.
 */
export function parseRfc9530Digest(header: string | undefined): Map<'sha-256' | 'sha-512', Buffer> | null {
  if (header === undefined || header.length > CONTENT_DIGEST_MAX_LENGTH) return null;
  const out = new Map<'sha-256' | 'sha-512', Buffer>();
  const seen = new Set<string>();
  for (const member of header.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]*,[ \t]*/)) {
    const match = MEMBER_RE.exec(member);
    if (!match) return null;
    const [, key = '', b64 = ''] = match;
    if (seen.has(key)) return null;
    seen.add(key);
    if (key !== 'sha-256' && key !== 'sha-512') continue;
    const value = Buffer.from(b64, 'base64');
    if (value.length !== DIGESTS[key][1] || value.toString('base64') !== b64) return null;
    out.set(key, value);
  }
  return out.size === 0 ? null : out;
}

/**
 * For code that sees the body of an RFC 9421 request: every `sha-256`/`sha-512` digest its
 * `Content-Digest` holds must match the body. `not_expected`: no body and no field.
 */
export function verifyRfc9530Body(
  body: string | Uint8Array | null,
  header: string | undefined,
): 'ok' | 'missing' | 'mismatch' | 'not_expected' {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? new Uint8Array());
  if (header === undefined) return bytes.length === 0 ? 'not_expected' : 'missing';
  const digests = parseRfc9530Digest(header);
  if (digests === null) return 'mismatch';
  for (const [name, claimed] of digests) {
    const actual = createHash(DIGESTS[name][0]).update(bytes).digest();
    if (!timingSafeEqual(actual, claimed)) return 'mismatch';
  }
  return 'ok';
}
