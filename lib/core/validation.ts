/**
 * Validation of the management API's request bodies and query strings, once, at the edge of the core:
 * each `validate…` function turns untrusted JSON into a typed `…Command` (defaults applied, every
 * field checked) or throws a `ValidationError` naming the field. The `…Command` types are the
 * server's validated form; the wire types (`wire.ts`) are what a client sends, and each request's
 * field list here is checked against them by the compiler.
 */
import { type CidrProblem, MAX_ALLOWED_CIDRS, parseCidr } from './cidr';
import { type CreditsCommand, validateCredits } from './credits-validation';
import { ApiError, ValidationError } from './errors';
import { type KeySignature, optionalPublicKey, validateKeySignature } from './public-key';
import { integerRangeText, MAX_KEYS, RATE_LIMIT_PER_MINUTE } from './settings';
import { assertSafeText, validateMetadata } from './text-rules';
import { KEY_ID_RE } from './token';
import { USAGE_DAYS } from './usage';
import {
  type AuditQuery,
  type CreateKeyRequest,
  KEY_STATUSES,
  type KeyUsageQuery,
  type ListKeysQuery,
  type ListOrgsQuery,
  type OrgLimitRequest,
  type OrgPlanRequest,
  type RotateKeyRequest,
  type UpdateKeyRequest,
} from './wire';

export { assertSafeText, METADATA_LIMITS, validateMetadata } from './text-rules';
export { KEY_STATUSES };

export const MAX_BODY_BYTES = 16 * 1024;
export const ORG_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** ISO 8601 with an explicit zone (Z or ±hh:mm): a zoneless time would depend on the server's zone. */
export const ISO_TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** Field limits, read by the validators below and by the OpenAPI document (`schemas.ts`). */
export const NAME_LENGTH = { min: 1, max: 100 } as const;
export const DESCRIPTION_LENGTH = { min: 0, max: 500 } as const;
export const ROLES_PER_KEY = { min: 1, max: 10 } as const;
export const GRACE_PERIOD_SECONDS = { min: 0, max: 86_400, default: 0 } as const;
export const LIST_PAGE_SIZE = { min: 1, max: 100, default: 50 } as const;

export interface CreateKeyCommand {
  name: string;
  description: string | null;
  roles: string[] | null;
  rate_limit_per_minute: number | null;
  expires_at_ms: number | null;
  org_id: string | null;
  /** {} when none was given. */
  metadata: Record<string, string>;
  /** Canonical CIDRs; [] when none was given. */
  allowed_cidrs: string[];
  /** null: no credits (unlimited). */
  credits: CreditsCommand | null;
  /**
   * A token key and its HMAC, or a public-key key and its public key (`signature_algorithm`,
   * `public_key`). @default a token key signing with `hmac-sha256`
   */
  signature?: KeySignature;
}

/** `PATCH /v1/keys/{id}`: only the fields present change (at least one is). */
export interface UpdateKeyCommand {
  name?: string;
  description?: string | null;
  rate_limit_per_minute?: number;
  /** null: never expires. */
  expires_at_ms?: number | null;
  enabled?: boolean;
  /** Replaces the whole map; {} (or null in the body) clears it. */
  metadata?: Record<string, string>;
  /** Replaces the whole list (canonical CIDRs); [] clears it. */
  allowed_cidrs?: string[];
  /** Replaces the key's credits; null removes them. */
  credits?: CreditsCommand | null;
}

/** `GET /v1/audit`. */
export interface ListAuditCommand {
  limit: number;
  cursor: string | null;
  key_id: string | null;
  org_id: string | null;
}

export interface RotateKeyCommand {
  grace_period_seconds: number;
  /** A public-key key's new public key (stored form); absent or null when none was given. */
  public_key?: string | null;
}

export interface OrgLimitCommand {
  max_keys: number | null;
}

/** `PUT /v1/orgs/{org_id}` with `{plan}`: the organization follows the named plan's limit. */
export interface OrgPlanCommand {
  plan: string;
}

/** `GET /v1/keys/{id}/usage` query. */
export interface UsageQueryCommand {
  days: number;
}

/** `GET /v1/orgs`, validated. */
export interface ListOrgsCommand {
  limit: number;
  cursor: string | null;
}

export interface ListKeysCommand {
  limit: number;
  cursor: string | null;
  status: (typeof KEY_STATUSES)[number] | null;
  /** Only keys whose name contains this text, case-sensitively; null = any name. */
  name: string | null;
  org_id: string | null;
}

type Json = Record<string, unknown>;

