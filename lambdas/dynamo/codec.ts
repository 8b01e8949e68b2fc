/**
 * The DynamoDB item codec: key items to `KeyRecord`s and back, organization items to `OrgRecord`s,
 * and the primary keys of every item kind, all built from the storage schema in
 * `lib/core/table.ts`. Shared by the authorizer's usage store and the management API's key
 * repository; no I/O.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CreditRefill, KeyCredits } from '#core/credits';
import { DependencyError } from '#core/errors';
import { type KeyRecord, type OrgRecord, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '#core/model';
import { isPermission } from '#core/permissions';
import { effectiveMaxKeys, type PlanTable } from '#core/plans';
import {
  CREDIT_ATTRIBUTES,
  keyListingSk,
  keyPk,
  ORG_ATTRIBUTES,
  orgPk,
  SORT_KEYS,
  TABLE_SCHEMA,
} from '#core/table';

export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });

/** The primary key of a key item. */
export const keyItemKey = (id: string): Item => ({
  [TABLE_SCHEMA.partitionKey]: s(keyPk(id)),
  [TABLE_SCHEMA.sortKey]: s(SORT_KEYS.key),
});

/** The primary key of an organization item. */
export const orgItemKey = (orgId: string): Item => ({
  [TABLE_SCHEMA.partitionKey]: s(orgPk(orgId)),
  [TABLE_SCHEMA.sortKey]: s(SORT_KEYS.org),
});

/** A replay-protection item (nonce or signature), deleted by TTL after `ttl` (Unix seconds). */
export const replayItem = (pk: string, ttl: number): Item => ({
  [TABLE_SCHEMA.partitionKey]: s(pk),
  [TABLE_SCHEMA.sortKey]: s(SORT_KEYS.replay),
  [TABLE_SCHEMA.ttlAttribute]: n(ttl),
});

export function str(item: Item, name: string): string | null {
  const v = item[name];
  return v && 'S' in v && v.S !== undefined ? v.S : null;
}

export function num(item: Item, name: string): number | null {
  const v = item[name];
  return v && 'N' in v && v.N !== undefined ? Number(v.N) : null;
}

function strList(item: Item, name: string): string[] {
  const v = item[name];
  return v && 'L' in v && v.L ? v.L.flatMap((x) => (x.S !== undefined ? [x.S] : [])) : [];
}

export function recordToItem(r: KeyRecord): Item {
  const item: Item = {
    ...keyItemKey(r.id),
    [TABLE_SCHEMA.gsi1.partitionKey]: s(orgPk(r.org_id)),
    [TABLE_SCHEMA.gsi1.sortKey]: s(keyListingSk(r.created_at, r.id)),
    id: s(r.id),
    org_id: s(r.org_id),
    name: s(r.name),
    roles: { L: r.roles.map(s) },
    permissions: { L: r.permissions.map(s) },
    rate_limit_per_minute: n(r.rate_limit_per_minute),
    created_at: s(r.created_at),
    created_by: s(r.created_by),
    calls: n(r.calls),
    released: { BOOL: r.released },
  };
  // A public-key key has no hash and no salt: absent, so the bearer write's `key_hash = :hash` never holds.
  if (r.key_hash !== null) item.key_hash = s(r.key_hash);
  if (r.salt !== '') item.salt = s(r.salt);
  if (r.sig_alg !== 'hmac-sha256') item.sig_alg = s(r.sig_alg);
  if (r.public_key !== null) item.public_key = s(r.public_key);
  if (r.description !== null) item.description = s(r.description);
  if (r.expires_at_ms !== null) item.expires_at_ms = n(r.expires_at_ms);
  if (r.revoked_at !== null) item.revoked_at = s(r.revoked_at);
  if (r.last_used_at !== null) item.last_used_at = s(r.last_used_at);
  if (r.rotated_from !== null) item.rotated_from = s(r.rotated_from);
  if (r.rotated_to !== null) item.rotated_to = s(r.rotated_to);
  if (r.disabled_at !== null) item.disabled_at = s(r.disabled_at);
  if (Object.keys(r.metadata).length > 0) item.metadata = metadataValue(r.metadata);
  if (r.allowed_cidrs.length > 0) item.allowed_cidrs = cidrsValue(r.allowed_cidrs);
  if (r.credits !== null) Object.assign(item, creditsAttributes(r.credits));
  if (r.audit_version > 0) item.audit_version = n(r.audit_version);
  if (r.audit_at_ms !== null) item.audit_at_ms = n(r.audit_at_ms);
  return item;
}

