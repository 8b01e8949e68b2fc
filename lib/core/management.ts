/**
 * The management API's behaviour, independent of HTTP and DynamoDB: keys (create, list, read, edit,
 * revoke, rotate, usage), organizations (limits, plans), the audit trail, roles and whoami. Every method
 * enforces the rules itself, behind the gateway's policy: the permission each action needs, no
 * escalation (nothing a key does not hold, no later expiry or higher rate limit than its own), another
 * organization's key is not found, no key changes itself. Each change goes to storage (`KeyRepository`,
 * `repository.ts`) with its audit events, written in the same transaction.
 */
import {
  type AuditContext,
  type AuditHead,
  actorOf,
  assertWithinCeiling,
  auditEvent,
  headFields,
  keyCreatedEvent,
  keyEditEvents,
  keyHead,
  NO_EVENTS,
  sequenceEvents,
} from './audit';
import { effectiveCredits, newCredits } from './credits';
import type { AddCreditsCommand } from './credits-validation';
import { sha256Hex } from './crypto';
import { ApiError, keyNotFound, UNAUTHORIZED_MESSAGE, ValidationError } from './errors';
import {
  type ApiKey,
  type AuditEvent,
  apiKeyStatus,
  type KeyRecord,
  keyStatus,
  NEW_KEY_WARNING,
  type OrgRecord,
  toApiKey,
} from './model';
import { assertNoEscalation, type RoleMatrix, resolvePermissions } from './permissions';
import { type PlanTable, planLimit } from './plans';
import { type Principal, requireAdmin, requirePermission } from './principal';
import type { KeySignature } from './public-key';
import type { KeyRepository } from './repository';
import { issuedToken, KEY_ID_RE, newKeyId, newSalt, tokenFor } from './token';
import { metadataOnCreate, metadataOnEdit } from './trusted-metadata';
import type {
  CreateKeyCommand,
  ListAuditCommand,
  ListKeysCommand,
  ListOrgsCommand,
  OrgLimitCommand,
  OrgPlanCommand,
  RotateKeyCommand,
  UpdateKeyCommand,
} from './validation';

import {
  type AuditPage,
  DEFAULT_ORG,
  type KeyResponse,
  type KeyUsageResponse,
  type ListKeysResponse,
  type ListOrgsResponse,
  type NewKeyResponse,
  type PlansResponse,
  type RegisteredKeyResponse,
  type RevokeResponse,
  type RolesResponse,
  type Whoami,
} from './wire';

export type { KeyRepository, ListAuditQuery, ListKeysQuery, ListOrgsQuery } from './repository';
export type { NewKeyResponse, RegisteredKeyResponse };

export { DEFAULT_ORG };

/** How often a change that found its key or organization changed since it read it is built again. */
const CHANGE_ATTEMPTS = 20;

/** Called with each audit event once it is stored: the structured audit log line. */
export type AuditSink = (event: AuditEvent) => void;

export interface ManagementDeps {
  repo: KeyRepository;
  /** The prefix new keys get. */
  tokenPrefix: string;
  /**
   * Every accepted prefix (`tokenPrefix` first): a key is shown with the one it was issued under.
   * @default [tokenPrefix]
   */
  tokenPrefixes?: readonly string[];
  defaultRateLimit: number;
  roleMatrix: RoleMatrix;
  defaultRole: string;
  /** Named plans and their key limits (the `plans` setting). @default none */
  plans?: PlanTable;
  signingSecret: () => Promise<string>;
  now: () => number;
  audit: AuditSink;
  /** The request being served, recorded on its audit events (the handler builds a service per request). */
  requestId: string;
}

/** A token key signing with the default algorithm, what a create that names none makes. */
const TOKEN_KEY: KeySignature = { sig_alg: 'hmac-sha256', public_key: null };

/**
 * How a rotated key's successor signs: a token key's gets a new token and keeps the algorithm; a
 * public-key key's takes the new public key its rotation names (required, and not the current one).
 */
