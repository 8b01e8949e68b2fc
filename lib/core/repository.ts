/**
 * What the management core needs from storage: the `KeyRepository` interface and its query shapes.
 * DynamoDB implements it in `lambdas/dynamo/keys.ts`; the unit tests use an in-memory one
 * (`test/helpers/memory-repository.ts`). Pure types.
 */

import type { AuditEvent, KeyRecord, OrgRecord } from './model';
import type { UsageDay } from './usage';
import type { ListKeysCommand } from './validation';

/** One page of an organization's keys, newest first; `cursor` continues a previous page. */
export interface ListKeysQuery {
  orgId: string;
  limit: number;
  cursor: string | null;
  status: ListKeysCommand['status'];
  nowMs: number;
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
  /** The record after revocation (unchanged if already revoked), or null when no key has that id. */
  revokeKey(id: string, nowMs: number, events: readonly AuditEvent[]): Promise<KeyRecord | null>;
  /**
   * Writes `next` over `old` (name, description, rate limit, expiry, disabled_at, metadata), only if
   * the key is still usable and those fields are still as in `old`; false otherwise.
   */
  updateKey(old: KeyRecord, next: KeyRecord, nowMs: number, events: readonly AuditEvent[]): Promise<boolean>;
  listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }>;
  /** The organization's limit and active count (expired keys' slots released first). */
  getOrg(orgId: string, nowMs: number): Promise<OrgRecord>;
  putOrgLimit(
    orgId: string,
    maxKeys: number | null,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<OrgRecord>;
  /** Puts the organization on a plan the deployment defines; its limit follows the plan's. */
  putOrgPlan(orgId: string, plan: string, nowMs: number, events: readonly AuditEvent[]): Promise<OrgRecord>;
  /** The key's calls per UTC day, exactly `days` entries ending today (see `lib/core/usage.ts`). */
  keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]>;
  /** false when the old key was revoked, rotated or expired in the meantime. */
  rotateKey(
    old: KeyRecord,
    replacement: KeyRecord,
    graceSeconds: number,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<boolean>;
  listAudit(query: ListAuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }>;
}
