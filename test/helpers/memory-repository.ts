/**
 * An in-memory `KeyRepository` for unit tests of the management core: the same contract as the
 * DynamoDB key repository (organization limits with a default, `key_limit_reached` and `conflict`,
 * revoke and rotate release the key's slot once, edits only of usable keys whose fields are as read,
 * newest-first listing, audit events stored with the change they describe and listed newest first),
 * with none of its I/O. It records every call so a test can assert that a refused request never
 * reached storage.
 */
import type { AuditHead } from '#core/audit';
import { ApiError } from '#core/errors';
import type { KeyRepository, ListAuditQuery, ListKeysQuery, ListOrgsQuery } from '#core/management';
import { type AuditEvent, apiKeyStatus, type KeyRecord, type OrgRecord } from '#core/model';
import { effectiveMaxKeys, type PlanTable } from '#core/plans';
import type { OrgChange } from '#core/repository';
import { type UsageDay, usageSeries } from '#core/usage';

export class MemoryKeyRepository implements KeyRepository {
  readonly keys = new Map<string, KeyRecord>();
  /** Stored audit events, oldest first. */
  readonly events: AuditEvent[] = [];
  readonly orgs = new Map<
    string,
    { max_keys: number | null | undefined; plan: string | null; active_keys: number; head: AuditHead }
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
      org = { max_keys: undefined, plan: null, active_keys: 0, head: { version: 0, atMs: null } };
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

  private store(events: readonly AuditEvent[]): void {
    this.events.push(...structuredClone([...events]));
  }

  async createKey(record: KeyRecord, _nowMs: number, events: readonly AuditEvent[]): Promise<void> {
    this.calls.push('createKey');
    if (this.keys.has(record.id)) throw new ApiError('conflict', 'A key with this id already exists.');
    const limit = this.limitOf(record.org_id);
    if (limit !== null && this.org(record.org_id).active_keys >= limit) {
      throw new ApiError('key_limit_reached', `Organization ${record.org_id} has reached its limit.`);
    }
    this.seed(record);
    this.store(events);
  }

  async updateKey(old: KeyRecord, next: KeyRecord, nowMs: number, events: readonly AuditEvent[]) {
    this.calls.push('updateKey');
    const stored = this.keys.get(old.id);
    if (!stored || stored.released || stored.revoked_at !== null) return false;
    if (stored.expires_at_ms !== null && stored.expires_at_ms <= nowMs) return false;
    const fields = [
      'name',
      'description',
      'rate_limit_per_minute',
      'expires_at_ms',
      'disabled_at',
      'metadata',
      'allowed_cidrs',
      'audit_version',
      'audit_at_ms',
    ] as const;
    if (fields.some((f) => JSON.stringify(stored[f]) !== JSON.stringify(old[f]))) return false;
    for (const f of fields) Object.assign(stored, { [f]: structuredClone(next[f]) });
    stored.credits = structuredClone(next.credits);
    this.store(events);
    return true;
  }

  async addCredits(
    old: KeyRecord,
    add: number,
    head: { version: number; atMs: number | null },
    _nowMs: number,
    events: readonly AuditEvent[],
  ): Promise<KeyRecord | null> {
    this.calls.push('addCredits');
    const stored = this.keys.get(old.id);
    if (!stored || stored.credits === null || stored.audit_version !== old.audit_version) return null;
    stored.credits.remaining += add;
    Object.assign(stored, { audit_version: head.version, audit_at_ms: head.atMs });
    this.store(events);
    return structuredClone(stored);
  }

  async listAudit(query: ListAuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    this.calls.push('listAudit');
    const all = this.events
      .filter((e) => query.orgId === null || e.org_id === query.orgId)
      .filter((e) => query.keyId === null || e.key_id === query.keyId)
      .reverse();
    const start = query.cursor === null ? 0 : Number(query.cursor);
    const next = start + query.limit;
    return {
      events: structuredClone(all.slice(start, next)),
      nextCursor: next < all.length ? String(next) : null,
    };
  }

  private release(record: KeyRecord): void {
    if (record.released) return;
    record.released = true;
    this.org(record.org_id).active_keys--;
  }

