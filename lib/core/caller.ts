/**
 * Who is calling, as your own code sees it: the admin key, or an API key with its organization, frozen
 * permissions, metadata and how it was verified. `latchkey/integration` reads it from the authorizer's
 * context (`getCaller`), `latchkey/verify` from its own verification (where the key's roles are known
 * too). Pure: types and the mapping from a principal.
 */
import type { Principal } from './principal';

/**
 * How the caller was verified: a bearer token (or the admin key), an ARMOR-PSK signature, or an RFC 9421
 * HTTP Message Signature.
 */
export type CallerScheme = 'bearer' | 'armor' | 'rfc9421';

interface CallerBase {
  /**
   * The permissions the credential holds, frozen on the key when it was created (from its roles). The
   * admin key lists latchkey's own permissions and may call every route, whatever it requires.
   */
  readonly permissions: readonly string[];
  readonly scheme: CallerScheme;
  /**
   * The key's metadata (`{}` for the admin key). Entries whose name starts with `op_` were set by the
   * admin key (docs/protocol.md, "Which context values an integration may trust"); any other entry may
   * have been written by a key of the caller's organization: treat it as the tenant's own text.
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/** An API key of an organization. */
export interface KeyCaller extends CallerBase {
  readonly principal: 'key';
  readonly keyId: string;
  readonly orgId: string;
}

/** The deployment's admin key: no key id and no organization. */
export interface AdminCaller extends CallerBase {
  readonly principal: 'admin';
  readonly keyId: null;
  readonly orgId: null;
}

export type Caller = KeyCaller | AdminCaller;

/** The caller of a principal verified with `scheme`, carrying `metadata`. */
export function callerOf(
  principal: Principal,
  scheme: CallerScheme,
  metadata: Readonly<Record<string, string>>,
): Caller {
  const base: CallerBase = { permissions: [...principal.permissions], scheme, metadata };
  return principal.type === 'admin'
    ? { ...base, principal: 'admin', keyId: null, orgId: null }
    : { ...base, principal: 'key', keyId: principal.keyId, orgId: principal.orgId };
}
