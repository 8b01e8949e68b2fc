/**
 * The management API's behaviour, independent of HTTP and of DynamoDB: create, list, read, revoke and
 * rotate keys, read and set organization limits, and whoami. Every method enforces the rules itself
 * (the gateway's policy is the first line, this is the second): the permission each action needs, no
 * escalation (a key cannot grant or rotate what it does not hold), visibility (another organization's
 * key is reported as not found), and no key revoking or rotating itself. It also reads a key's usage
 * per day, puts organizations on named plans, and describes the role matrix. Storage is the `KeyRepository`
 * interface defined here (DynamoDB: `lambdas/adapters/dynamo-keys.ts`).
 */
import { sha256Hex } from './crypto';
import { ApiError, ValidationError } from './errors';
import { type ApiKey, type KeyRecord, keyStatus, NEW_KEY_WARNING, type OrgRecord, toApiKey } from './model';
import { assertNoEscalation, type Permission, type RoleMatrix, resolvePermissions } from './permissions';
import type { PlanTable } from './plans';
import type { Principal } from './principal';
import { newKeyId, newSalt, tokenFor } from './token';
import type { UsageDay } from './usage';
import type {
  CreateKeyCommand,
  ListKeysCommand,
  OrgLimitCommand,
  OrgPlanCommand,
  RotateKeyCommand,
} from './validation';

export const DEFAULT_ORG = 'default';

/** One page of an organization's keys, newest first; `cursor` continues a previous page. */
export interface ListKeysQuery {
  orgId: string;
  limit: number;
  cursor: string | null;
  status: ListKeysCommand['status'];
  nowMs: number;
}

/**
 * What the management service needs from storage (DynamoDB: `DynamoKeyRepository`). The repository
 * keeps each organization's count of active keys: `createKey` throws `key_limit_reached` when the
 * organization is full and `conflict` when the id is taken; `revokeKey` and `rotateKey` release the
 * key's slot once.
 */
export interface KeyRepository {
  getKey(id: string): Promise<KeyRecord | null>;
  createKey(record: KeyRecord, nowMs: number): Promise<void>;
  /** The record after revocation (unchanged if already revoked), or null when no key has that id. */
  revokeKey(id: string, nowMs: number): Promise<KeyRecord | null>;
  listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }>;
  /** The organization's limit and active count (expired keys' slots released first). */
  getOrg(orgId: string, nowMs: number): Promise<OrgRecord>;
  putOrgLimit(orgId: string, maxKeys: number | null, nowMs: number): Promise<OrgRecord>;
  /** Puts the organization on a plan the deployment defines; its limit follows the plan's. */
  putOrgPlan(orgId: string, plan: string, nowMs: number): Promise<OrgRecord>;
  /** The key's calls per UTC day, exactly `days` entries ending today (see `lambdas/core/usage.ts`). */
  keyUsage(id: string, days: number, nowMs: number): Promise<UsageDay[]>;
  /** false when the old key was revoked, rotated or expired in the meantime. */
  rotateKey(old: KeyRecord, replacement: KeyRecord, graceSeconds: number, nowMs: number): Promise<boolean>;
}

/** A key lifecycle event: who did what to which key. Never carries a secret. */
export interface AuditEvent {
  action: 'key.created' | 'key.rotated' | 'key.revoked' | 'org.limit_changed';
  actor: string;
  org_id: string;
  key_id?: string;
  details?: Record<string, string | number | boolean | null>;
}

export type AuditSink = (event: AuditEvent) => void;

export interface ManagementDeps {
  repo: KeyRepository;
  tokenPrefix: string;
  defaultRateLimit: number;
  roleMatrix: RoleMatrix;
  defaultRole: string;
  /** Named plans and their key limits (the `plans` setting). @default none */
  plans?: PlanTable;
  signingSecret: () => Promise<string>;
  now: () => number;
  audit: AuditSink;
}

export interface NewKeyResponse {
  key: ApiKey;
  raw_key: string;
  warning: string;
}

export function actorOf(principal: Principal): string {
  return principal.type === 'admin' ? 'admin' : `key:${principal.keyId}`;
}

function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.includes(permission)) {
    throw new ApiError('forbidden', `This credential lacks the ${permission} permission.`);
  }
}

function requireAdmin(principal: Principal): void {
  if (principal.type !== 'admin')
    throw new ApiError('forbidden', 'Only the admin key can manage organizations.');
}

function notFound(id: string): ApiError {
  return new ApiError('not_found', `No key with id ${id}.`);
}