  async revokeKey(old: KeyRecord, revoked: KeyRecord, _nowMs: number, events: readonly AuditEvent[]) {
    this.calls.push('revokeKey');
    const record = this.keys.get(old.id);
    if (!record || record.revoked_at !== null || record.audit_version !== old.audit_version) return false;
    record.revoked_at = revoked.revoked_at;
    Object.assign(record, { audit_version: revoked.audit_version, audit_at_ms: revoked.audit_at_ms });
    this.release(record);
    this.store(events);
    return true;
  }

  async rotateKey(
    old: KeyRecord,
    replacement: KeyRecord,
    graceSeconds: number,
    nowMs: number,
    events: readonly AuditEvent[],
    oldHead: AuditHead,
  ) {
    this.calls.push('rotateKey');
    const stored = this.keys.get(old.id);
    if (!stored || stored.released || stored.revoked_at !== null) return false;
    if (stored.audit_version !== old.audit_version) return false;
    Object.assign(stored, { audit_version: oldHead.version, audit_at_ms: oldHead.atMs });
    if (this.keys.has(replacement.id)) throw new ApiError('conflict', 'A key with this id already exists.');
    const graceEnd = nowMs + graceSeconds * 1000;
    stored.rotated_to = replacement.id;
    if (graceSeconds === 0) stored.revoked_at = new Date(nowMs).toISOString();
    else stored.expires_at_ms = Math.min(stored.expires_at_ms ?? graceEnd, graceEnd);
    stored.released = true;
    this.keys.set(replacement.id, structuredClone(replacement));
    this.store(events);
    return true;
  }

  async listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
    this.calls.push('listKeys');
    const all = [...this.keys.values()]
      .filter((r) => r.org_id === query.orgId)
      .filter((r) => query.status === null || apiKeyStatus(r, query.nowMs) === query.status)
      .filter((r) => query.name === null || r.name.includes(query.name))
      .sort((a, b) => `${b.created_at}#${b.id}`.localeCompare(`${a.created_at}#${a.id}`));
    const start = query.cursor === null ? 0 : Number(query.cursor);
    const records = all.slice(start, start + query.limit).map((r) => structuredClone(r));
    const next = start + query.limit;
    return { records, nextCursor: next < all.length ? String(next) : null };
  }

  async listOrgs(query: ListOrgsQuery): Promise<{ orgs: OrgRecord[]; nextCursor: string | null }> {
    this.calls.push('listOrgs');
    const ids = [...this.orgs.keys()].sort().filter((id) => query.cursor === null || id > query.cursor);
    const page = ids.slice(0, query.limit);
    const orgs = await Promise.all(page.map((id) => this.getOrg(id, 0)));
    return { orgs, nextCursor: ids.length > query.limit ? (page.at(-1) ?? null) : null };
  }

  async getOrg(orgId: string, _nowMs: number): Promise<OrgRecord> {
    this.calls.push('getOrg');
    const org = this.org(orgId);
    return { org_id: orgId, plan: org.plan, max_keys: this.limitOf(orgId), active_keys: org.active_keys };
  }

  async getOrgForChange(orgId: string, nowMs: number): Promise<{ org: OrgRecord; head: AuditHead }> {
    const head = { ...this.org(orgId).head };
    return { org: await this.getOrg(orgId, nowMs), head };
  }

  private changeOrg(
    orgId: string,
    change: OrgChange,
    values: { max_keys?: number | null; plan: string | null },
  ) {
    const org = this.org(orgId);
    if (org.head.version !== change.from.version) return false;
    Object.assign(org, { max_keys: undefined }, values, { head: { ...change.to } });
    this.store(change.events);
    return true;
  }

  async putOrgLimit(orgId: string, maxKeys: number | null, change: OrgChange): Promise<OrgRecord | null> {
    this.calls.push('putOrgLimit');
    if (!this.changeOrg(orgId, change, { max_keys: maxKeys, plan: null })) return null;
    return this.getOrg(orgId, change.nowMs);
  }

  async putOrgPlan(orgId: string, plan: string, change: OrgChange): Promise<OrgRecord | null> {
    this.calls.push('putOrgPlan');
    if (!this.changeOrg(orgId, change, { plan })) return null;
    return this.getOrg(orgId, change.nowMs);
  }

  async keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]> {
    this.calls.push('keyUsage');
    return usageSeries(nowMs, days, this.usage.get(id) ?? []);
  }
}
