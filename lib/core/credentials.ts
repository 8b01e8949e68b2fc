/**
 * The Authorization header parser: `Bearer <token>`, `Bearer <admin key>` or `ARMOR-PSK <credentials>`,
 * read as RFC 9110 §11 says — only space and horizontal tab separate the scheme from its credentials
 * (JavaScript's `\s` would also take a no-break space and other Unicode spaces).
 */
import { type ArmorCredentials, parseArmorCredentials } from './armor';
import type { ParseFailure } from './refusals';
import { CHECKSUM_LENGTH, KEY_ID_LENGTH, parseToken, SECRET_LENGTH, type TokenParts } from './token';

/** The admin key's shape: what Secrets Manager generates with punctuation excluded. */
export const ADMIN_KEY_RE = /^[A-Za-z0-9]{32,128}$/;
/**
 * Length of the admin key and the signing master secret latchkey generates — by Secrets Manager at
 * deploy time, by the rotation function, and by local mode: letters and digits only, within `ADMIN_KEY_RE`.
 */
export const GENERATED_SECRET_LENGTH = 64;

/**
 * How a request proved who it is: `bearer` (a token or the admin key), `armor` (an ARMOR-PSK
 * signature) or `rfc9421` (an RFC 9421 HTTP Message Signature, docs/protocol.md §2.7). The authorizer context and the integrations read it; the Authorization header's own
 * spellings of the schemes are `AuthScheme` in wire.ts.
 */
export type CredentialScheme = 'bearer' | 'armor' | 'rfc9421';

export type ParsedCredential =
  | { scheme: 'bearer'; kind: 'token'; token: string; parts: TokenParts }
  | { scheme: 'bearer'; kind: 'admin'; value: string }
  | { scheme: 'armor'; kind: 'signed'; armor: ArmorCredentials };

export type ParseResult = { ok: true; credential: ParsedCredential } | { ok: false; reason: ParseFailure };

/**
 * Parses an Authorization header value (`Bearer …` or `ARMOR-PSK …`, scheme case-insensitive). A
 * bearer token must be of one of `prefixes` (the deployment's accepted prefixes, or one prefix): a
 * token of any other prefix is `malformed`. Pure and total: never throws, never does I/O, so a
 * malformed credential is refused before any database call.
 */
export function parseAuthorization(
  header: string | undefined | null,
  prefixes: string | readonly string[],
): ParseResult {
  if (header === undefined || header === null || /^[ \t\r\n]*$/.test(header))
    return { ok: false, reason: 'missing' };
  // Padding is space and tab (a trailing CR/LF is tolerated); the separator is space or tab only.
  const match = /^[ \t]*([A-Za-z-]+)[ \t]+([^ \t\r\n]+)[ \t\r\n]*$/.exec(header);
  if (!match) return { ok: false, reason: 'malformed' };
  const scheme = (match[1] as string).toLowerCase();
  const value = match[2] as string;
  if (scheme === 'armor-psk') {
    const armor = parseArmorCredentials(value);
    return armor
      ? { ok: true, credential: { scheme: 'armor', kind: 'signed', armor } }
      : { ok: false, reason: 'malformed' };
  }
  if (scheme !== 'bearer') return { ok: false, reason: 'unsupported_scheme' };
  // A prefix has no `_`, so at most one accepted prefix is followed by one at the start of the value.
  const prefix = (typeof prefixes === 'string' ? [prefixes] : prefixes).find((p) =>
    value.startsWith(`${p}_`),
  );
  if (prefix !== undefined) {
    const parts = parseToken(value, prefix);
    if (parts === null)
      return { ok: false, reason: looksLikeToken(value, prefix) ? 'bad_checksum' : 'malformed' };
    return { ok: true, credential: { scheme: 'bearer', kind: 'token', token: value, parts } };
  }
  if (ADMIN_KEY_RE.test(value)) return { ok: true, credential: { scheme: 'bearer', kind: 'admin', value } };
  return { ok: false, reason: 'malformed' };
}

/** A token's shape (the prefix is letters and digits only, so it needs no escaping). */
function looksLikeToken(value: string, prefix: string): boolean {
  const tail = SECRET_LENGTH + CHECKSUM_LENGTH;
  return new RegExp(`^${prefix}_[A-Za-z0-9]{${KEY_ID_LENGTH}}_[A-Za-z0-9]{${tail}}$`).test(value);
}