export function itemToRecord(item: Item): KeyRecord {
  const id = str(item, 'id');
  const orgId = str(item, 'org_id');
  if (id === null || orgId === null) throw new DependencyError('key item is missing id or org_id');
  const { hash, sigAlg, publicKey } = credentialOf(item);
  return {
    id,
    org_id: orgId,
    name: str(item, 'name') ?? '',
    description: str(item, 'description'),
    key_hash: hash,
    salt: str(item, 'salt') ?? '',
    sig_alg: sigAlg,
    public_key: publicKey,
    roles: strList(item, 'roles'),
    permissions: strList(item, 'permissions').filter(isPermission),
    rate_limit_per_minute: num(item, 'rate_limit_per_minute') ?? 0,
    created_at: str(item, 'created_at') ?? '',
    created_by: str(item, 'created_by') ?? '',
    expires_at_ms: num(item, 'expires_at_ms'),
    revoked_at: str(item, 'revoked_at'),
    last_used_at: str(item, 'last_used_at'),
    calls: num(item, 'calls') ?? 0,
    released: item.released?.BOOL === true,
    rotated_from: str(item, 'rotated_from'),
    rotated_to: str(item, 'rotated_to'),
    disabled_at: str(item, 'disabled_at'),
    metadata: metadataOf(item),
    allowed_cidrs: item.allowed_cidrs?.SS ? [...item.allowed_cidrs.SS].sort() : [],
    credits: creditsOf(item),
    audit_version: num(item, 'audit_version') ?? 0,
    audit_at_ms: num(item, 'audit_at_ms'),
    ...(sigAlg === null ? {} : { sig_alg: sigAlg }),
    ...(publicKey === null ? {} : { public_key: publicKey }),
  };
}

/** A key's credits as item attributes (`CREDIT_ATTRIBUTES`), each present only when it has a value. */
export function creditsAttributes(credits: KeyCredits): Item {
  const item: Item = { [CREDIT_ATTRIBUTES.remaining]: n(credits.remaining) };
  if (credits.next_refill_ms !== null) item[CREDIT_ATTRIBUTES.nextRefill] = n(credits.next_refill_ms);
  const refill = credits.refill;
  if (refill !== null) {
    const m: Item = { amount: n(refill.amount), every: s(refill.every), mode: s(refill.mode) };
    if (refill.day !== null) m.day = n(refill.day);
    if (refill.max !== null) m.max = n(refill.max);
    item[CREDIT_ATTRIBUTES.refill] = { M: m };
  }
  if (credits.low_threshold !== null) item[CREDIT_ATTRIBUTES.lowThreshold] = n(credits.low_threshold);
  return item;
}

/** The credits on a key item, or null (unlimited) when it has no balance. */
export function creditsOf(item: Item): KeyCredits | null {
  const remaining = num(item, CREDIT_ATTRIBUTES.remaining);
  if (remaining === null) return null;
  const m = item[CREDIT_ATTRIBUTES.refill]?.M;
  let refill: CreditRefill | null = null;
  if (m !== undefined) {
    const every = str(m, 'every');
    const mode = str(m, 'mode');
    const amount = num(m, 'amount');
    if ((every !== 'day' && every !== 'month') || (mode !== 'add' && mode !== 'replace') || amount === null)
      throw new DependencyError('key item has an unreadable credits refill');
    refill = { amount, every, mode, day: num(m, 'day'), max: num(m, 'max') };
  }
  return {
    remaining,
    refill,
    next_refill_ms: num(item, CREDIT_ATTRIBUTES.nextRefill),
    low_threshold: num(item, CREDIT_ATTRIBUTES.lowThreshold),
  };
}

/**
 * What a key item holds to authenticate with: a token key its hash (and `sig_alg`, absent for
 * `hmac-sha256`), a public-key key (`sig_alg` `ed25519`) its public key and no hash. An item that fits
 * neither is refused as a dependency fault, never read as a key (fail closed).
 */
function credentialOf(item: Item): {
  hash: string | null;
  sigAlg: SignatureAlgorithm;
  publicKey: string | null;
} {
  const stored = str(item, 'sig_alg') ?? 'hmac-sha256';
  const sigAlg = SIGNATURE_ALGORITHMS.find((alg) => alg === stored);
  if (sigAlg === undefined) throw new DependencyError('key item has an unknown sig_alg');
  const hash = str(item, 'key_hash');
  const publicKey = str(item, 'public_key');
  if (sigAlg === 'ed25519') {
    if (publicKey === null || hash !== null) {
      throw new DependencyError('ed25519 key item must have a public_key and no key_hash');
    }
    return { hash: null, sigAlg, publicKey };
  }
  if (hash === null || publicKey !== null) {
    throw new DependencyError('token key item must have a key_hash and no public_key');
  }
  return { hash, sigAlg, publicKey: null };
}

