/**
 * Audit events of the management API, built before the change they describe so that the repository can
 * write both in one DynamoDB transaction (no change without its record, no record without its change).
 * Each builder records only non-secret fields (never a hash, salt or token); `key.updated` carries the
 * changed fields' old and new values. Also the limits a key may pass on to keys it creates, rotates or
 * edits (`assertWithinCeiling`): no later expiry and no higher rate limit than its own. Pure: no I/O.
 */
import { networksWithin } from './cidr';
import type { KeyCredits } from './credits';
import { ApiError } from './errors';
import type { AuditChange, AuditEvent, AuditEventType, AuditValue, KeyRecord } from './model';
import type { Principal } from './principal';
import { publicKeyFingerprint } from './public-key';
import { newKeyId } from './token';

/** Who, in which request, when: what every event of one request shares. */
export interface AuditContext {
  actor: string;
  requestId: string;
  nowMs: number;
}

export function actorOf(principal: Principal): string {
  return principal.type === 'admin' ? 'admin' : `key:${principal.keyId}`;
}

export function auditEvent(
  ctx: AuditContext,
  type: AuditEventType,
  orgId: string,
  keyId: string | null,
  changes: Record<string, AuditChange>,
): AuditEvent {
  return {
    id: newKeyId(),
    type,
    org_id: orgId,
    key_id: keyId,
    actor: ctx.actor,
    request_id: ctx.requestId,
    at: new Date(ctx.nowMs).toISOString(),
    version: null,
    changes,
  };
}

/** Where a key's or an organization's audit trail stands: its last event's version and time. */
export interface AuditHead {
  version: number;
  atMs: number | null;
}

export const NO_EVENTS: AuditHead = { version: 0, atMs: null };

/** A key's audit head, as its record holds it. */
export const keyHead = (record: KeyRecord): AuditHead => ({
  version: record.audit_version,
  atMs: record.audit_at_ms,
});

/** The record fields that hold a key's audit head. */
export const headFields = (head: AuditHead): Pick<KeyRecord, 'audit_version' | 'audit_at_ms'> => ({
  audit_version: head.version,
  audit_at_ms: head.atMs,
});

/** The trail an event continues: its key's, or (organization events) its organization's. */
export const subjectOf = (event: AuditEvent): string => event.key_id ?? `org:${event.org_id}`;

/**
 * Numbers and dates the events of one transaction, in the order given. Each continues its subject's
 * trail (`heads`, by `subjectOf`; a subject not in it has no events yet): its version is one past the
 * last. The transaction is dated now, or a millisecond after the last event of any trail it continues
 * if that is later, its events a millisecond apart. The write is conditional on the heads read, so a
 * transaction built on a stale head fails and is built again: listed by time, each key's and each
 * organization's events are in the order they were committed. Returns each subject's new head.
 */
