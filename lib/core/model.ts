/**
 * The management domain's records and their public shapes: a key as stored (`KeyRecord`) and as shown
 * (`ApiKey`, an explicit allow-list of fields), its status, an organization, and an audit event (who
 * changed what, written in the same transaction as the change). Pure: no I/O.
 */
import type { Permission } from './permissions';
import { keyPrefixOf } from './token';

/** A key as stored. Holds a hash and a salt, never a usable secret. */
export interface KeyRecord {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  /** SHA-256 (hex) of the full token. */
  key_hash: string;
  /** Non-secret input to re-derive the token from the signing master secret. */
  salt: string;
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
  /** The `version` of the key's last audit event (0: none versioned yet); each change's transaction is conditional on it. */
  audit_version: number;
  /** Epoch milliseconds of the key's last audit event (null: none versioned yet); the next is dated after it. */
  audit_at_ms: number | null;
}

/** Precedence when several apply: revoked > expired > disabled > active. */
export type KeyStatus = 'active' | 'revoked' | 'expired' | 'disabled';

export interface ApiKey {
  id: string;
  name: string;
  description: string | null;
  org_id: string;
  key_prefix: string;
  roles: string[];
  permissions: Permission[];
  rate_limit_per_minute: number;
  enabled: boolean;
  status: KeyStatus;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  calls: number;
  metadata: Record<string, string>;
}

export interface OrgRecord {
  org_id: string;
  /** The plan the organization is on (its limit follows the plan's), or null. */
  plan: string | null;
  /** The effective limit (the plan's when on a plan); null = unlimited. */
  max_keys: number | null;
  active_keys: number;
}

export function keyStatus(
  record: Pick<KeyRecord, 'revoked_at' | 'expires_at_ms' | 'disabled_at'>,
  nowMs: number,
): KeyStatus {
  if (record.revoked_at !== null) return 'revoked';
  if (record.expires_at_ms !== null && record.expires_at_ms <= nowMs) return 'expired';
  if (record.disabled_at !== null) return 'disabled';
  return 'active';
}

/** The public shape of a key: an explicit allow-list of fields, so no hash or salt can slip out. */
export function toApiKey(record: KeyRecord, tokenPrefix: string, nowMs: number): ApiKey {
  const status = keyStatus(record, nowMs);
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
  };
}

export const NEW_KEY_WARNING =
  'Store this key now: raw_key is shown only in this response and cannot be retrieved again.';

/** The kinds of audit event, one per kind of change. */
export const AUDIT_EVENT_TYPES = [
  'key.created',
  'key.updated',
  'key.disabled',
  'key.enabled',
  'key.revoked',
  'key.rotated',
  'org.updated',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** A non-secret field value as an audit event records it. */
export type AuditValue = string | number | boolean | null | string[] | Record<string, string>;

/** One changed field: its value before and after (null before, for a created key). */
export interface AuditChange {
  old: AuditValue;
  new: AuditValue;
}

/**
 * An audit event: who (`admin` or `key:<id>`) changed what, in which request, when. Written in the same
 * DynamoDB transaction as the change it describes; never carries a secret, hash or salt.
 */
export interface AuditEvent {
  id: string;
  type: AuditEventType;
  org_id: string;
  /** null for organization events. */
  key_id: string | null;
  actor: string;
  request_id: string;
  /**
   * ISO 8601 UTC: when the change was written, never earlier than a millisecond after the same key's (or
   * organization's) previous event, so that time order is commit order for each of them.
   */
  at: string;
  /**
   * The event's number in its key's trail (key events) or its organization's (organization events):
   * 1, 2, 3… in commit order. null for events written before events were numbered.
   */
  version: number | null;
  changes: Record<string, AuditChange>;
}
