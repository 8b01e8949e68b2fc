/**
 * Lifecycle events: what latchkey publishes (to an EventBridge bus on AWS, to the event log and the
 * webhook in local mode) for every committed change. Each event is derived from one audit item
 * (protocol §4.8), which the change's own transaction wrote, so an event exists exactly for what
 * committed. The mapping from audit type to `detail-type` is explicit; an audit type this module does
 * not know is published under its own name with the same detail shape. `key.expiring` has no audit item:
 * the daily expiry scan builds it, with an id derived from the key and its expiry so that every repeat
 * for the same expiry carries the same id. The detail never holds a secret: fields whose names say hash,
 * salt, token, secret, signature or password are dropped even if a change ever named one. Schema:
 * `docs/events.schema.json`; catalogue: `docs/events.md`. Pure: no I/O.
 */
import type { AuditChange, AuditEventType } from './model';

/** `source` of every event. */
export const EVENT_SOURCE = 'latchkey';

/** `detail.schema_version`: raised only for a change a consumer could break on (a field removed or retyped). */
export const EVENT_SCHEMA_VERSION = 1;

/** The credits audit types, which the key write path records when a balance crosses its thresholds. */
type CreditsAuditType = 'key.credits_low' | 'key.credits_exhausted';

/** Audit type → `detail-type`: every audit type is listed, so a new one must be placed here. */
export const EVENT_DETAIL_TYPES: Readonly<Record<AuditEventType | CreditsAuditType, string>> = {
  'key.created': 'key.created',
  'key.updated': 'key.updated',
  'key.disabled': 'key.disabled',
  'key.enabled': 'key.enabled',
  'key.revoked': 'key.revoked',
  'key.rotated': 'key.rotated',
  'key.leaked': 'key.leaked',
  'key.credits_added': 'key.credits_added',
  'org.updated': 'org.updated',
  'key.credits_low': 'key.credits_low',
  'key.credits_exhausted': 'key.credits_exhausted',
};

/** `detail-type` of the daily expiry notice. */
export const EXPIRING_DETAIL_TYPE = 'key.expiring';

/** `actor` of events latchkey itself raises (the expiry scan). */
export const SYSTEM_ACTOR = 'latchkey';

/** An audit item as the stream or a table read delivers it; `type` may be one this version does not know. */
export interface AuditRecord {
  id: string;
  type: string;
  org_id: string;
  key_id: string | null;
  actor: string;
  request_id: string;
  at: string;
  version: number | null;
  changes: Record<string, AuditChange>;
}

/** `detail` of every event. */
export interface LifecycleEventDetail {
  schema_version: typeof EVENT_SCHEMA_VERSION;
  /** The audit event's id (for `key.expiring`: `expiring:<keyId>:<expires_at>`): de-duplicate on it. */
  id: string;
  /** The same as the event's `detail-type`. */
  type: string;
  org_id: string;
  /** null for organization events. */
  key_id: string | null;
  /** `admin`, `key:<id>`, or `latchkey` for events latchkey raises itself. */
  actor: string;
  /** The management request that made the change; null for `key.expiring`. */
  request_id: string | null;
  /** When the change committed (ISO 8601 UTC). */
  at: string;
  /** The event's number in its key's (or organization's) audit trail; null for `key.expiring`. */
  version: number | null;
  changes: Record<string, AuditChange>;
  /** `key.expiring` only: when the key expires. */
  expires_at?: string;
}

/** One event, as it goes on the bus (`Source`, `DetailType`, `Time`, `Detail`). */
export interface LifecycleEvent {
  source: typeof EVENT_SOURCE;
  detailType: string;
  time: string;
  detail: LifecycleEventDetail;
}

/** Field names that could hold a credential: never published, whatever a change names. */
const SECRET_FIELD_RE = /hash|salt|token|secret|signature|password/i;

function publicChanges(changes: Record<string, AuditChange>): Record<string, AuditChange> {
  const kept: Record<string, AuditChange> = {};
  for (const [field, change] of Object.entries(changes)) {
    if (!SECRET_FIELD_RE.test(field)) kept[field] = change;
  }
  return kept;
}

/** The `detail-type` of an audit type: its catalogue name, or the type itself when it is not in the catalogue. */
export function detailTypeOf(auditType: string): string {
  return Object.hasOwn(EVENT_DETAIL_TYPES, auditType)
    ? EVENT_DETAIL_TYPES[auditType as keyof typeof EVENT_DETAIL_TYPES]
    : auditType;
}

/** The event of one committed audit item. */
export function lifecycleEventOf(audit: AuditRecord): LifecycleEvent {
  const type = detailTypeOf(audit.type);
  return {
    source: EVENT_SOURCE,
    detailType: type,
    time: audit.at,
    detail: {
      schema_version: EVENT_SCHEMA_VERSION,
      id: audit.id,
      type,
      org_id: audit.org_id,
      key_id: audit.key_id,
      actor: audit.actor,
      request_id: audit.request_id,
      at: audit.at,
      version: audit.version,
      changes: publicChanges(audit.changes),
    },
  };
}

/** What the expiry scan reads of a key. */
export interface ExpiringKey {
  id: string;
  org_id: string;
  expires_at_ms: number;
}

/** The id of a key's expiry notice: the same for every notice of one expiry, new when the expiry changes. */
export const expiringEventId = (key: ExpiringKey): string =>
  `expiring:${key.id}:${new Date(key.expires_at_ms).toISOString()}`;

/** Whether a key expiring at `expiresAtMs` is due a notice at `nowMs`: not yet expired, within the window. */
export function isExpiringWithin(expiresAtMs: number, nowMs: number, withinDays: number): boolean {
  return expiresAtMs > nowMs && expiresAtMs <= nowMs + withinDays * 86_400_000;
}

/** `key.expiring` for a key that expires within the window, raised at `nowMs`. */
export function expiringEvent(key: ExpiringKey, nowMs: number): LifecycleEvent {
  const at = new Date(nowMs).toISOString();
  const expiresAt = new Date(key.expires_at_ms).toISOString();
  return {
    source: EVENT_SOURCE,
    detailType: EXPIRING_DETAIL_TYPE,
    time: at,
    detail: {
      schema_version: EVENT_SCHEMA_VERSION,
      id: expiringEventId(key),
      type: EXPIRING_DETAIL_TYPE,
      org_id: key.org_id,
      key_id: key.id,
      actor: SYSTEM_ACTOR,
      request_id: null,
      at,
      version: null,
      changes: {},
      expires_at: expiresAt,
    },
  };
}

/**
 * The event as EventBridge delivers it to a rule's target (the envelope fields a consumer reads):
 * what local mode writes to its event log, so that a consumer reads one shape on AWS and locally.
 */
export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: LifecycleEventDetail;
}

/** The EventBridge envelope of an event delivered outside EventBridge (local mode): `id` is the detail's. */
export function deliveredEventOf(event: LifecycleEvent): DeliveredEvent {
  return {
    version: '0',
    id: event.detail.id,
    'detail-type': event.detailType,
    source: event.source,
    time: event.time,
    detail: event.detail,
  };
}
