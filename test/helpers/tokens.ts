/**
 * Wrong tokens made from a right one, always different from it: one with a bad checksum (its last
 * character changed to one it is not), refused before any lookup, and one for the same key with
 * another secret and a valid checksum, refused as a wrong secret.
 */
import { formatToken, parseToken, SECRET_LENGTH } from '#core/token';

/** The token with its last character replaced by another: its checksum no longer matches. */
export function withBadChecksum(token: string): string {
  return `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
}

/** A token for the same key with a secret that differs from the token's own, correctly checksummed. */
export function withWrongSecret(token: string): string {
  const parts = parseToken(token, token.slice(0, token.indexOf('_')));
  if (parts === null) throw new Error('not a token');
  const [a, b] = ['A'.repeat(SECRET_LENGTH), 'B'.repeat(SECRET_LENGTH)];
  return formatToken(parts.prefix, parts.keyId, parts.secret === a ? b : a);
}
