/**
 * The caller `latchkey/verify` hands your handler: latchkey/integration's caller (the admin key, or an
 * API key with its organization, permissions, metadata and scheme) plus the key's roles, which the
 * verifier reads from the key item itself.
 */
import type { Caller } from '#core/caller';

export type { AdminCaller, Caller, CallerScheme, KeyCaller } from '#core/caller';

/** Who is calling; `roles` is the key's (empty for the admin key). */
export type VerifiedCaller = Caller & { readonly roles: readonly string[] };