/**
 * The management API's behaviour, independent of HTTP and of DynamoDB. Every method enforces the
 * permission rules itself as well (the gateway's policy is the first line, this is the second).
 */
export class ManagementService {
  private readonly deps: ManagementDeps;

  constructor(deps: ManagementDeps) {
    this.deps = deps;
  }

  private view(record: KeyRecord): ApiKey {
    return toApiKey(record, this.deps.tokenPrefix, this.deps.now());
  }

  /** Loads a key the principal may see; another organization's key is reported as not found. */
  private async visibleKey(principal: Principal, id: string): Promise<KeyRecord> {
    const record = /^[0-9A-Za-z]{16}$/.test(id) ? await this.deps.repo.getKey(id) : null;
    if (record === null) throw notFound(id);
    if (principal.type === 'key' && record.org_id !== principal.orgId) throw notFound(id);
    return record;
  }

  private orgFor(principal: Principal, requested: string | null): string {
    if (principal.type === 'admin') return requested ?? DEFAULT_ORG;
    if (requested !== null && requested !== principal.orgId) {
      throw new ApiError('forbidden', 'Only the admin key can act on another organization.');
    }
    return principal.orgId;
  }

  private async issue(
    template: Omit<
      KeyRecord,
      'id' | 'key_hash' | 'salt' | 'calls' | 'last_used_at' | 'revoked_at' | 'released' | 'rotated_to'
    >,
  ): Promise<{ record: KeyRecord; token: string }> {
    const id = newKeyId();
    const salt = newSalt();
    const token = tokenFor(this.deps.tokenPrefix, await this.deps.signingSecret(), id, salt);
    const record: KeyRecord = {
      ...template,
      id,
      salt,
      key_hash: sha256Hex(token),
      calls: 0,
      last_used_at: null,
      revoked_at: null,
      released: false,
      rotated_to: null,
    };
    return { record, token };
  }

  async createKey(principal: Principal, input: CreateKeyCommand): Promise<NewKeyResponse> {
    requirePermission(principal, 'keys:write');
    const orgId = this.orgFor(principal, input.org_id);
    const roles = input.roles ?? [this.deps.defaultRole];
    const permissions = resolvePermissions(roles, this.deps.roleMatrix);
    if (principal.type === 'key') assertNoEscalation(principal.permissions, permissions);
    const nowMs = this.deps.now();
    const { record, token } = await this.issue({
      org_id: orgId,
      name: input.name,
      description: input.description,
      roles,
      permissions,
      rate_limit_per_minute: input.rate_limit_per_minute ?? this.deps.defaultRateLimit,
      created_at: new Date(nowMs).toISOString(),
      created_by: actorOf(principal),
      expires_at_ms: input.expires_at_ms,
      rotated_from: null,
    });
    await this.deps.repo.createKey(record, nowMs);
    this.deps.audit({
      action: 'key.created',
      actor: actorOf(principal),
      org_id: orgId,
      key_id: record.id,
      details: { roles: roles.join(','), rate_limit_per_minute: record.rate_limit_per_minute },
    });
    return { key: this.view(record), raw_key: token, warning: NEW_KEY_WARNING };
  }

  async listKeys(
    principal: Principal,
    input: ListKeysCommand,
  ): Promise<{ keys: ApiKey[]; next_cursor: string | null }> {
    requirePermission(principal, 'keys:read');
    const orgId = this.orgFor(principal, input.org_id);
    const page = await this.deps.repo.listKeys({
      orgId,
      limit: input.limit,
      cursor: input.cursor,
      status: input.status,
      nowMs: this.deps.now(),
    });
    return { keys: page.records.map((r) => this.view(r)), next_cursor: page.nextCursor };
  }

  async getKey(principal: Principal, id: string): Promise<{ key: ApiKey }> {
    requirePermission(principal, 'keys:read');
    return { key: this.view(await this.visibleKey(principal, id)) };
  }

  async revokeKey(principal: Principal, id: string): Promise<{ revoked: true; key: ApiKey }> {
    requirePermission(principal, 'keys:write');
    const record = await this.visibleKey(principal, id);
    if (principal.type === 'key' && principal.keyId === record.id) {
      throw new ApiError('cannot_modify_self', 'A key cannot revoke the key it is authenticating with.');
    }
    const updated = record.revoked_at === null ? await this.deps.repo.revokeKey(id, this.deps.now()) : record;
    if (updated === null) throw notFound(id);
    if (record.revoked_at === null) {
      this.deps.audit({
        action: 'key.revoked',
        actor: actorOf(principal),
        org_id: record.org_id,
        key_id: id,
      });
    }
    return { revoked: true, key: this.view(updated) };
  }