function rotatedSignature(old: KeyRecord, publicKey: string | null): KeySignature {
  if (old.sig_alg !== 'ed25519') {
    if (publicKey !== null) {
      throw new ValidationError(
        'public_key',
        'public_key: this key signs with a token; its rotation issues a new token and takes no public key',
      );
    }
    return { sig_alg: old.sig_alg, public_key: null };
  }
  if (publicKey === null) {
    throw new ValidationError(
      'public_key',
      'public_key: is required to rotate a public-key key (its new public key)',
    );
  }
  if (publicKey === old.public_key) {
    throw new ValidationError(
      'public_key',
      "public_key: is the key's current public key; rotation registers a new one",
    );
  }
  return { sig_alg: 'ed25519', public_key: publicKey };
}

export class ManagementService {
  private readonly deps: ManagementDeps;

  constructor(deps: ManagementDeps) {
    this.deps = deps;
  }

  private async view(record: KeyRecord): Promise<ApiKey> {
    return toApiKey(record, await this.prefixOf(record), this.deps.now());
  }

  /**
   * The prefix a key was issued under: with several accepted, the one whose token re-derived from the
   * master secret has the stored hash (one HMAC each); a key of a prefix no longer accepted shows the
   * prefix new keys get.
   */
  private async prefixOf(record: KeyRecord): Promise<string> {
    const prefixes = this.deps.tokenPrefixes ?? [];
    if (prefixes.length <= 1 || record.key_hash === null) return this.deps.tokenPrefix;
    return issuedToken(prefixes, await this.deps.signingSecret(), record)?.prefix ?? this.deps.tokenPrefix;
  }

  private context(principal: Principal, nowMs: number): AuditContext {
    return { actor: actorOf(principal), requestId: this.deps.requestId, nowMs };
  }

  /** The structured log line of each stored event. */
  private logged(events: readonly AuditEvent[]): void {
    for (const event of events) this.deps.audit(event);
  }

  /** Numbers and dates one key's events after its trail as read (`sequenceEvents`); its new head. */
  private sequence(events: readonly AuditEvent[], record: KeyRecord, nowMs: number): AuditHead {
    return (
      sequenceEvents(events, new Map([[record.id, keyHead(record)]]), nowMs).get(record.id) ?? keyHead(record)
    );
  }

  /** Loads a key the principal may see; another organization's key is reported as not found. */
  private async visibleKey(principal: Principal, id: string): Promise<KeyRecord> {
    const record = KEY_ID_RE.test(id) ? await this.deps.repo.getKey(id) : null;
    if (record === null) throw keyNotFound(id);
    if (principal.type === 'key' && record.org_id !== principal.orgId) throw keyNotFound(id);
    return record;
  }

  /**
   * The calling key's own record, read exactly (a consistent read), before any change a key makes: its
   * expiry and rate limit are ceilings, and a key revoked, disabled or expired since the authorizer let
   * the request through (bounded mode answers a hot key from its copy for up to `hotKeyBoundMs`) gets
   * the one 401 every credential failure gets. null for the admin key.
   */
  private async activeCaller(principal: Principal, nowMs: number): Promise<KeyRecord | null> {
    if (principal.type === 'admin') return null;
    const record = await this.deps.repo.getKey(principal.keyId);
    if (record === null || record.org_id !== principal.orgId || keyStatus(record, nowMs) !== 'active') {
      throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
    }
    return record;
  }

