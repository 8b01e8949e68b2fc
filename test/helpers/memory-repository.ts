/**
 * An in-memory `KeyRepository` for unit tests of the management core: the same contract as the
 * DynamoDB key repository (organization limits with a default, `key_limit_reached` and `conflict`,
 * revoke and rotate release the key's slot once, newest-first listing), with none of its I/O.
 * It records every call so a test can assert that a refused request never reached storage.
 */
import { ApiError } from '../../lambdas/core/errors';
import type { KeyRepository, ListKeysQuery } from '../../lambdas/core/management';
import { type KeyRecord, keyStatus, type OrgRecord } from '../../lambdas/core/model';
import { effectiveMaxKeys, type PlanTable } from '../../lambdas/core/plans';
import { type UsageDay, usageSeries } from '../../lambdas/core/usage';

export class MemoryKeyRepository implements KeyRepository {
  readonly keys = new Map<string, KeyRecord>();
  readonly orgs = new Map<
    string,
    { max_keys: number | null | undefined; plan: string | null; active_keys: number }
  >();
  /** key id → UTC day → calls, as the authorizer would have counted them. */
  readonly usage = new Map<string, Map<string, number>>();
  /** Names of the methods called, in order. */
  readonly calls: string[] = [];

  constructor(
    private readonly defaultMaxKeys = 50,
    private readonly plans: PlanTable = {},
  ) {}

  /** Puts a key straight into storage, taking a slot unless it is released. */
  seed(record: KeyRecord): KeyRecord {
    this.keys.set(record.id, structuredClone(record));
    if (!record.released) this.org(record.org_id).active_keys++;
    return record;
  }

  private org(orgId: string) {
    let org = this.orgs.get(orgId);
    if (!org) {
      org = { max_keys: undefined, plan: null, active_keys: 0 };
      this.orgs.set(orgId, org);
    }
    return org;
  }

  private limitOf(orgId: string): number | null {
    const org = this.org(orgId);
    return effectiveMaxKeys(org.plan, org.max_keys, this.plans, this.defaultMaxKeys);
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    this.calls.push('getKey');
    const record = this.keys.get(id);
    return record ? structuredClone(record) : null;
  }

  async createKey(record: KeyRecord, _nowMs: number): Promise<void> {
    this.calls.push('createKey');
    if (this.keys.has(record.id)) throw new ApiError('conflict', 'A key with this id already exists.');
    const limit = this.limitOf(record.org_id);
    if (limit !== null && this.org(record.org_id).active_keys >= limit) {
      throw new ApiError('key_limit_reached', `Organization ${record.org_id} has reached its limit.`);
    }
    this.seed(record);
  }

  private release(record: KeyRecord): void {
    if (record.released) return;
    record.released = true;
    this.org(record.org_id).active_keys--;
  }

  async revokeKey(id: string, nowMs: number): Promise<KeyRecord | null> {
    this.calls.push('revokeKey');
    const record = this.keys.get(id);
    if (!record) return null;
    if (record.revoked_at === null) {
      record.revoked_at = new Date(nowMs).toISOString();
      this.release(record);
    }
    return structuredClone(record);
  }

  async rotateKey(old: KeyRecord, replacement: KeyRecord, graceSeconds: number, nowMs: number) {
    this.calls.push('rotateKey');
    const stored = this.keys.get(old.id);
    if (!stored || stored.released || stored.revoked_at !== null) return false;
    if (this.keys.has(replacement.id)) throw new ApiError('conflict', 'A key with this id already exists.');
    const graceEnd = nowMs + graceSeconds * 1000;
    stored.rotated_to = replacement.id;
    if (graceSeconds === 0) stored.revoked_at = new Date(nowMs).toISOString();
    else stored.expires_at_ms = Math.min(stored.expires_at_ms ?? graceEnd, graceEnd);
    stored.released = true;
    this.keys.set(replacement.id, structuredClone(replacement));
    return true;
  }

  async listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
    this.calls.push('listKeys');
    const all = [...this.keys.values()]
      .filter((r) => r.org_id === query.orgId)
      .filter((r) => query.status === null || keyStatus(r, query.nowMs) === query.status)
      .sort((a, b) => `${b.created_at}#${b.id}`.localeCompare(`${a.created_at}#${a.id}`));
    const start = query.cursor === null ? 0 : Number(query.cursor);
    const records = all.slice(start, start + query.limit).map((r) => structuredClone(r));
    const next = start + query.limit;
    return { records, nextCursor: next < all.length ? String(next) : null };
  }

  async getOrg(orgId: string, _nowMs: number): Promise<OrgRecord> {
    this.calls.push('getOrg');
    const org = this.org(orgId);
    return { org_id: orgId, plan: org.plan, max_keys: this.limitOf(orgId), active_keys: org.active_keys };
  }

  async putOrgLimit(orgId: string, maxKeys: number | null, nowMs: number): Promise<OrgRecord> {
    this.calls.push('putOrgLimit');
    Object.assign(this.org(orgId), { max_keys: maxKeys, plan: null });
    return this.getOrg(orgId, nowMs);
  }

  async putOrgPlan(orgId: string, plan: string, nowMs: number): Promise<OrgRecord> {
    this.calls.push('putOrgPlan');
    Object.assign(this.org(orgId), { max_keys: undefined, plan });
    return this.getOrg(orgId, nowMs);
  }

  async keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]> {
    this.calls.push('keyUsage');
    return usageSeries(nowMs, days, this.usage.get(id) ?? []);
  }
}
