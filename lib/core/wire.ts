/**
 * The management API's wire vocabulary, defined once: the request and response bodies exactly as they
 * travel (snake_case JSON, ISO 8601 UTC timestamps), the key statuses, the audit event, the error body
 * and its code union, the default organization, and the names of the two Authorization schemes. The
 * handlers answer with these shapes, the SDK re-exports them (lib/sdk/types.ts) and the browser console
 * imports them, so the server and its clients cannot drift apart. Request bodies here are what a client
 * sends, before validation; the validated server-side forms live in validation.ts under names of their
 * own. This module reads nothing that needs Node (only type imports of the permission and usage
 * vocabulary), so browser code can import it.
 */

import type { RefusalCounts, RefusalOutcome } from './outcomes';
import type { Permission, RoleMatrix } from './permissions';
import type { UsageDay } from './usage';

export type { ErrorBody, ErrorCode } from './errors';
export type { Permission, RefusalCounts, RefusalOutcome, RoleMatrix, UsageDay };

/** `Authorization: Bearer <admin key or API-key token>`. */
export const BEARER_SCHEME = 'Bearer';
/** `Authorization: ARMOR-PSK <keyId>:<signature>:<nonce>:<timestamp>` (docs/protocol.md). */
export const ARMOR_SCHEME = 'ARMOR-PSK';
/** The two Authorization schemes the authorizer accepts (case-insensitively). */
export type AuthScheme = typeof BEARER_SCHEME | typeof ARMOR_SCHEME;

/**
 * How a key's requests are signed with RFC 9421 (its `alg`), fixed by the key: `hmac-sha256` (a token
 * key's default) and `hmac-sha512` are keyed by the key's full token; `ed25519` is a public-key key's,
 * verified with the public key registered for it (the key has no token: it can only sign).
 */
export const SIGNATURE_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** The organization the admin key acts in when a request names none (`org_id` left out). */
export const DEFAULT_ORG = 'default';

/**
 * A key's status. `rotating`: rotated, and its grace period has not ended (it still authenticates);
 * `rotated`: rotated and the grace period is over (it no longer does). Precedence when several apply:
 * revoked > rotated > expired > disabled > rotating > active.
 */
export const KEY_STATUSES = ['active', 'revoked', 'expired', 'disabled', 'rotating', 'rotated'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

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
  /** The networks (canonical CIDRs) a request with this key must come from; [] = anywhere. */
  allowed_cidrs: string[];
  /** The key's credits (each allowed call spends from them), or null: unlimited. */
  credits: ApiCredits | null;
  /** The successor's key id once this key was rotated, else null. */
  rotated_to: string | null;
  /** The predecessor's key id when this key was made by a rotation, else null. */
  rotated_from: string | null;
  /** The RFC 9421 algorithm the key signs with: `ed25519` for a public-key key, else an HMAC. */
  signature_algorithm: SignatureAlgorithm;
  /** A public-key key's Ed25519 public key (the raw 32 bytes, base64url without padding); else null. */
  public_key: string | null;
}

/** How a key's credits are refilled: daily at 00:00 UTC, or monthly on `day` (clamped to the month's length). */
export interface ApiCreditRefill {
  /** 1 or more. */
  amount: number;
  every: 'day' | 'month';
  /** Monthly only: 1–31, default 1. */
  day?: number;
  /** `add`: the amount is added (up to `max`); `replace`: the balance becomes the amount. */
  mode: 'add' | 'replace';
  /** `add` only: the balance a refill does not go past. */
  max?: number;
}

/** A key's credits as shown. */
export interface ApiCredits {
  /** The balance now (a refill due since the key's last call included). */
  remaining: number;
  refill: ApiCreditRefill | null;
  /** When the next refill is due (it is applied by the first call after it), or null. */
  next_refill_at: string | null;
  /** A call that takes the balance below this writes `key.credits_low` to the audit trail; null: none. */
  low_threshold: number | null;
}