/** A key's metadata as a DynamoDB map of strings. */
export function metadataValue(metadata: Readonly<Record<string, string>>): AttributeValue {
  return { M: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, s(v)])) };
}

/**
 * A key's allowed CIDRs as a DynamoDB string set (never empty: no list is no attribute), which the
 * authorizer's condition reads with `contains` (`lambdas/dynamo/usage.ts`).
 */
export function cidrsValue(cidrs: readonly string[]): AttributeValue {
  return { SS: [...cidrs] };
}

function metadataOf(item: Item): Record<string, string> {
  const m = item.metadata;
  if (!m || !('M' in m) || !m.M) return {};
  // No prototype: a stored `__proto__` entry stays an entry, as it was written.
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(m.M)) if (v.S !== undefined) out[k] = v.S;
  return out;
}

/** The record in an old item returned by a failed condition, or null when no key item was there. */
export function oldRecordOf(item: Item | undefined): KeyRecord | null {
  return item && Object.keys(item).length > 0 ? itemToRecord(item) : null;
}

/**
 * An organization item as a record, with its effective limit: its plan's (resolved against `plans`
 * now), else its own, else the deployment's default.
 */
export function itemToOrg(
  orgId: string,
  item: Item,
  defaultMaxKeys: number,
  plans: PlanTable = {},
): OrgRecord {
  const max = item[ORG_ATTRIBUTES.maxKeys];
  const own = max === undefined ? undefined : max.NULL ? null : Number(max.N);
  const plan = str(item, ORG_ATTRIBUTES.plan);
  return {
    org_id: orgId,
    plan,
    max_keys: effectiveMaxKeys(plan, own, plans, defaultMaxKeys),
    active_keys: num(item, ORG_ATTRIBUTES.activeKeys) ?? 0,
  };
}

/**
 * The edited attributes of a key item, each conditioned on the value read (absent when null), with the
 * key's audit head: the edit is written only if no other change was committed since the read.
 */
export function keyEdit(old: KeyRecord, next: KeyRecord) {
  const fields = [
    ['audit_version', old.audit_version, next.audit_version],
    ['audit_at_ms', old.audit_at_ms, next.audit_at_ms],
    ['name', old.name, next.name],
    ['description', old.description, next.description],
    ['rate_limit_per_minute', old.rate_limit_per_minute, next.rate_limit_per_minute],
    ['expires_at_ms', old.expires_at_ms, next.expires_at_ms],
    ['disabled_at', old.disabled_at, next.disabled_at],
    ['metadata', old.metadata, next.metadata],
    ['allowed_cidrs', old.allowed_cidrs, next.allowed_cidrs],
  ] as const;
  const value = (name: string, v: unknown): Item[string] =>
    name === 'metadata'
      ? metadataValue(v as Record<string, string>)
      : name === 'allowed_cidrs'
        ? cidrsValue(v as string[])
        : typeof v === 'number'
          ? n(v)
          : s(v as string);
  const isEmpty = (name: string, v: unknown) =>
    v === null ||
    (name === 'metadata' && Object.keys(v as object).length === 0) ||
    (name === 'allowed_cidrs' && (v as string[]).length === 0) ||
    (name === 'audit_version' && v === 0);
  const names: Record<string, string> = {};
  const values: Item = {};
  const conditions: string[] = [];
  const set: string[] = [];
  const remove: string[] = [];
  fields.forEach(([name, before, after], i) => {
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    names[`#f${i}`] = name;
    if (isEmpty(name, before)) conditions.push(`attribute_not_exists(#f${i})`);
    else {
      values[`:old${i}`] = value(name, before);
      conditions.push(`#f${i} = :old${i}`);
    }
    if (isEmpty(name, after)) remove.push(`#f${i}`);
    else {
      values[`:new${i}`] = value(name, after);
      set.push(`#f${i} = :new${i}`);
    }
  });
  // Credits are set whole, with no condition on the balance read: calls spend from it meanwhile, and
  // the audit head already guarantees that no other change came between.
  if (JSON.stringify(old.credits) !== JSON.stringify(next.credits)) {
    const attributes = next.credits === null ? {} : creditsAttributes(next.credits);
    Object.values(CREDIT_ATTRIBUTES).forEach((name, i) => {
      names[`#c${i}`] = name;
      const v = attributes[name];
      if (v === undefined) remove.push(`#c${i}`);
      else {
        values[`:c${i}`] = v;
        set.push(`#c${i} = :c${i}`);
      }
    });
  }
  const update = [
    set.length ? `SET ${set.join(', ')}` : '',
    remove.length ? `REMOVE ${remove.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { names, values, conditions, update };
}