  /** A key acting on another: not itself, nothing it does not hold. */
  private assertMayModify(principal: Principal, target: KeyRecord, verb: string): void {
    if (principal.type !== 'key') return;
    if (principal.keyId === target.id) {
      throw new ApiError('cannot_modify_self', `A key cannot ${verb} the key it is authenticating with.`);
    }
    assertNoEscalation(principal.permissions, target.permissions);
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
      | 'id'
      | 'key_hash'
      | 'salt'
      | 'calls'
      | 'last_used_at'
      | 'revoked_at'
      | 'released'
      | 'rotated_to'
      | 'disabled_at'
      | 'audit_version'
      | 'audit_at_ms'
      | 'sig_alg'
      | 'public_key'
    >,
    signature: KeySignature,
  ): Promise<{ record: KeyRecord; token: string | null }> {
    const id = newKeyId();
    const fresh = {
      ...template,
      ...signature,
      id,
      calls: 0,
      last_used_at: null,
      revoked_at: null,
      released: false,
      rotated_to: null,
      disabled_at: null,
      ...headFields(NO_EVENTS),
    };
    // A public-key key gets no token: latchkey keeps only its public key, so nothing here can sign for it.
    if (signature.public_key !== null) return { record: { ...fresh, key_hash: null, salt: '' }, token: null };
    const salt = newSalt();
    const token = tokenFor(this.deps.tokenPrefix, await this.deps.signingSecret(), id, salt);
    return { record: { ...fresh, salt, key_hash: sha256Hex(token) }, token };
  }

  /** The answer for a key just made: its token shown this once, or (a public-key key) the key alone. */
  private async created(
    record: KeyRecord,
    token: string | null,
  ): Promise<NewKeyResponse | RegisteredKeyResponse> {
    const key = await this.view(record);
    return token === null ? { key } : { key, raw_key: token, warning: NEW_KEY_WARNING };
  }

  /**
   * A new key. Created by a key, it takes at most the caller's expiry and rate limit: omitted values
   * default to them (the rate limit to the lower of the default and the caller's), larger ones are 403.
   */
  async createKey(
    principal: Principal,
    input: CreateKeyCommand,
  ): Promise<NewKeyResponse | RegisteredKeyResponse> {
    requirePermission(principal, 'keys:write');
    const nowMs = this.deps.now();
    const caller = await this.activeCaller(principal, nowMs);
    const orgId = this.orgFor(principal, input.org_id);
    const roles = input.roles ?? [this.deps.defaultRole];
    const permissions = resolvePermissions(roles, this.deps.roleMatrix);
    if (principal.type === 'key') assertNoEscalation(principal.permissions, permissions);
    const limits = {
      // Omitted: the calling key's own list (a restricted key hands on its restriction).
      allowed_cidrs:
        input.allowed_cidrs.length > 0 ? input.allowed_cidrs : [...(caller?.allowed_cidrs ?? [])],
      expires_at_ms: input.expires_at_ms ?? caller?.expires_at_ms ?? null,
      rate_limit_per_minute:
        input.rate_limit_per_minute ??
        Math.min(this.deps.defaultRateLimit, caller?.rate_limit_per_minute ?? Number.POSITIVE_INFINITY),
    };
    assertWithinCeiling(caller, limits, 'create');
    const { record, token } = await this.issue(
      {
        org_id: orgId,
        name: input.name,
        description: input.description,
        roles,
        permissions,
        ...limits,
        created_at: new Date(nowMs).toISOString(),
        created_by: actorOf(principal),
        rotated_from: null,
        metadata: metadataOnCreate(caller, input.metadata),
        credits: input.credits === null ? null : newCredits(input.credits, nowMs),
      },
      input.signature ?? TOKEN_KEY,
    );
    const events = [keyCreatedEvent(this.context(principal, nowMs), record)];
    Object.assign(record, headFields(this.sequence(events, record, nowMs)));
    await this.deps.repo.createKey(record, nowMs, events);
    this.logged(events);
    return this.created(record, token);
  }

  async listKeys(principal: Principal, input: ListKeysCommand): Promise<ListKeysResponse> {
    requirePermission(principal, 'keys:read');
    const orgId = this.orgFor(principal, input.org_id);
    const page = await this.deps.repo.listKeys({
      orgId,
      limit: input.limit,
      cursor: input.cursor,
      status: input.status,
      name: input.name,
      nowMs: this.deps.now(),
    });
    return { keys: await Promise.all(page.records.map((r) => this.view(r))), next_cursor: page.nextCursor };
  }

  async getKey(principal: Principal, id: string): Promise<KeyResponse> {
    requirePermission(principal, 'keys:read');
    return { key: await this.view(await this.visibleKey(principal, id)) };
  }

