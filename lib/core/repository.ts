/**
 * What the management core needs from storage: the `KeyRepository` interface and its query shapes.
 * DynamoDB implements it in `lambdas/dynamo/keys.ts`; the unit tests use an in-memory one
 * (`test/helpers/memory-repository.ts`). Pure types.
 */

import type { AuditHead } from './audit';
import type { AuditEvent, KeyRecord, OrgRecord } from './model';
import type { UsageDay } from './usage';
import type { ListKeysCommand } from './validation';

/**
 * One page of an organization's keys, newest first; `cursor` continues a previous page. `status` and
 * `name` (a case-sensitive substring of the key's name) narrow it; null = no filter.
 */
export interface ListKeysQuery {
  orgId: string;
  limit: number;
  cursor: string | null;
  status: ListKeysCommand['status'];
  name: ListKeysCommand['name'];
  nowMs: number;
}

/** One page of organizations, ordered by org id. */
export interface ListOrgsQuery {
  limit: number;
  cursor: string | null;
}

/** An organization change: its events, written only while the organization's audit head is `from`. */
export interface OrgChange {
  nowMs: number;
  events: readonly AuditEvent[];
  from: AuditHead;
  to: AuditHead;
}

/**
 * One page of audit events, newest first: an organization's (`keyId` null), or one key's (`orgId`
 * null only for the admin key: any organization).
 */
export interface ListAuditQuery {
  orgId: string | null;
  keyId: string | null;
  limit: number;
  cursor: string | null;
}

/**
 * What the management service needs from storage (DynamoDB: `DynamoKeyRepository`). The repository
 * keeps each organization's count of active keys: `createKey` throws `key_limit_reached` when the
 * organization is full and `conflict` when the id is taken; `revokeKey` and `rotateKey` release the
 * key's slot once (disabling does not). Every change writes its `events` in the same transaction, and
 * only when the change itself is written.
 */
export interface KeyRepository {
  getKey(id: string): Promise<KeyRecord | null>;
  createKey(record: KeyRecord, nowMs: number, events: readonly AuditEvent[]): Promise<void>;
  /**
   * Revokes `old` (as `revoked`: `revoked_at` and the audit head set), releasing its slot if it still
   * holds one; false when the key was revoked or changed since `old` was read (read it again).
   */
  revokeKey(
    old: KeyRecord,
    revoked: KeyRecord,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<boolean>;
  /**
   * Writes `next` over `old` (name, description, rate limit, expiry, disabled_at, metadata, audit
   * head), only if the key is still usable and nothing was changed since `old` was read; false otherwise.
   */
  updateKey(old: KeyRecord, next: KeyRecord, nowMs: number, events: readonly AuditEvent[]): Promise<boolean>;
  /**
   * Adds `add` to the key's credit balance atomically, with `events` and the audit head `head`, only
   * while the key is usable, still has credits and nothing else was changed since `old` was read;
   * the key after the write, or null when it changed (read it again).
   */
  addCredits(
    old: KeyRecord,
    add: number,
    head: AuditHead,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<KeyRecord | null>;
  listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }>;
  /**
   * One page of organizations in org-id order, after the one `cursor` names: their limits and active
   * counts as last written (expired keys are released when an organization is read on its own).
   */
  listOrgs(query: ListOrgsQuery): Promise<{ orgs: OrgRecord[]; nextCursor: string | null }>;
  /** The organization's limit and active count (expired keys' slots released first). */
  getOrg(orgId: string, nowMs: number): Promise<OrgRecord>;
  /** `getOrg` and, from the same read, where the organization's audit trail stands. */
  getOrgForChange(orgId: string, nowMs: number): Promise<{ org: OrgRecord; head: AuditHead }>;
  /**
   * Sets the organization's own limit (`change.from`: the head read with the values the events' old
   * values came from); null when the organization was changed since (read it again).
   */
  putOrgLimit(orgId: string, maxKeys: number | null, change: OrgChange): Promise<OrgRecord | null>;
  /** Puts the organization on a plan the deployment defines; its limit follows the plan's. As above. */
  putOrgPlan(orgId: string, plan: string, change: OrgChange): Promise<OrgRecord | null>;
  /** The key's calls per UTC day, exactly `days` entries ending today (see `lib/core/usage.ts`). */
  keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]>;
  /** false when the old key was revoked, rotated, expired or changed in the meantime. */
  rotateKey(
    old: KeyRecord,
    replacement: KeyRecord,
    graceSeconds: number,
    nowMs: number,
    events: readonly AuditEvent[],
    /** The old key's audit head after `events`. */
    oldHead: AuditHead,
  ): Promise<boolean>;
  listAudit(query: ListAuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }>;
}
