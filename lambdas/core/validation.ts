/**
 * Validation of the management API's request bodies and query strings, once, at the edge of the core:
 * each `validate…` function turns untrusted JSON into a typed `…Command` (defaults applied, every
 * field checked) or throws a `ValidationError` naming the field. The `…Command` types are the
 * server's validated form; the SDK's wire types (`lib/sdk/types.ts`) are what a client sends.
 */
import { ApiError, ValidationError } from './errors';
import { MAX_KEYS, RATE_LIMIT_PER_MINUTE } from './settings';
import { USAGE_DAYS } from './usage';

export const MAX_BODY_BYTES = 16 * 1024;
export const ORG_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** ISO 8601 with an explicit zone (Z or ±hh:mm): a zoneless time would depend on the server's zone. */
const ISO_TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
export const KEY_STATUSES = ['active', 'revoked', 'expired'] as const;

export interface CreateKeyCommand {
  name: string;
  description: string | null;
  roles: string[] | null;
  rate_limit_per_minute: number | null;
  expires_at_ms: number | null;
  org_id: string | null;
}

export interface RotateKeyCommand {
  grace_period_seconds: number;
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

export interface ListKeysCommand {
  limit: number;
  cursor: string | null;
  status: (typeof KEY_STATUSES)[number] | null;
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
    throw new ValidationError(field, `${field}: must be an integer from ${min} to ${max}`);
  }
  return value;
}

function optionalString(input: Json, field: string, min: number, max: number): string | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new ValidationError(field, `${field}: must be a string of ${min} to ${max} characters`);
  }
  return value;
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

const CREATE_FIELDS = [
  'name',
  'description',
  'roles',
  'rate_limit_per_minute',
  'expires_at',
  'org_id',
] as const;

export function validateCreateKey(input: Json, nowMs: number): CreateKeyCommand {
  rejectUnknown(input, CREATE_FIELDS);
  if (input.name === undefined || input.name === null) throw new ValidationError('name', 'name: is required');
  const name = optionalString(input, 'name', 1, 100);
  if (name === null || name.trim() === '') {
    throw new ValidationError('name', 'name: must be a string of 1 to 100 characters, not only spaces');
  }
  const description = optionalString(input, 'description', 0, 500);

  let roles: string[] | null = null;
  if (input.roles !== undefined && input.roles !== null) {
    const r = input.roles;
    if (!Array.isArray(r) || r.length === 0 || r.length > 10 || !r.every((x) => typeof x === 'string')) {
      throw new ValidationError('roles', 'roles: must be a list of 1 to 10 role names');
    }
    roles = [...new Set(r as string[])];
  }

  const rate = optionalInteger(
    input,
    'rate_limit_per_minute',
    RATE_LIMIT_PER_MINUTE.min,
    RATE_LIMIT_PER_MINUTE.max,
  );

  let expiresAtMs: number | null = null;
  if (input.expires_at !== undefined && input.expires_at !== null) {
    const v = input.expires_at;
    const m = typeof v === 'string' ? ISO_TIMESTAMP_RE.exec(v) : null;
    let ms = m ? Date.parse(v as string) : Number.NaN;
    if (m) {
      // Date.parse rolls 2030-02-30 over to March: check the day against the month.
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
        ms = Number.NaN;
    }
    if (Number.isNaN(ms)) {
      throw new ValidationError(
        'expires_at',
        'expires_at: must be an ISO 8601 timestamp such as 2030-01-01T00:00:00Z',
      );
    }
    if (ms <= nowMs) throw new ValidationError('expires_at', 'expires_at: must be in the future');
    expiresAtMs = ms;
  }

  return {
    name,
    description,
    roles,
    rate_limit_per_minute: rate,
    expires_at_ms: expiresAtMs,
    org_id: optionalOrgId(input.org_id),
  };
}

export function validateRotateKey(input: Json): RotateKeyCommand {
  rejectUnknown(input, ['grace_period_seconds']);
  return { grace_period_seconds: optionalInteger(input, 'grace_period_seconds', 0, 86_400) ?? 0 };
}

export function validateOrgLimit(input: Json): OrgLimitCommand {
  rejectUnknown(input, ['max_keys']);
  if (!('max_keys' in input)) {
    throw new ValidationError('max_keys', 'max_keys: is required (a number, or null for unlimited)');
  }
  return { max_keys: optionalInteger(input, 'max_keys', MAX_KEYS.min, MAX_KEYS.max) };
}

/**
 * `PUT /v1/orgs/{org_id}`: either `{plan}` (a plan name; whether the deployment defines it is checked
 * by the management core) or `{max_keys}`, not both.
 */
export function validateOrgUpdate(input: Json): OrgLimitCommand | OrgPlanCommand {
  if (!('plan' in input)) return validateOrgLimit(input);
  rejectUnknown(input, ['plan', 'max_keys']);
  if ('max_keys' in input) {
    throw new ValidationError('plan', 'plan: give either plan or max_keys, not both');
  }
  if (typeof input.plan !== 'string' || input.plan === '') {
    throw new ValidationError('plan', 'plan: must be the name of a plan of this deployment');
  }
  return { plan: input.plan };
}

export function validateUsageQuery(query: Readonly<Record<string, string | undefined>>): UsageQueryCommand {
  rejectUnknown(query as Json, ['days'], 'query parameter');
  if (query.days === undefined) return { days: USAGE_DAYS.default };
  const days = /^\d{1,3}$/.test(query.days) ? Number(query.days) : 0;
  if (days < USAGE_DAYS.min || days > USAGE_DAYS.max) {
    throw new ValidationError('days', `days: must be an integer from ${USAGE_DAYS.min} to ${USAGE_DAYS.max}`);
  }
  return { days };
}

export function validateListKeys(query: Readonly<Record<string, string | undefined>>): ListKeysCommand {
  rejectUnknown(query as Json, ['limit', 'cursor', 'status', 'org_id'], 'query parameter');
  let limit = 50;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : 0;
    if (limit < 1 || limit > 100)
      throw new ValidationError('limit', 'limit: must be an integer from 1 to 100');
  }
  let status: ListKeysCommand['status'] = null;
  if (query.status !== undefined) {
    if (!(KEY_STATUSES as readonly string[]).includes(query.status)) {
      throw new ValidationError('status', `status: must be one of ${KEY_STATUSES.join(', ')}`);
    }
    status = query.status as ListKeysCommand['status'];
  }
  const cursor = query.cursor === undefined || query.cursor === '' ? null : query.cursor;
  return { limit, cursor, status, org_id: optionalOrgId(query.org_id) };
}