  /**
   * Edits a key's name, description, rate limit, expiry, metadata, or disables and enables it. A
   * revoked, rotated or expired key cannot be edited (409). Nothing changed → no write, no event.
   */
  async updateKey(principal: Principal, id: string, input: UpdateKeyCommand): Promise<KeyResponse> {
    requirePermission(principal, 'keys:write');
    const nowMs = this.deps.now();
    const caller = await this.activeCaller(principal, nowMs);
    const old = await this.visibleKey(principal, id);
    this.assertMayModify(principal, old, 'edit');
    const status = apiKeyStatus(old, nowMs);
    if (status === 'revoked' || status === 'expired' || old.rotated_to !== null || old.released) {
      throw new ApiError('conflict', `Key ${id} is ${status} and cannot be edited.`);
    }
    const next: KeyRecord = { ...old };
    if (input.name !== undefined) next.name = input.name;
    if (input.description !== undefined) next.description = input.description;
    if (input.rate_limit_per_minute !== undefined) next.rate_limit_per_minute = input.rate_limit_per_minute;
    if (input.expires_at_ms !== undefined) next.expires_at_ms = input.expires_at_ms;
    if (input.metadata !== undefined) next.metadata = metadataOnEdit(caller, old, input.metadata);
    if (input.allowed_cidrs !== undefined) next.allowed_cidrs = input.allowed_cidrs;
    if (input.credits !== undefined)
      next.credits = input.credits === null ? null : newCredits(input.credits, nowMs);
    if (input.enabled !== undefined && input.enabled !== (old.disabled_at === null)) {
      next.disabled_at = input.enabled ? null : new Date(nowMs).toISOString();
    }
    const raised: Partial<Pick<KeyRecord, 'expires_at_ms' | 'rate_limit_per_minute' | 'allowed_cidrs'>> = {};
    if (input.allowed_cidrs !== undefined) raised.allowed_cidrs = input.allowed_cidrs;
    if (input.expires_at_ms !== undefined) raised.expires_at_ms = input.expires_at_ms;
    if (input.rate_limit_per_minute !== undefined) raised.rate_limit_per_minute = input.rate_limit_per_minute;
    if (Object.keys(raised).length > 0) assertWithinCeiling(caller, raised, 'give');
    const events = keyEditEvents(this.context(principal, nowMs), old, next);
    if (events.length === 0) return { key: await this.view(old) };
    Object.assign(next, headFields(this.sequence(events, old, nowMs)));
    if (!(await this.deps.repo.updateKey(old, next, nowMs, events))) {
      throw new ApiError('conflict', `Key ${id} changed while it was being edited; read it and try again.`);
    }
    this.logged(events);
    return { key: await this.view(next) };
  }

