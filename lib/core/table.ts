/**
 * The key table's storage schema, in one place: the physical key schema (partition and sort key, the
 * GSI, the TTL attribute) that the CDK stack and local mode's table creation read, the item prefixes
 * that the stack's IAM conditions on `dynamodb:LeadingKeys` read, and the sort keys, attribute names
 * and key builders that the DynamoDB adapters read. The single-table data model:
 *
 * | item           | pk                     | sk      | gsi1pk      | gsi1sk              | ttl                      |
 * |----------------|------------------------|---------|-------------|---------------------|--------------------------|
 * | key            | KEY#<keyId>            | KEY     | ORG#<org>   | <created_at>#<id>   | released + retention     |
 * | organization   | ORG#<org>              | ORG     | ORGS        | <org>               |                          |
 * | replay nonce   | NONCE#<keyId>#<nonce>  | REPLAY  |             |                     | timestamp + 600 s        |
 * | replay sig.    | SIG#<keyId>#<sha256>   | REPLAY  |             |                     | timestamp + 600 s        |
 * | audit event    | AUDIT#<org>            | <at>#<eventId> | AUDITKEY#<keyId> | <at>#<eventId> | at + audit retention |
 * | usage history  | USAGE#<keyId>          | <date>  |             |                     | day + max(91, retention) |
 *
 * A key item's other attributes are named after the `KeyRecord` fields (`lib/core/model.ts`).
 * Rate-limit windows and usage live on the key item itself (`rl_<minute>`, `calls`, `last_used_at`)
 * so that a bearer verification is exactly one conditional UpdateItem; so does the per-day call count
 * (`u_<YYYYMMDD>`, UTC), which the management function later rolls off into a usage-history item
 * (`USAGE#<keyId>`, sort key `<YYYY-MM-DD>`, attribute `calls`). Organization items may carry a `plan`
 * name whose key limit the `plans` setting gives. Pure: no AWS SDK import.
 */

/** The physical key schema, shared by the CDK stack and local mode so both create the same table. */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

/**
 * Partition-key prefixes: key records, organizations, and the two replay-protection items of a signed
 * request (nonce and signature). The stack's IAM conditions confine each function to its own items.
 */
export const ITEM_PREFIXES = {
  key: 'KEY#',
  org: 'ORG#',
  nonce: 'NONCE#',
  signature: 'SIG#',
  audit: 'AUDIT#',
  usage: 'USAGE#',
} as const;

/**
 * GSI1 partition key of every organization item (sort key: the org id), so that `GET /v1/orgs` reads
 * organizations in org-id order, one bounded page at a time. Holds no `#`, so it cannot be a key listing's.
 */
export const ORG_LISTING_PK = 'ORGS';

/** GSI1 partition-key prefix of audit events, for one key's events (`GET /v1/audit?key_id=`). */
export const AUDIT_KEY_PREFIX = 'AUDITKEY#';

/** Sort keys, one per item kind (both replay items share one). */
export const SORT_KEYS = { key: 'KEY', org: 'ORG', replay: 'REPLAY' } as const;

/** Attributes of an organization item besides its keys. */
export const ORG_ATTRIBUTES = {
  orgId: 'org_id',
  maxKeys: 'max_keys',
  activeKeys: 'active_keys',
  updatedAt: 'updated_at',
  plan: 'plan',
} as const;

/** Attributes of a usage-history item (`USAGE#<keyId>` / `<YYYY-MM-DD>`). */
export const USAGE_ATTRIBUTES = { calls: 'calls' } as const;

/**
 * A key item's credits (`#core/credits`), each attribute absent on a key without them: the balance, when
 * the next refill is due (epoch ms), the refill (a map: amount, every, day, mode, max) and the low
 * threshold. The authorizer writes the first two; the other two it only reads.
 */
export const CREDIT_ATTRIBUTES = {
  remaining: 'cr_rem',
  nextRefill: 'cr_next',
  refill: 'cr_refill',
  lowThreshold: 'cr_low',
} as const;

/** A key item's per-minute rate-limit counter is the attribute `rl_<window>`. */
export const RATE_WINDOW_PREFIX = 'rl_';
/** A key item's call counter for one UTC day is the attribute `u_<YYYYMMDD>`. */
export const USAGE_DAY_PREFIX = 'u_';
/** A key item's counter of one refusal outcome on one UTC day is `o_<code>_<YYYYMMDD>` (`outcomes.ts`). */
export const REFUSAL_DAY_PREFIX = 'o_';

/**
 * Every attribute the authorizer's UpdateItem on a key item may name, in its update or its condition
 * expression (IAM `dynamodb:Attributes` patterns, `*` a wildcard): the key, the checks it evaluates
 * (hash, revocation, disabling, expiry, rate limit, network allowlist, credits) and the counters it writes. The stack allows the
 * authorizer's UpdateItem only within this list, so its role cannot touch a key's permissions, roles,
 * organization, salt, name or metadata; IAM cannot tell an evaluated attribute from a written one, so
 * the evaluated ones are in the list too. A test holds the store's requests against it.
 */
export const AUTHORIZER_UPDATE_ATTRIBUTES = [
  TABLE_SCHEMA.partitionKey,
  TABLE_SCHEMA.sortKey,
  'key_hash',
  'revoked_at',
  'disabled_at',
  'expires_at_ms',
  'rate_limit_per_minute',
  'allowed_cidrs',
  CREDIT_ATTRIBUTES.remaining,
  CREDIT_ATTRIBUTES.nextRefill,
  'calls',
  'last_used_at',
  `${RATE_WINDOW_PREFIX}*`,
  `${USAGE_DAY_PREFIX}*`,
  `${REFUSAL_DAY_PREFIX}*`,
] as const;

export const keyPk = (keyId: string): string => `${ITEM_PREFIXES.key}${keyId}`;
export const orgPk = (orgId: string): string => `${ITEM_PREFIXES.org}${orgId}`;
export const noncePk = (keyId: string, nonce: string): string => `${ITEM_PREFIXES.nonce}${keyId}#${nonce}`;
export const signaturePk = (keyId: string, signatureHash: string): string =>
  `${ITEM_PREFIXES.signature}${keyId}#${signatureHash}`;
/** A key's sort key in its organization's listing (GSI1): newest last by creation time, then id. */
export const keyListingSk = (createdAt: string, keyId: string): string => `${createdAt}#${keyId}`;
export const rateWindowAttribute = (window: number): string => `${RATE_WINDOW_PREFIX}${window}`;
/** The window an attribute `rl_<window>` counts, or null for any other attribute. */
export function windowOfAttribute(name: string): number | null {
  if (!name.startsWith(RATE_WINDOW_PREFIX)) return null;
  const window = Number(name.slice(RATE_WINDOW_PREFIX.length));
  return Number.isSafeInteger(window) ? window : null;
}
export const auditPk = (orgId: string): string => `${ITEM_PREFIXES.audit}${orgId}`;
export const auditKeyPk = (keyId: string): string => `${AUDIT_KEY_PREFIX}${keyId}`;
/** An audit event's sort key (table and GSI1): newest last by time, then id. */
export const auditSk = (at: string, eventId: string): string => `${at}#${eventId}`;
export const usagePk = (keyId: string): string => `${ITEM_PREFIXES.usage}${keyId}`;
/** The key item's counter for a UTC day given as `YYYY-MM-DD`: `u_YYYYMMDD`. */
export const usageDayAttribute = (day: string): string => `${USAGE_DAY_PREFIX}${day.replaceAll('-', '')}`;
