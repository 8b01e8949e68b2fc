/**
 * The management API's key repository on DynamoDB (`KeyRepository` in `lib/core/management.ts`):
 * create, list, read, revoke and rotate keys, read a key's usage over time (`dynamo-usage-history.ts`),
 * read or set an organization's key limit or plan (`org-limit.ts`), and list organizations
 * (`org-listing.ts`). Each
 * organization item counts its active keys, and every change of that count happens in one transaction
 * with the key item it concerns, so the limit holds under any number of concurrent requests. The
 * authorizer's verify-and-count path is `dynamo-usage.ts`.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AuditHead } from '#core/audit';
import { ApiError } from '#core/errors';
import type { KeyRepository, ListAuditQuery, ListKeysQuery } from '#core/management';
import type { AuditEvent, KeyRecord, OrgRecord } from '#core/model';
import type { PlanTable } from '#core/plans';
import type { ListOrgsQuery, OrgChange } from '#core/repository';
import { CREDIT_ATTRIBUTES, ORG_ATTRIBUTES, TABLE_SCHEMA } from '#core/table';
import type { UsageDay } from '#core/usage';
import { auditPuts, listAuditEvents } from './audit';
import {
  type Item,
  itemToOrg,
  itemToRecord,
  keyEdit,
  keyItemKey,
  n,
  num,
  orgItemKey,
  recordToItem,
  s,
} from './codec';
import { expiredUnreleased, listKeyRecords } from './listing';
import { orgLimitCondition } from './org-limit';
import { listOrgRecords, orgListingSet } from './org-listing';
import { dependency, type TransactOutcome, transact } from './transact';
import { DynamoUsageHistory } from './usage-history';

export interface DynamoKeyRepositoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Active keys an organization may hold when no limit was set for it. */
  defaultMaxKeys: number;
  /** How long revoked, rotated and expired key records are kept before TTL deletes them. */
  retentionSeconds: number;
  /** How long audit events are kept before TTL deletes them. */
  auditRetentionSeconds: number;
  /** Named plans and their key limits (the `plans` setting); default none. */
  plans?: PlanTable;
}

export { LIST_READ_BUDGET } from './listing';

/**
 * An item's audit head as read (`audit_version` absent before its first numbered event) as a condition,
 * and the new head to set: a change is written only if no other was committed since the read.
 */
function headUpdate(from: AuditHead, to: AuditHead): { condition: string; set: string; values: Item } {
  return {
    condition: from.version === 0 ? 'attribute_not_exists(audit_version)' : 'audit_version = :headFrom',
    set: 'audit_version = :headTo, audit_at_ms = :headAt',
    values: {
      ...(from.version === 0 ? {} : { ':headFrom': n(from.version) }),
      ':headTo': n(to.version),
      ':headAt': n(to.atMs ?? 0),
    },
  };
}

export class DynamoKeyRepository implements KeyRepository {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly defaultMaxKeys: number;
  private readonly retentionSeconds: number;
  private readonly auditRetentionSeconds: number;
  private readonly plans: PlanTable;
  readonly usageHistory: DynamoUsageHistory;

  constructor(options: DynamoKeyRepositoryOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.defaultMaxKeys = options.defaultMaxKeys;
    this.retentionSeconds = options.retentionSeconds;
    this.auditRetentionSeconds = options.auditRetentionSeconds;
    this.plans = options.plans ?? {};
    this.usageHistory = new DynamoUsageHistory(options);
  }

  /** The transaction items that store a change's audit events along with it. */
  private audit(events: readonly AuditEvent[]) {
    return auditPuts(this.tableName, events, this.auditRetentionSeconds);
  }