  /**
   * Revokes a key at once and for good. Built again on a fresh read when the key changed in the
   * meantime, so its event follows every change committed before it; repeating it is harmless.
   */
  async revokeKey(principal: Principal, id: string): Promise<RevokeResponse> {
    requirePermission(principal, 'keys:write');
    await this.activeCaller(principal, this.deps.now());
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const record = await this.visibleKey(principal, id);
      // As for PATCH and rotate: a key that may not disable a key may not revoke it either.
      this.assertMayModify(principal, record, 'revoke');
      if (record.revoked_at !== null) return { revoked: true, key: await this.view(record) };
      const nowMs = this.deps.now();
      const revokedAt = new Date(nowMs).toISOString();
      const events = [
        auditEvent(this.context(principal, nowMs), 'key.revoked', record.org_id, id, {
          revoked_at: { old: null, new: revokedAt },
        }),
      ];
      const revoked: KeyRecord = {
        ...record,
        revoked_at: revokedAt,
        released: true,
        ...headFields(this.sequence(events, record, nowMs)),
      };
      if (await this.deps.repo.revokeKey(record, revoked, nowMs, events)) {
        this.logged(events);
        return { revoked: true, key: await this.view(revoked) };
      }
    }
    throw new ApiError('conflict', `Key ${id} kept changing while it was being revoked; try again.`);
  }

  /**
   * Adds credits to a key's balance in one atomic write (concurrent calls and top-ups all count), with
   * a `key.credits_added` event in the same transaction. A key without credits is unlimited: 409.
   */
  async addCredits(principal: Principal, id: string, input: AddCreditsCommand): Promise<KeyResponse> {
    requirePermission(principal, 'keys:write');
    await this.activeCaller(principal, this.deps.now());
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const old = await this.visibleKey(principal, id);
      this.assertMayModify(principal, old, 'top up');
      const nowMs = this.deps.now();
      const status = apiKeyStatus(old, nowMs);
      if (status === 'revoked' || status === 'expired' || old.rotated_to !== null || old.released)
        throw new ApiError('conflict', `Key ${id} is ${status} and cannot be topped up.`);
      if (old.credits === null)
        throw new ApiError(
          'conflict',
          `Key ${id} has no credits (it is unlimited); set credits with PATCH first.`,
        );
      const events = [
        auditEvent(this.context(principal, nowMs), 'key.credits_added', old.org_id, id, {
          credits_added: { old: null, new: input.add },
        }),
      ];
      const head = this.sequence(events, old, nowMs);
      const after = await this.deps.repo.addCredits(old, input.add, head, nowMs, events);
      if (after === null) continue;
      this.logged(events);
      return { key: await this.view(after) };
    }
    throw new ApiError('conflict', `Key ${id} kept changing while it was being topped up; try again.`);
  }

  /**
   * A new key with the same name, description, roles, frozen permissions, rate limit, expiry,
   * metadata and organization; the old key stops working when the grace period ends (at once for 0).
   */
  async rotateKey(
    principal: Principal,
    id: string,
    input: RotateKeyCommand,
  ): Promise<NewKeyResponse | RegisteredKeyResponse> {
    requirePermission(principal, 'keys:write');
    const nowMs = this.deps.now();
    const caller = await this.activeCaller(principal, nowMs);
    const old = await this.visibleKey(principal, id);
    this.assertMayModify(principal, old, 'rotate');
    assertWithinCeiling(caller, old, 'rotate');
    const status = apiKeyStatus(old, nowMs);
    // A disabled key is not rotated: its replacement would come back enabled.
    if (status !== 'active' || old.released) {
      throw new ApiError(
        'conflict',
        `Key ${id} is ${status === 'rotating' ? 'already rotated' : status} and cannot be rotated.`,
      );
    }
    const signature = rotatedSignature(old, input.public_key ?? null);
    const { record, token } = await this.issue(
      {
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
        metadata: old.metadata,
        allowed_cidrs: old.allowed_cidrs,
        // The balance as it stands now goes with the key (the old one keeps its own during the grace period).
        credits: old.credits === null ? null : effectiveCredits(old.credits, nowMs),
      },
      signature,
    );
    const ctx = this.context(principal, nowMs);
    const grace = input.grace_period_seconds;
    const events = [
      auditEvent(ctx, 'key.rotated', old.org_id, old.id, {
        rotated_to: { old: null, new: record.id },
        grace_period_seconds: { old: null, new: grace },
      }),
      keyCreatedEvent(ctx, record),
    ];
    const heads = sequenceEvents(events, new Map([[old.id, keyHead(old)]]), nowMs);
    Object.assign(record, headFields(heads.get(record.id) ?? NO_EVENTS));
    const oldHead = heads.get(old.id) ?? keyHead(old);
    if (!(await this.deps.repo.rotateKey(old, record, grace, nowMs, events, oldHead))) {
      throw new ApiError('conflict', `Key ${id} changed while it was being rotated; read it and try again.`);
    }
    this.logged(events);
    return this.created(record, token);
  }

  /** Every organization that has keys or a limit or plan of its own, by org id, a page at a time. */
  async listOrgs(principal: Principal, input: ListOrgsCommand): Promise<ListOrgsResponse> {
    requireAdmin(principal);
    const page = await this.deps.repo.listOrgs({ limit: input.limit, cursor: input.cursor });
    return { orgs: page.orgs, next_cursor: page.nextCursor };
  }

  async getOrg(principal: Principal, orgId: string): Promise<OrgRecord> {
    requireAdmin(principal);
    return this.deps.repo.getOrg(orgId, this.deps.now());
  }

  /**
   * Sets an organization's limit or plan. Its event's old values are the ones the write replaced: the
   * write is conditional on the organization's audit head read with them, and built again on a fresh
   * read when another change came first.
   */
  async putOrg(
    principal: Principal,
    orgId: string,
    input: OrgLimitCommand | OrgPlanCommand,
  ): Promise<OrgRecord> {
    requireAdmin(principal);
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const nowMs = this.deps.now();
      const { org: before, head } = await this.deps.repo.getOrgForChange(orgId, nowMs);
      const ctx = this.context(principal, nowMs);
      const changes =
        'plan' in input
          ? {
              plan: { old: before.plan ?? null, new: input.plan },
              max_keys: { old: before.max_keys, new: planLimit(this.deps.plans ?? {}, input.plan) },
            }
          : {
              ...(before.plan ? { plan: { old: before.plan, new: null } } : {}),
              max_keys: { old: before.max_keys, new: input.max_keys },
            };
      const events = [auditEvent(ctx, 'org.updated', orgId, null, changes)];
      const subject = `org:${orgId}`;
      const to = sequenceEvents(events, new Map([[subject, head]]), nowMs).get(subject) ?? head;
      const change = { nowMs, events, from: head, to };
      const org =
        'plan' in input
          ? await this.deps.repo.putOrgPlan(orgId, input.plan, change)
          : await this.deps.repo.putOrgLimit(orgId, input.max_keys, change);
      if (org !== null) {
        this.logged(events);
        return org;
      }
    }
    throw new ApiError(
      'conflict',
      `Organization ${orgId} kept changing while it was being updated; try again.`,
    );
  }

  /** The audit trail, newest first: the caller's organization (any, for the admin key). */
  async listAudit(principal: Principal, input: ListAuditCommand): Promise<AuditPage> {
    requirePermission(principal, 'keys:read');
    const orgId =
      principal.type === 'admin' && input.key_id !== null && input.org_id === null
        ? null
        : this.orgFor(principal, input.org_id);
    // One key's events: its organization checked first (another's key is 404, as for GET /v1/keys/{id}),
    // so a request never walks a foreign key's history.
    if (principal.type === 'key' && input.key_id !== null) await this.visibleKey(principal, input.key_id);
    const page = await this.deps.repo.listAudit({
      orgId,
      keyId: input.key_id,
      limit: input.limit,
      cursor: input.cursor,
    });
    return { events: page.events, next_cursor: page.nextCursor };
  }

  /** A key's allowed calls per UTC day, oldest first, the last entry today; same visibility as getKey. */
  async getUsage(principal: Principal, id: string, days: number): Promise<KeyUsageResponse> {
    requirePermission(principal, 'keys:read');
    const record = await this.visibleKey(principal, id);
    return { key_id: record.id, days: await this.deps.repo.keyUsage(record.id, days, this.deps.now()) };
  }

  /** The deployment's plans and their key limits (the `plans` setting), for the admin key. */
  listPlans(principal: Principal): PlansResponse {
    requireAdmin(principal);
    return { plans: { ...(this.deps.plans ?? {}) } };
  }

  /** The deployment's role matrix and default role, for any valid credential. */
  listRoles(): RolesResponse {
    return { roles: this.deps.roleMatrix, default_role: this.deps.defaultRole };
  }

  async whoami(principal: Principal): Promise<Whoami> {
    if (principal.type === 'admin') {
      return { principal: 'admin', org_id: null, permissions: [...principal.permissions] };
    }
    const record = await this.visibleKey(principal, principal.keyId);
    return {
      principal: 'key',
      key: await this.view(record),
      org_id: principal.orgId,
      permissions: [...principal.permissions],
    };
  }
}
