/**
 * The management domain's records: a key as stored (`KeyRecord`), its status, an organization, and the
 * mapping to the key as shown (`toApiKey`, an explicit allow-list of fields). The shown shapes (`ApiKey`,
 * `KeyStatus`, the audit event: who changed what, written in the same transaction as the change) are
 * wire vocabulary, defined in wire.ts and re-exported here. Pure: no I/O.
 */

import { effectiveCredits, type KeyCredits } from './credits';
import type { Permission } from './permissions';
import { keyPrefixOf } from './token';
import type {
  ApiCredits,
  ApiKey,
  AuditChange,
  AuditEvent,
  AuditEventType,
  AuditValue,
  KeyStatus,
  SignatureAlgorithm,
} from './wire';

export { AUDIT_EVENT_TYPES, SIGNATURE_ALGORITHMS } from './wire';
export type { ApiKey, AuditChange, AuditEvent, AuditEventType, AuditValue, KeyStatus, SignatureAlgorithm };

/**
 * A key as stored. Holds a hash and a salt, never a usable secret; a public-key key (`sig_alg`
 * `ed25519`) holds its public key instead, and has no hash and no salt: no token matches it.
 */
export interface KeyRecord {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  /** SHA-256 (hex) of the full token; null for a public-key key (it has no token). */
  key_hash: string | null;
  /** Non-secret input to re-derive the token from the signing master secret; '' for a public-key key. */
  salt: string;
  /** The RFC 9421 algorithm the key signs with (item attribute `sig_alg`, absent for `hmac-sha256`). */
  sig_alg: SignatureAlgorithm;
  /** An `ed25519` key's public key: the raw 32 bytes, base64url without padding; else null. */
  public_key: string | null;
  roles: string[];
  permissions: Permission[];
  rate_limit_per_minute: number;
  created_at: string;
  created_by: string;
  /** Epoch milliseconds; null when the key never expires. */
  expires_at_ms: number | null;
  revoked_at: string | null;
  last_used_at: string | null;
  calls: number;
  /** true once the key no longer counts towards its organization's limit (revoked, rotated or expired). */
  released: boolean;
  rotated_from: string | null;
  rotated_to: string | null;
  /** ISO 8601; set while the key is disabled (refused like a revoked key, but it keeps its slot). */
  disabled_at: string | null;
  /** Flat string map passed to integrations (limits: `METADATA_LIMITS` in validation.ts); {} when none. */
  metadata: Record<string, string>;
  /**
   * Canonical CIDRs (`#core/cidr`) a request must come from; [] when the key may be used from anywhere.
   * Checked by the authorizer inside its one conditional write (no extra read).
   */
  allowed_cidrs: string[];
  /**
   * The key's credits (`#core/credits`): each allowed call spends from them in its one write; null: the
   * key is unlimited.
   */
  credits: KeyCredits | null;
  /** The `version` of the key's last audit event (0: none versioned yet); each change's transaction is conditional on it. */
  audit_version: number;
  /** Epoch milliseconds of the key's last audit event (null: none versioned yet); the next is dated after it. */
  audit_at_ms: number | null;
}

export interface OrgRecord {
  org_id: string;
  /** The plan the organization is on (its limit follows the plan's), or null. */
  plan: string | null;
  /** The effective limit (the plan's when on a plan); null = unlimited. */
  max_keys: number | null;
  active_keys: number;
}

/**
 * Whether a key's credential works, and if not why: what the authorizer and the management API's
 * caller check read. A rotated key in its grace period is `active` here (it still authenticates); once
 * the grace period is over its expiry has passed.
 */
export type CredentialStatus = Extract<KeyStatus, 'active' | 'revoked' | 'expired' | 'disabled'>;

export function keyStatus(
  record: Pick<KeyRecord, 'revoked_at' | 'expires_at_ms' | 'disabled_at'>,
  nowMs: number,
): CredentialStatus {
  if (record.revoked_at !== null) return 'revoked';
  if (record.expires_at_ms !== null && record.expires_at_ms <= nowMs) return 'expired';
  if (record.disabled_at !== null) return 'disabled';
  return 'active';
}

/**
 * The status a key is shown with (`ApiKey.status`, the `status` filter): the credential status, with
 * rotation told apart. Precedence: revoked > rotated > expired > disabled > rotating > active. A
 * rotation ends the old key's life by setting its expiry to the end of the grace period (or revoking
 * it at once for a grace period of 0, which shows as `revoked`).
 */
export function apiKeyStatus(
  record: Pick<KeyRecord, 'revoked_at' | 'expires_at_ms' | 'disabled_at' | 'rotated_to'>,
  nowMs: number,
): KeyStatus {
  const status = keyStatus(record, nowMs);
  if (record.rotated_to === null) return status;
  if (status === 'expired') return 'rotated';
  if (status === 'active') return 'rotating';
  return status;
}

/** The public shape of a key: an explicit allow-list of fields, so no hash or salt can slip out. */
export function toApiKey(record: KeyRecord, tokenPrefix: string, nowMs: number): ApiKey {
  const status = apiKeyStatus(record, nowMs);
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    org_id: record.org_id,
    key_prefix: keyPrefixOf(tokenPrefix, record.id),
    roles: [...record.roles],
    permissions: [...record.permissions],
    rate_limit_per_minute: record.rate_limit_per_minute,
    enabled: record.disabled_at === null,
    status,
    created_at: record.created_at,
    created_by: record.created_by,
    expires_at: record.expires_at_ms === null ? null : new Date(record.expires_at_ms).toISOString(),
    revoked_at: record.revoked_at,
    last_used_at: record.last_used_at,
    calls: record.calls,
    metadata: { ...record.metadata },
    allowed_cidrs: [...record.allowed_cidrs],
    credits: record.credits === null ? null : toApiCredits(record.credits, nowMs),
    rotated_to: record.rotated_to,
    rotated_from: record.rotated_from,
    signature_algorithm: record.sig_alg,
    public_key: record.public_key,
  };
}

/** A key's credits as shown: the balance as it stands now (a refill due since the last call applied). */
export function toApiCredits(credits: KeyCredits, nowMs: number): ApiCredits {
  const now = effectiveCredits(credits, nowMs);
  const refill = now.refill;
  return {
    remaining: now.remaining,
    refill:
      refill === null
        ? null
        : {
            amount: refill.amount,
            every: refill.every,
            ...(refill.every === 'month' ? { day: refill.day ?? 1 } : {}),
            mode: refill.mode,
            ...(refill.max === null ? {} : { max: refill.max }),
          },
    next_refill_at: now.next_refill_ms === null ? null : new Date(now.next_refill_ms).toISOString(),
    low_threshold: now.low_threshold,
  };
}

/** Whether a key is a public-key key: it has no token, so it authenticates only by RFC 9421 signatures. */
export const isPublicKeyKey = (record: Pick<KeyRecord, 'sig_alg'>): boolean => record.sig_alg === 'ed25519';

export const NEW_KEY_WARNING =
  'Store this key now: raw_key is shown only in this response and cannot be retrieved again.';