export function sequenceEvents(
  events: readonly AuditEvent[],
  heads: ReadonlyMap<string, AuditHead>,
  nowMs: number,
): Map<string, AuditHead> {
  let base = nowMs;
  for (const event of events) {
    const last = heads.get(subjectOf(event))?.atMs ?? null;
    if (last !== null) base = Math.max(base, last + 1);
  }
  const next = new Map<string, AuditHead>();
  events.forEach((event, i) => {
    const subject = subjectOf(event);
    const version = (next.get(subject) ?? heads.get(subject) ?? NO_EVENTS).version + 1;
    event.version = version;
    event.at = new Date(base + i).toISOString();
    next.set(subject, { version, atMs: base + i });
  });
  return next;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The fields of a key an audit event may show, by their API names. */
export function auditFields(record: KeyRecord): Record<string, AuditValue> {
  return {
    name: record.name,
    description: record.description,
    roles: [...record.roles],
    permissions: [...record.permissions],
    rate_limit_per_minute: record.rate_limit_per_minute,
    expires_at: iso(record.expires_at_ms),
    enabled: record.disabled_at === null,
    metadata: { ...record.metadata },
    allowed_cidrs: [...record.allowed_cidrs],
    // Credits only on a key that has them (or had them: an edit shows their removal as null).
    ...(record.credits === null ? {} : creditAuditFields(record.credits)),
  };
}

/** A key's credits as audit fields: the balance, the refill (its values as text) and the threshold. */
function creditAuditFields(credits: KeyCredits): Record<string, AuditValue> {
  const refill = credits.refill;
  return {
    credits_remaining: credits.remaining,
    credits_refill:
      refill === null
        ? null
        : Object.fromEntries(
            Object.entries({ ...refill }).flatMap(([k, v]) => (v === null ? [] : [[k, String(v)]])),
          ),
    credits_low_threshold: credits.low_threshold,
  };
}

/** `key.created`: every shown field, from null, and the key's signature algorithm. */
export function keyCreatedEvent(ctx: AuditContext, record: KeyRecord): AuditEvent {
  const changes: Record<string, AuditChange> = {};
  for (const [field, value] of Object.entries(auditFields(record)))
    changes[field] = { old: null, new: value };
  if (record.rotated_from !== null) changes.rotated_from = { old: null, new: record.rotated_from };
  // How the key signs; of a public key, only its fingerprint (`#core/public-key`).
  changes.signature_algorithm = { old: null, new: record.sig_alg };
  if (record.public_key !== null) {
    changes.public_key_fingerprint = { old: null, new: publicKeyFingerprint(record.public_key) };
  }
  return auditEvent(ctx, 'key.created', record.org_id, record.id, changes);
}

const same = (a: AuditValue, b: AuditValue): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The events of an edit: `key.updated` with every changed field but `enabled`, and `key.disabled` or
 * `key.enabled` when that flag changed. Empty when nothing changed.
 */
export function keyEditEvents(ctx: AuditContext, before: KeyRecord, after: KeyRecord): AuditEvent[] {
  const old = auditFields(before);
  const next = auditFields(after);
  const changes: Record<string, AuditChange> = {};
  for (const field of new Set([...Object.keys(old), ...Object.keys(next)])) {
    const o = old[field] ?? null;
    const n = next[field] ?? null;
    if (field !== 'enabled' && !same(o, n)) changes[field] = { old: o, new: n };
  }
  const events: AuditEvent[] = [];
  if (Object.keys(changes).length > 0)
    events.push(auditEvent(ctx, 'key.updated', after.org_id, after.id, changes));
  const wasEnabled = before.disabled_at === null;
  const isEnabled = after.disabled_at === null;
  if (wasEnabled !== isEnabled) {
    events.push(
      auditEvent(ctx, isEnabled ? 'key.enabled' : 'key.disabled', after.org_id, after.id, {
        enabled: { old: wasEnabled, new: isEnabled },
      }),
    );
  }
  return events;
}

/**
 * A key may not hand on more than it holds: the key it creates, rotates or edits may not expire later
 * than the calling key (nor never, when the caller expires) nor have a higher rate limit, nor be usable
 * from a network outside the calling key's `allowed_cidrs` (nor from anywhere, when the caller has a
 * list). `caller` is the calling key's record, null for the admin key (exempt); only the fields given
 * are checked.
 */
export function assertWithinCeiling(
  caller: KeyRecord | null,
  target: Partial<Pick<KeyRecord, 'expires_at_ms' | 'rate_limit_per_minute' | 'allowed_cidrs'>>,
  verb: string,
): void {
  if (caller === null) return;
  const ceiling = caller.expires_at_ms;
  const expiry = target.expires_at_ms;
  if (ceiling !== null && expiry !== undefined && (expiry === null || expiry > ceiling)) {
    throw new ApiError(
      'forbidden',
      `The calling key expires at ${iso(ceiling)}: it cannot ${verb} a key that expires later or never.`,
    );
  }
  const rate = target.rate_limit_per_minute;
  if (rate !== undefined && rate > caller.rate_limit_per_minute) {
    throw new ApiError(
      'forbidden',
      `The calling key's rate limit is ${caller.rate_limit_per_minute} per minute: it cannot ${verb} a key with a higher one.`,
    );
  }
  const networks = target.allowed_cidrs;
  if (networks !== undefined && !networksWithin(networks, caller.allowed_cidrs)) {
    throw new ApiError(
      'forbidden',
      `The calling key may be used only from ${caller.allowed_cidrs.join(', ')}: it cannot ${verb} a key usable from elsewhere.`,
    );
  }
}