  /**
   * A new key with the same name, description, roles, frozen permissions, rate limit, expiry and
   * organization; the old key stops working when the grace period ends (at once for 0).
   */
  async rotateKey(principal: Principal, id: string, input: RotateKeyCommand): Promise<NewKeyResponse> {
    requirePermission(principal, 'keys:write');
    const old = await this.visibleKey(principal, id);
    if (principal.type === 'key' && principal.keyId === old.id) {
      throw new ApiError('cannot_modify_self', 'A key cannot rotate the key it is authenticating with.');
    }
    if (principal.type === 'key') assertNoEscalation(principal.permissions, old.permissions);
    const nowMs = this.deps.now();
    if (keyStatus(old, nowMs) !== 'active' || old.released) {
      throw new ApiError(
        'conflict',
        `Key ${id} is ${old.rotated_to ? 'already rotated' : keyStatus(old, nowMs)} and cannot be rotated.`,
      );
    }
    const { record, token } = await this.issue({
      org_id: old.org_id,
      name: old.name,
      description: old.description,
      roles: old.roles,
      permissions: old.permissions,
      rate_limit_per_minute: old.rate_limit_per_minute,
      created_at: new Date(nowMs).toISOString(),
      created_by: actorOf(principal),
      expires_at_ms: old.expires_at_ms,
      rotated_from: old.id,
    });
    if (!(await this.deps.repo.rotateKey(old, record, input.grace_period_seconds, nowMs))) {
      throw new ApiError('conflict', `Key ${id} changed while it was being rotated; read it and try again.`);
    }
    this.deps.audit({
      action: 'key.rotated',
      actor: actorOf(principal),
      org_id: old.org_id,
      key_id: old.id,
      details: { new_key_id: record.id, grace_period_seconds: input.grace_period_seconds },
    });
    return { key: this.view(record), raw_key: token, warning: NEW_KEY_WARNING };
  }

  async getOrg(principal: Principal, orgId: string): Promise<OrgRecord> {
    requireAdmin(principal);
    return this.deps.repo.getOrg(orgId, this.deps.now());
  }

  async putOrg(
    principal: Principal,
    orgId: string,
    input: OrgLimitCommand | OrgPlanCommand,
  ): Promise<OrgRecord> {
    requireAdmin(principal);
    if ('plan' in input) {
      const plans = this.deps.plans ?? {};
      if (!Object.hasOwn(plans, input.plan)) {
        const known = Object.keys(plans);
        throw new ValidationError(
          'plan',
          `plan: ${known.length === 0 ? 'this deployment defines no plans' : `must be one of ${known.join(', ')}`}`,
        );
      }
      const org = await this.deps.repo.putOrgPlan(orgId, input.plan, this.deps.now());
      this.deps.audit({
        action: 'org.limit_changed',
        actor: actorOf(principal),
        org_id: orgId,
        details: { plan: input.plan, max_keys: org.max_keys },
      });
      return org;
    }
    const org = await this.deps.repo.putOrgLimit(orgId, input.max_keys, this.deps.now());
    this.deps.audit({
      action: 'org.limit_changed',
      actor: actorOf(principal),
      org_id: orgId,
      details: { max_keys: input.max_keys },
    });
    return org;
  }

  /** A key's allowed calls per UTC day, oldest first, the last entry today; same visibility as getKey. */
  async getUsage(
    principal: Principal,
    id: string,
    days: number,
  ): Promise<{ key_id: string; days: UsageDay[] }> {
    requirePermission(principal, 'keys:read');
    const record = await this.visibleKey(principal, id);
    return { key_id: record.id, days: await this.deps.repo.keyUsage(record.id, days, this.deps.now()) };
  }

  /** The deployment's role matrix and default role, for any valid credential. */
  listRoles(): { roles: RoleMatrix; default_role: string } {
    return { roles: this.deps.roleMatrix, default_role: this.deps.defaultRole };
  }

  async whoami(
    principal: Principal,
  ): Promise<{ principal: 'admin' | 'key'; key?: ApiKey; org_id: string | null; permissions: Permission[] }> {
    if (principal.type === 'admin') {
      return { principal: 'admin', org_id: null, permissions: [...principal.permissions] };
    }
    const record = await this.visibleKey(principal, principal.keyId);
    return {
      principal: 'key',
      key: this.view(record),
      org_id: principal.orgId,
      permissions: [...principal.permissions],
    };
  }
}