  private ttlFrom(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: keyItemKey(id), ConsistentRead: true }),
      );
      return out.Item ? itemToRecord(out.Item) : null;
    } catch (error) {
      return dependency(error);
    }
  }

  /**
   * Creates a key and takes one of its organization's slots in one transaction, so the limit holds
   * under any number of concurrent creates. When the organization is full, keys that have expired
   * since are released first and the create is tried once more.
   */
  async createKey(record: KeyRecord, nowMs: number, events: readonly AuditEvent[]): Promise<void> {
    const taken = await this.tryCreateKey(record, events);
    if (taken) return;
    if ((await this.releaseExpired(record.org_id, nowMs)) > 0 && (await this.tryCreateKey(record, events)))
      return;
    throw new ApiError(
      'key_limit_reached',
      `Organization ${record.org_id} has reached its limit of active keys; revoke a key or raise the limit.`,
    );
  }

  /** true: created; false: the organization is full. */
  private async tryCreateKey(record: KeyRecord, events: readonly AuditEvent[]): Promise<boolean> {
    const limit = orgLimitCondition(this.defaultMaxKeys, this.plans);
    const listing = orgListingSet(record.org_id);
    const outcome = await transact(this.client, {
      org: {
        Update: {
          TableName: this.tableName,
          Key: orgItemKey(record.org_id),
          ConditionExpression: limit.expression,
          UpdateExpression: `SET active_keys = if_not_exists(active_keys, :zero) + :one, org_id = :org, ${listing.set}`,
          ExpressionAttributeNames: { ...limit.names, ...listing.names },
          ExpressionAttributeValues: {
            ...limit.values,
            ...listing.values,
            ':zero': n(0),
            ':one': n(1),
            ':org': s(record.org_id),
          },
        },
      },
      key: {
        Put: {
          TableName: this.tableName,
          Item: recordToItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.audit(events),
    });
    if (outcome.written) return true;
    if (outcome.conditionFailed.key) throw new ApiError('conflict', 'A key with this id already exists.');
    return false;
  }

  /** Moves a key out of its organization's count (revoked, rotated or expired), once. */
  private async releaseKey(
    record: KeyRecord,
    set: string,
    values: Item,
    nowMs: number,
    events: readonly AuditEvent[] = [],
    condition = '',
  ): Promise<TransactOutcome<'key' | 'org'>> {
    const listing = orgListingSet(record.org_id);
    return transact(this.client, {
      key: {
        Update: {
          TableName: this.tableName,
          Key: keyItemKey(record.id),
          ConditionExpression: `released = :false${condition}`,
          UpdateExpression: `SET released = :true, #ttl = :ttl${set}`,
          ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute },
          ExpressionAttributeValues: {
            ...values,
            ':false': { BOOL: false },
            ':true': { BOOL: true },
            ':ttl': n(this.ttlFrom(nowMs)),
          },
        },
      },
      org: {
        Update: {
          TableName: this.tableName,
          Key: orgItemKey(record.org_id),
          ConditionExpression: 'active_keys > :zero',
          UpdateExpression: `SET active_keys = active_keys - :one, ${listing.set}`,
          ExpressionAttributeNames: listing.names,
          ExpressionAttributeValues: { ':zero': n(0), ':one': n(1), ...listing.values },
        },
      },
      ...this.audit(events),
    });
  }

  /**
   * Revokes a key immediately and permanently, with its audit events in the same transaction, only if
   * nothing was changed since `old` was read (its audit head); false otherwise.
   */
  async revokeKey(
    old: KeyRecord,
    revoked: KeyRecord,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<boolean> {
    const head = headUpdate(
      { version: old.audit_version, atMs: old.audit_at_ms },
      { version: revoked.audit_version, atMs: revoked.audit_at_ms },
    );
    const values: Item = { ...head.values, ':revokedAt': s(revoked.revoked_at ?? '') };
    const unrevoked = ` AND attribute_not_exists(revoked_at) AND ${head.condition}`;
    if (!old.released) {
      const outcome = await this.releaseKey(
        old,
        `, revoked_at = :revokedAt, ${head.set}`,
        values,
        nowMs,
        events,
        unrevoked,
      );
      if (outcome.written) return true;
      // The key changed since it was read: read it again. Only the count at 0: revoke without it.
      if (outcome.conditionFailed.key || !outcome.conditionFailed.org) return false;
    }
    // Already released (rotated with a grace period, or expired): revoke without touching the count.
    const outcome = await transact(this.client, {
      key: {
        Update: {
          TableName: this.tableName,
          Key: keyItemKey(old.id),
          ConditionExpression: `attribute_exists(pk)${unrevoked}`,
          UpdateExpression: `SET revoked_at = :revokedAt, released = :true, #ttl = :ttl, ${head.set}`,
          ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute },
          ExpressionAttributeValues: {
            ...values,
            ':true': { BOOL: true },
            ':ttl': n(this.ttlFrom(nowMs)),
          },
        },
      },
      ...this.audit(events),
    });
    return outcome.written;
  }

  /**
   * An edit in one transaction with its audit events: written only while the key is unrevoked,
   * unreleased and unexpired, and its edited fields still hold the values read (so the events' old
   * values are true). Disabling sets `disabled_at`; the key keeps its organization slot.
   */
  async updateKey(
    old: KeyRecord,
    next: KeyRecord,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<boolean> {
    const edit = keyEdit(old, next);
    const outcome = await transact(this.client, {
      key: {
        Update: {
          TableName: this.tableName,
          Key: keyItemKey(old.id),
          ConditionExpression: [
            'released = :false AND attribute_not_exists(revoked_at)',
            '(attribute_not_exists(expires_at_ms) OR expires_at_ms > :now)',
            ...edit.conditions,
          ].join(' AND '),
          UpdateExpression: edit.update,
          ExpressionAttributeNames: edit.names,
          ExpressionAttributeValues: { ...edit.values, ':false': { BOOL: false }, ':now': n(nowMs) },
        },
      },
      ...this.audit(events),
    });
    return outcome.written;
  }

  /**
   * A top-up: `cr_rem = cr_rem + :add` in one transaction with its audit events, so concurrent calls
   * and top-ups all count; only while the key is usable, has credits and its audit head is the one read.
   */
  async addCredits(
    old: KeyRecord,
    add: number,
    to: AuditHead,
    nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<KeyRecord | null> {
    const head = headUpdate({ version: old.audit_version, atMs: old.audit_at_ms }, to);
    const outcome = await transact(this.client, {
      key: {
        Update: {
          TableName: this.tableName,
          Key: keyItemKey(old.id),
          ConditionExpression: [
            'released = :false AND attribute_not_exists(revoked_at) AND attribute_exists(#rem)',
            '(attribute_not_exists(expires_at_ms) OR expires_at_ms > :now)',
            head.condition,
          ].join(' AND '),
          UpdateExpression: `SET #rem = #rem + :add, ${head.set}`,
          ExpressionAttributeNames: { '#rem': CREDIT_ATTRIBUTES.remaining },
          ExpressionAttributeValues: {
            ...head.values,
            ':false': { BOOL: false },
            ':now': n(nowMs),
            ':add': n(add),
          },
        },
      },
      ...this.audit(events),
    });
    // The balance after: read again, consistently (calls may have spent from it since).
    return outcome.written ? this.getKey(old.id) : null;
  }

  async listAudit(query: ListAuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    return listAuditEvents(this.client, this.tableName, query);
  }

  /**
   * Rotation in one transaction: the new key takes over the old key's organization slot, and the old
   * key is released and set to stop working at the end of the grace period (revoked at once for 0).
   * Returns false when the old key was revoked, rotated or expired in the meantime.
   */
  async rotateKey(
    old: KeyRecord,
    replacement: KeyRecord,
    graceSeconds: number,
    nowMs: number,
    events: readonly AuditEvent[],
    oldHead: AuditHead,
  ): Promise<boolean> {
    const head = headUpdate({ version: old.audit_version, atMs: old.audit_at_ms }, oldHead);
    const graceEnd = nowMs + graceSeconds * 1000;
    const ends = old.expires_at_ms === null ? graceEnd : Math.min(old.expires_at_ms, graceEnd);
    // The expiry is compared with the one read, so a concurrent change makes this fail, not race.
    const expiryUnchanged =
      old.expires_at_ms === null ? 'attribute_not_exists(expires_at_ms)' : 'expires_at_ms = :oldExpiry';
    const values: Item = {
      ...head.values,
      ':false': { BOOL: false },
      ':true': { BOOL: true },
      ':newId': s(replacement.id),
      ':ttl': n(this.ttlFrom(ends)),
      ...(old.expires_at_ms === null ? {} : { ':oldExpiry': n(old.expires_at_ms) }),
      ...(graceSeconds === 0 ? { ':iso': s(new Date(nowMs).toISOString()) } : { ':ends': n(ends) }),
    };
    const outcome = await transact(this.client, {
      old: {
        Update: {
          TableName: this.tableName,
          Key: keyItemKey(old.id),
          ConditionExpression: `released = :false AND attribute_not_exists(revoked_at) AND ${expiryUnchanged} AND ${head.condition}`,
          UpdateExpression: `SET released = :true, rotated_to = :newId, #ttl = :ttl, ${head.set}, ${
            graceSeconds === 0 ? 'revoked_at = :iso' : 'expires_at_ms = :ends'
          }`,
          ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute },
          ExpressionAttributeValues: values,
        },
      },
      replacement: {
        Put: {
          TableName: this.tableName,
          Item: recordToItem(replacement),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...this.audit(events),
    });
    if (outcome.written) return true;
    if (outcome.conditionFailed.replacement)
      throw new ApiError('conflict', 'A key with this id already exists.');
    return false;
  }

  /** Releases the organization slots of keys that have expired; returns how many were released. */
  async releaseExpired(orgId: string, nowMs: number): Promise<number> {
    let released = 0;
    for await (const record of expiredUnreleased(this.client, this.tableName, orgId, nowMs)) {
      if ((await this.releaseKey(record, '', {}, nowMs)).written) released++;
    }
    return released;
  }

  async listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
    return listKeyRecords(this.client, this.tableName, query);
  }

  async listOrgs(query: ListOrgsQuery): Promise<{ orgs: OrgRecord[]; nextCursor: string | null }> {
    const { client, tableName, defaultMaxKeys, plans } = this;
    return listOrgRecords({ client, tableName, defaultMaxKeys, plans }, query);
  }

  async getOrg(orgId: string, nowMs: number): Promise<OrgRecord> {
    return (await this.getOrgForChange(orgId, nowMs)).org;
  }

  async getOrgForChange(orgId: string, nowMs: number): Promise<{ org: OrgRecord; head: AuditHead }> {
    await this.releaseExpired(orgId, nowMs);
    return this.readOrg(orgId);
  }

  private async readOrg(orgId: string): Promise<{ org: OrgRecord; head: AuditHead }> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: orgItemKey(orgId), ConsistentRead: true }),
      );
      const item = out.Item ?? {};
      return {
        org: itemToOrg(orgId, item, this.defaultMaxKeys, this.plans),
        head: { version: num(item, 'audit_version') ?? 0, atMs: num(item, 'audit_at_ms') },
      };
    } catch (error) {
      return dependency(error);
    }
  }

  /** Sets an organization's own limit (taking it off any plan), with its audit events in the same transaction. */
  async putOrgLimit(orgId: string, maxKeys: number | null, change: OrgChange): Promise<OrgRecord | null> {
    return this.updateOrg(
      orgId,
      'SET max_keys = :max',
      'REMOVE #plan',
      { ':max': maxKeys === null ? { NULL: true } : n(maxKeys) },
      change,
    );
  }

  /** Puts the organization on a plan: it follows the plan's limit (its own `max_keys` is dropped). */
  async putOrgPlan(orgId: string, plan: string, change: OrgChange): Promise<OrgRecord | null> {
    return this.updateOrg(orgId, 'SET #plan = :plan', 'REMOVE max_keys', { ':plan': s(plan) }, change);
  }

  /** null: the organization was changed since its head was read. */
  private async updateOrg(
    orgId: string,
    set: string,
    remove: string,
    values: Item,
    change: OrgChange,
  ): Promise<OrgRecord | null> {
    const head = headUpdate(change.from, change.to);
    const listing = orgListingSet(orgId);
    const outcome = await transact(this.client, {
      org: {
        Update: {
          TableName: this.tableName,
          Key: orgItemKey(orgId),
          ConditionExpression: head.condition,
          UpdateExpression: `${set}, org_id = :org, active_keys = if_not_exists(active_keys, :zero), updated_at = :iso, ${listing.set}, ${head.set} ${remove}`,
          ExpressionAttributeNames: { '#plan': ORG_ATTRIBUTES.plan, ...listing.names },
          ExpressionAttributeValues: {
            ...values,
            ...listing.values,
            ...head.values,
            ':org': s(orgId),
            ':zero': n(0),
            ':iso': s(new Date(change.nowMs).toISOString()),
          },
        },
      },
      ...this.audit(change.events),
    });
    if (!outcome.written) return null;
    return (await this.readOrg(orgId)).org;
  }

  /** A key's calls per UTC day over the last `days` days (past-day counters rolled up first). */
  keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]> {
    return this.usageHistory.usage(id, days, nowMs);
  }
}