/** Parses a JSON object body: size limit first, then syntax, then shape. Empty body → {}. */
export function parseJsonObject(body: string | null): Json {
  if (body === null || body === '') return {};
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new ApiError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ValidationError('body', 'body: must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('body', 'body: must be a JSON object');
  }
  return parsed as Json;
}

/**
 * A request's field names, read from a record that must name every field of its wire type `T` and
 * nothing else: a field added to `wire.ts` without its validator here (or the reverse) does not
 * compile. The record's order is the order the error messages list them in.
 */
function fieldsOf<T>(fields: Record<keyof T, true>): readonly string[] {
  return Object.keys(fields);
}

function rejectUnknown(input: Json, allowed: readonly string[], kind = 'field'): void {
  for (const field of Object.keys(input)) {
    if (!allowed.includes(field)) {
      throw new ValidationError(field, `${field}: unknown ${kind}; allowed are ${allowed.join(', ')}`);
    }
  }
}

function optionalInteger(input: Json, field: string, min: number, max: number): number | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `${field}: must be ${integerRangeText(min, max)}`);
  }
  return value;
}

function optionalString(input: Json, field: string, min: number, max: number): string | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new ValidationError(field, `${field}: must be a string of ${min} to ${max} characters`);
  }
  assertSafeText(field, value);
  return value;
}

function requiredName(input: Json): string {
  if (input.name === undefined || input.name === null) throw new ValidationError('name', 'name: is required');
  const name = optionalString(input, 'name', NAME_LENGTH.min, NAME_LENGTH.max);
  if (name === null || name.trim() === '') {
    throw new ValidationError(
      'name',
      `name: must be a string of ${NAME_LENGTH.min} to ${NAME_LENGTH.max} characters, not only spaces`,
    );
  }
  return name;
}

/** An ISO 8601 instant in the future, as epoch milliseconds. */
function futureInstant(value: unknown, field: string, nowMs: number): number {
  const m = typeof value === 'string' ? ISO_TIMESTAMP_RE.exec(value) : null;
  let ms = m ? Date.parse(value as string) : Number.NaN;
  if (m) {
    // Date.parse rolls 2030-02-30 over to March: check the day against the month.
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
      ms = Number.NaN;
  }
  if (Number.isNaN(ms)) {
    throw new ValidationError(field, `${field}: must be an ISO 8601 timestamp such as 2030-01-01T00:00:00Z`);
  }
  if (ms <= nowMs) throw new ValidationError(field, `${field}: must be in the future`);
  return ms;
}