/** `credits` in a create or PATCH body: the balance, and optionally a refill and a low threshold. */
export interface CreditsRequest {
  /** 0 or more. */
  remaining: number;
  refill?: ApiCreditRefill | null;
  low_threshold?: number | null;
}

/** `POST /v1/keys/{id}/credits` body: credits added to the balance, atomically. */
export interface AddCreditsRequest {
  /** 1 or more. */
  add: number;
}

/** The kinds of audit event, one per kind of change. */
export const AUDIT_EVENT_TYPES = [
  'key.created',
  'key.updated',
  'key.disabled',
  'key.enabled',
  'key.revoked',
  'key.rotated',
  'key.leaked',
  'key.credits_added',
  'key.credits_low',
  'key.credits_exhausted',
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

/** `POST /v1/keys` body, as sent. */
export interface CreateKeyRequest {
  /** 1–100 characters. */
  name: string;
  /** At most 500 characters. */
  description?: string;
  /** Default: the deployment's default role (`member`). */
  roles?: string[];
  /** 1–100000; default 60. */
  rate_limit_per_minute?: number;
  /** A future instant, ISO 8601 with a zone. */
  expires_at?: string;
  /** Admin key only (a key may name only its own organization). */
  org_id?: string;
  /** Flat string map passed to integrations (≤ 10 entries, keys `[a-z0-9_]{1,32}`, values ≤ 256 chars, ≤ 512 bytes). */
  metadata?: Record<string, string>;
  /** IPv4 and IPv6 CIDRs (≤ 16) a request must come from; a bare address is its /32 or /128. Default: anywhere. */
  allowed_cidrs?: string[];
  /** Credits each allowed call spends from. Default: none (unlimited). */
  credits?: CreditsRequest;
  /**
   * Default `hmac-sha256` for a token key; `hmac-sha512` for a token key whose RFC 9421 signatures use
   * HMAC-SHA512; `ed25519` only together with `public_key`.
   */
  signature_algorithm?: SignatureAlgorithm;
  /**
   * An Ed25519 public key (the raw 32 bytes in base64url or base64, or a PEM `PUBLIC KEY`): the key is
   * a public-key key, with no token; the answer carries no `raw_key`.
   */
  public_key?: string;
}

/**
 * `PATCH /v1/keys/{id}` body: at least one field; only the fields present change. A key may not give
 * another a later expiry or a higher rate limit than its own.
 */
export interface UpdateKeyRequest {
  /** 1–100 characters. */
  name?: string;
  /** At most 500 characters; null clears it. */
  description?: string | null;
  /** 1–100000. */
  rate_limit_per_minute?: number;
  /** A future instant, ISO 8601 with a zone; null = never expires. */
  expires_at?: string | null;
  /** false: refused with the same 401 from the next request on (the key keeps its slot); true: back. */
  enabled?: boolean;
  /** Replaces the whole map; null or {} clears it. */
  metadata?: Record<string, string> | null;
  /** Replaces the whole list; null or [] lets the key be used from anywhere. */
  allowed_cidrs?: string[] | null;
  /** Replaces the key's credits (balance, refill and threshold); null removes them (unlimited). */
  credits?: CreditsRequest | null;
}

/** `GET /v1/audit` query, as sent. */
export interface AuditQuery {
  /** One key's events only. */
  key_id?: string;
  /** Page size, 1–100 (server default 50). */
  limit?: number;
  cursor?: string | null;
  /** Admin key only. */
  org_id?: string;
}

/** One page of `GET /v1/audit`, newest first. `next_cursor` is null on the last page. */
export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

/** `POST /v1/keys/{id}/rotate` body, as sent. */
export interface RotateKeyRequest {
  /** 0–86400; default 0 (the old key stops at once). */
  grace_period_seconds?: number;
  /** A public-key key's new Ed25519 public key: required for one, refused for a token key. */
  public_key?: string;
}

/** `GET /v1/keys` query, as sent (each value becomes a query-string parameter). */
export interface ListKeysQuery {
  /** Page size, 1–100 (server default 50). */
  limit?: number;
  cursor?: string | null;
  status?: KeyStatus;
  /** Only keys whose name contains this text (case-sensitive), 1–100 characters. */
  name?: string;
  /** Admin key only. */
  org_id?: string;
}

/** `PUT /v1/orgs/{org_id}` body. `max_keys` null = unlimited, 0 = no API keys. */
export interface OrgLimitRequest {
  max_keys: number | null;
}

/** `PUT /v1/orgs/{org_id}` body: put the organization on a plan of the deployment's `plans` setting. */
export interface OrgPlanRequest {
  plan: string;
}

/** `PUT /v1/orgs/{org_id}` body: `{max_keys}` or `{plan}`, not both. */
export type OrgUpdateRequest = OrgLimitRequest | OrgPlanRequest;

/** `GET /v1/keys/{id}/usage` query. */
export interface KeyUsageQuery {
  /** 1–90; default 30. */
  days?: number;
}

/**
 * `GET /v1/keys/{id}/usage`: allowed calls (bearer and signed) and refused requests by outcome per UTC
 * day, exactly `days` entries, oldest first, the last one today, days without calls as 0.
 */
export interface KeyUsageResponse {
  key_id: string;
  days: UsageDay[];
}

/** `GET /v1/roles`: the deployment's role matrix (role → permissions) and the default role. */
export interface RolesResponse {
  roles: RoleMatrix;
  default_role: string;
}

/** `201` from `POST /v1/keys` and `POST /v1/keys/{id}/rotate`. `raw_key` is shown in this response only. */
export interface NewKeyResponse {
  key: ApiKey;
  raw_key: string;
  warning: string;
}

/**
 * `201` from `POST /v1/keys` and `POST /v1/keys/{id}/rotate` for a public-key key: the key alone, with
 * its `public_key`. latchkey holds no secret of such a key, so there is nothing to reveal.
 */
export interface RegisteredKeyResponse {
  key: ApiKey;
}

/** One page of `GET /v1/keys`, newest first. `next_cursor` is null on the last page. */
export interface ListKeysResponse {
  keys: ApiKey[];
  next_cursor: string | null;
}

/** `GET /v1/keys/{id}` and `PATCH /v1/keys/{id}`. */
export interface KeyResponse {
  key: ApiKey;
}

/** `DELETE /v1/keys/{id}`: immediate and permanent, harmless to repeat. */
export interface RevokeResponse {
  revoked: true;
  key: ApiKey;
}

/**
 * `GET`/`PUT /v1/orgs/{org_id}`. `plan` is the plan the organization is on (null if none); `max_keys` is
 * its effective limit (the plan's when on a plan): null = unlimited, 0 = no API keys.
 */
export interface Org {
  org_id: string;
  plan: string | null;
  max_keys: number | null;
  active_keys: number;
}

/** `GET /v1/orgs` query, as sent. Admin key only. */
export interface ListOrgsQuery {
  /** Page size, 1–100 (server default 50). */
  limit?: number;
  cursor?: string | null;
}

/**
 * One page of `GET /v1/orgs`: every organization that has keys or a limit or plan of its own, ordered
 * by org id. `next_cursor` is null on the last page.
 */
export interface ListOrgsResponse {
  orgs: Org[];
  next_cursor: string | null;
}

/**
 * `GET /v1/plans` (admin key): the deployment's `plans` setting, plan name → key limit (null =
 * unlimited); `{}` when it defines none. `PUT /v1/orgs/{org_id}` `{plan}` takes one of these names.
 */
export interface PlansResponse {
  plans: Record<string, number | null>;
}

/** `GET /v1/whoami`. `org_id` is null for the admin key; `key` is present for an API key only. */
export interface Whoami {
  principal: 'admin' | 'key';
  key?: ApiKey;
  org_id: string | null;
  permissions: Permission[];
}