function optionalOrgId(value: unknown, field = 'org_id'): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !ORG_ID_RE.test(value)) {
    throw new ValidationError(
      field,
      `${field}: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

export function validateOrgId(value: string | undefined): string {
  const org = optionalOrgId(value);
  if (org === null) throw new ValidationError('org_id', 'org_id: is required');
  return org;
}

const CREATE_FIELDS = fieldsOf<CreateKeyRequest>({
  name: true,
  description: true,
  roles: true,
  rate_limit_per_minute: true,
  expires_at: true,
  org_id: true,
  metadata: true,
  allowed_cidrs: true,
  credits: true,
  signature_algorithm: true,
  public_key: true,
});

export function validateCreateKey(input: Json, nowMs: number): CreateKeyCommand {
  rejectUnknown(input, CREATE_FIELDS);
  const name = requiredName(input);
  const description = optionalString(input, 'description', DESCRIPTION_LENGTH.min, DESCRIPTION_LENGTH.max);

  let roles: string[] | null = null;
  if (input.roles !== undefined && input.roles !== null) {
    const r = input.roles;
    if (
      !Array.isArray(r) ||
      r.length < ROLES_PER_KEY.min ||
      r.length > ROLES_PER_KEY.max ||
      !r.every((x) => typeof x === 'string')
    ) {
      throw new ValidationError(
        'roles',
        `roles: must be a list of ${ROLES_PER_KEY.min} to ${ROLES_PER_KEY.max} role names`,
      );
    }
    roles = [...new Set(r as string[])];
  }

  const rate = optionalInteger(
    input,
    'rate_limit_per_minute',
    RATE_LIMIT_PER_MINUTE.min,
    RATE_LIMIT_PER_MINUTE.max,
  );
  const expiresAtMs =
    input.expires_at === undefined || input.expires_at === null
      ? null
      : futureInstant(input.expires_at, 'expires_at', nowMs);

  return {
    name,
    description,
    roles,
    rate_limit_per_minute: rate,
    expires_at_ms: expiresAtMs,
    org_id: optionalOrgId(input.org_id),
    metadata: validateMetadata(input.metadata),
    allowed_cidrs: validateAllowedCidrs(input.allowed_cidrs),
    credits: input.credits === undefined || input.credits === null ? null : validateCredits(input.credits),
    signature: validateKeySignature(input),
  };
}

const UPDATE_FIELDS = fieldsOf<UpdateKeyRequest>({
  name: true,
  description: true,
  rate_limit_per_minute: true,
  expires_at: true,
  enabled: true,
  metadata: true,
  allowed_cidrs: true,
  credits: true,
});
const ROTATE_FIELDS = fieldsOf<RotateKeyRequest>({ grace_period_seconds: true, public_key: true });
const ORG_LIMIT_FIELDS = fieldsOf<OrgLimitRequest>({ max_keys: true });
const ORG_UPDATE_FIELDS = fieldsOf<OrgPlanRequest & OrgLimitRequest>({ plan: true, max_keys: true });
const AUDIT_QUERY = fieldsOf<AuditQuery>({ limit: true, cursor: true, key_id: true, org_id: true });
const USAGE_QUERY = fieldsOf<KeyUsageQuery>({ days: true });
const LIST_KEYS_QUERY = fieldsOf<ListKeysQuery>({
  limit: true,
  cursor: true,
  status: true,
  name: true,
  org_id: true,
});
const LIST_ORGS_QUERY = fieldsOf<ListOrgsQuery>({ limit: true, cursor: true });

export function validateUpdateKey(input: Json, nowMs: number): UpdateKeyCommand {
  rejectUnknown(input, UPDATE_FIELDS);
  if (Object.keys(input).length === 0) {
    throw new ValidationError('body', `body: name at least one of ${UPDATE_FIELDS.join(', ')}`);
  }
  const command: UpdateKeyCommand = {};
  if ('name' in input) command.name = requiredName(input);
  if ('description' in input)
    command.description = optionalString(
      input,
      'description',
      DESCRIPTION_LENGTH.min,
      DESCRIPTION_LENGTH.max,
    );
  if ('rate_limit_per_minute' in input) {
    const { min, max } = RATE_LIMIT_PER_MINUTE;
    const rate = optionalInteger(input, 'rate_limit_per_minute', min, max);
    if (rate === null) {
      throw new ValidationError(
        'rate_limit_per_minute',
        `rate_limit_per_minute: must be ${integerRangeText(min, max)}`,
      );
    }
    command.rate_limit_per_minute = rate;
  }
  if ('expires_at' in input) {
    command.expires_at_ms =
      input.expires_at === null ? null : futureInstant(input.expires_at, 'expires_at', nowMs);
  }
  if ('enabled' in input) {
    if (typeof input.enabled !== 'boolean')
      throw new ValidationError('enabled', 'enabled: must be true or false');
    command.enabled = input.enabled;
  }
  if ('metadata' in input) command.metadata = validateMetadata(input.metadata);
  if ('allowed_cidrs' in input) command.allowed_cidrs = validateAllowedCidrs(input.allowed_cidrs);
  if ('credits' in input) command.credits = input.credits === null ? null : validateCredits(input.credits);
  return command;
}

const CIDR_PROBLEMS: Record<CidrProblem, string> = {
  not_an_address: 'is not an IPv4 or IPv6 address or CIDR',
  bad_prefix_length: 'has a prefix length out of range (0–32 for IPv4, 0–128 for IPv6)',
  host_bits_set: 'has bits set after its prefix',
};

/**
 * `allowed_cidrs`: a list of at most `MAX_ALLOWED_CIDRS` IPv4 or IPv6 CIDRs (a bare address is its
 * /32 or /128), each normalised (`#core/cidr`), duplicates dropped, sorted; null or absent is []
 * (anywhere).
 */
export function validateAllowedCidrs(value: Json[string]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_ALLOWED_CIDRS) {
    throw new ValidationError(
      'allowed_cidrs',
      `allowed_cidrs: must be a list of at most ${MAX_ALLOWED_CIDRS} IPv4 or IPv6 CIDRs`,
    );
  }
  const out = new Set<string>();
  for (const item of value) {
    if (typeof item !== 'string' || item.length > 64) {
      throw new ValidationError('allowed_cidrs', 'allowed_cidrs: each entry must be a CIDR string');
    }
    const parsed = parseCidr(item);
    if (!parsed.ok) {
      const hint = parsed.hint === undefined ? '' : ` (did you mean ${parsed.hint}?)`;
      throw new ValidationError(
        'allowed_cidrs',
        `allowed_cidrs: ${JSON.stringify(item)} ${CIDR_PROBLEMS[parsed.problem]}${hint}`,
      );
    }
    out.add(parsed.cidr);
  }
  return [...out].sort();
}

export function validateRotateKey(input: Json): RotateKeyCommand {
  rejectUnknown(input, ROTATE_FIELDS);
  const { min, max } = GRACE_PERIOD_SECONDS;
  const seconds = optionalInteger(input, 'grace_period_seconds', min, max);
  return {
    grace_period_seconds: seconds ?? GRACE_PERIOD_SECONDS.default,
    public_key: optionalPublicKey(input.public_key),
  };
}

export function validateOrgLimit(input: Json): OrgLimitCommand {
  rejectUnknown(input, ORG_LIMIT_FIELDS);
  if (!('max_keys' in input)) {
    throw new ValidationError('max_keys', 'max_keys: is required (a number, or null for unlimited)');
  }
  return { max_keys: optionalInteger(input, 'max_keys', MAX_KEYS.min, MAX_KEYS.max) };
}

function pageLimit(raw: string | undefined): number {
  const { min, max } = LIST_PAGE_SIZE;
  if (raw === undefined) return LIST_PAGE_SIZE.default;
  const limit = /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
  if (limit < min || limit > max)
    throw new ValidationError('limit', `limit: must be ${integerRangeText(min, max)}`);
  return limit;
}

export function validateListAudit(query: Readonly<Record<string, string | undefined>>): ListAuditCommand {
  rejectUnknown(query as Json, AUDIT_QUERY, 'query parameter');
  const keyId = query.key_id === undefined || query.key_id === '' ? null : query.key_id;
  if (keyId !== null && !KEY_ID_RE.test(keyId)) {
    throw new ValidationError('key_id', 'key_id: must be a key id (16 letters and digits)');
  }
  const cursor = query.cursor === undefined || query.cursor === '' ? null : query.cursor;
  return { limit: pageLimit(query.limit), cursor, key_id: keyId, org_id: optionalOrgId(query.org_id) };
}

/**
 * `PUT /v1/orgs/{org_id}`: either `{plan}` (a plan name; whether the deployment defines it is checked
 * by the management core) or `{max_keys}`, not both.
 */
export function validateOrgUpdate(input: Json): OrgLimitCommand | OrgPlanCommand {
  if (!('plan' in input)) return validateOrgLimit(input);
  rejectUnknown(input, ORG_UPDATE_FIELDS);
  if ('max_keys' in input) {
    throw new ValidationError('plan', 'plan: give either plan or max_keys, not both');
  }
  if (typeof input.plan !== 'string' || input.plan === '') {
    throw new ValidationError('plan', 'plan: must be the name of a plan of this deployment');
  }
  return { plan: input.plan };
}

export function validateUsageQuery(query: Readonly<Record<string, string | undefined>>): UsageQueryCommand {
  rejectUnknown(query as Json, USAGE_QUERY, 'query parameter');
  if (query.days === undefined) return { days: USAGE_DAYS.default };
  const days = /^\d{1,3}$/.test(query.days) ? Number(query.days) : 0;
  if (days < USAGE_DAYS.min || days > USAGE_DAYS.max) {
    throw new ValidationError('days', `days: must be ${integerRangeText(USAGE_DAYS.min, USAGE_DAYS.max)}`);
  }
  return { days };
}

export function validateListKeys(query: Readonly<Record<string, string | undefined>>): ListKeysCommand {
  rejectUnknown(query as Json, LIST_KEYS_QUERY, 'query parameter');
  const limit = pageLimit(query.limit);
  let status: ListKeysCommand['status'] = null;
  if (query.status !== undefined) {
    if (!(KEY_STATUSES as readonly string[]).includes(query.status)) {
      throw new ValidationError('status', `status: must be one of ${KEY_STATUSES.join(', ')}`);
    }
    status = query.status as ListKeysCommand['status'];
  }
  const cursor = query.cursor === undefined || query.cursor === '' ? null : query.cursor;
  const name = query.name === undefined || query.name === '' ? null : query.name;
  if (name !== null) {
    if (name.length > NAME_LENGTH.max) {
      throw new ValidationError('name', `name: must be at most ${NAME_LENGTH.max} characters`);
    }
    assertSafeText('name', name);
  }
  return { limit, cursor, status, name, org_id: optionalOrgId(query.org_id) };
}

export function validateListOrgs(query: Readonly<Record<string, string | undefined>>): ListOrgsCommand {
  rejectUnknown(query as Json, LIST_ORGS_QUERY, 'query parameter');
  const cursor = query.cursor === undefined || query.cursor === '' ? null : query.cursor;
  return { limit: pageLimit(query.limit), cursor };
}
