/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses them) of the management API's request and response
 * bodies, built from the same constants the validators and the wire types use: lengths and ranges from
 * validation.ts and settings.ts, the status and permission lists, the error-code table. Each object
 * schema is typed against its wire type (`PropertiesOf<T>` needs one entry per field of `T`), so a
 * field added to a wire type does not compile until it is described here. The OpenAPI generator
 * (openapi.ts) puts these under `components.schemas`; test/unit/schemas.test.ts checks that they
 * accept what the validators accept and refuse what they refuse. Pure data: no I/O.
 */
import { MAX_ALLOWED_CIDRS } from './cidr';
import { CREDITS_SCHEMAS } from './credits-schemas';
import { ERROR_STATUS, type ErrorCode } from './errors';
import { statusesOfCode } from './gateway-responses';
import { type ApiKey, AUDIT_EVENT_TYPES, type AuditEvent, SIGNATURE_ALGORITHMS } from './model';
import { REFUSAL_OUTCOMES } from './outcomes';
import { PERMISSION_PATTERN, PERMISSIONS } from './permissions';
import { PUBLIC_KEY_MAX_LENGTH } from './public-key';
import { MAX_KEYS, RATE_LIMIT_PER_MINUTE } from './settings';
import { TRUSTED_METADATA_PREFIX } from './trusted-metadata';
import { USAGE_DAYS } from './usage';
import {
  DESCRIPTION_LENGTH,
  GRACE_PERIOD_SECONDS,
  ISO_TIMESTAMP_RE,
  KEY_STATUSES,
  METADATA_LIMITS,
  NAME_LENGTH,
  ORG_ID_RE,
  ROLES_PER_KEY,
} from './validation';
import type {
  AuditPage,
  CreateKeyRequest,
  KeyResponse,
  KeyUsageResponse,
  ListKeysResponse,
  ListOrgsResponse,
  NewKeyResponse,
  Org,
  OrgLimitRequest,
  OrgPlanRequest,
  PlansResponse,
  RegisteredKeyResponse,
  RevokeResponse,
  RolesResponse,
  RotateKeyRequest,
  UpdateKeyRequest,
  Whoami,
} from './wire';

/** A JSON Schema (2020-12) object; kept loose on purpose, it is data for the document. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** One schema per field of `T`, optional fields included: the compiler keeps schema and type in step. */
export type PropertiesOf<T> = { readonly [K in keyof Required<T>]: JsonSchema };

/** A reference to a schema of `SCHEMAS` (an unknown name fails the document's compilation in the tests). */
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

function object<T>(
  properties: PropertiesOf<T>,
  required: readonly (keyof T & string)[],
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    required,
    additionalProperties: false,
  };
}

/** A timestamp as the server writes it: `Date.prototype.toISOString()`. */
const timestamp: JsonSchema = { type: 'string', format: 'date-time' };
const integerIn = (range: { readonly min: number; readonly max: number }): JsonSchema => ({
  type: 'integer',
  minimum: range.min,
  maximum: range.max,
});

/** Fields shared by request schemas, with the validators' limits. */
export const FIELDS = {
  name: {
    type: 'string',
    minLength: NAME_LENGTH.min,
    maxLength: NAME_LENGTH.max,
    // Not only spaces.
    pattern: '\\S',
  },
  description: { type: 'string', minLength: DESCRIPTION_LENGTH.min, maxLength: DESCRIPTION_LENGTH.max },
  roles: {
    type: 'array',
    items: { type: 'string' },
    minItems: ROLES_PER_KEY.min,
    maxItems: ROLES_PER_KEY.max,
  },
  rate_limit_per_minute: integerIn(RATE_LIMIT_PER_MINUTE),
  expires_at: {
    type: 'string',
    pattern: ISO_TIMESTAMP_RE.source,
    description: 'A future instant, ISO 8601 with a zone (Z or ±hh:mm), e.g. 2030-01-01T00:00:00Z.',
  },
  org_id: { type: 'string', pattern: ORG_ID_RE.source },
  max_keys: integerIn(MAX_KEYS),
  metadata: {
    type: 'object',
    description:
      `At most ${METADATA_LIMITS.maxEntries} entries, values of at most ${METADATA_LIMITS.maxValueChars} ` +
      `characters, ${METADATA_LIMITS.maxTotalBytes} UTF-8 bytes in all (keys and values). Passed to ` +
      'integrations in the authorizer context as `metadata` (a JSON string). Entries whose key starts ' +
      `with \`${TRUSTED_METADATA_PREFIX}\` are set by the admin key only: a key creating a key hands on its own ` +
      'exactly, and a key editing a key keeps its target’s (403 for any other value); the rest is ' +
      'tenant-controlled.',
    maxProperties: METADATA_LIMITS.maxEntries,
    propertyNames: { pattern: METADATA_LIMITS.keyPattern.source },
    additionalProperties: { type: 'string', maxLength: METADATA_LIMITS.maxValueChars },
  },
  signature_algorithm: { type: 'string', enum: [...SIGNATURE_ALGORITHMS] },
  public_key: {
    type: 'string',
    maxLength: PUBLIC_KEY_MAX_LENGTH,
    description:
      'An Ed25519 public key: the raw 32 bytes in base64url or base64, or a PEM `-----BEGIN PUBLIC KEY-----` ' +
      '(SPKI). Stored and shown as base64url of the raw 32 bytes. Anything else (another length, an RSA or ' +
      'other key, a private key) is refused with 400.',
  },
  allowed_cidrs: {
    type: 'array',
    items: { type: 'string', maxLength: 64 },
    maxItems: MAX_ALLOWED_CIDRS,
    description:
      `At most ${MAX_ALLOWED_CIDRS} IPv4 or IPv6 CIDRs (\`10.0.0.0/8\`, \`2001:db8::/32\`; a bare address is its ` +
      '/32 or /128). A request from an address outside every one is refused with 403 `ip_not_allowed` and ' +
      'not counted. Stored normalised (IPv6 compressed, IPv4-mapped IPv6 as IPv4); host bits set after ' +
      'the prefix are refused.',
  },
} as const satisfies Record<string, JsonSchema>;

const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

const apiKey = object<ApiKey>(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    description: nullable({ type: 'string' }),
    org_id: { type: 'string' },
    key_prefix: { type: 'string', description: 'The non-secret start of the token, for recognising it.' },
    roles: { type: 'array', items: { type: 'string' } },
    permissions: { type: 'array', items: ref('Permission') },
    rate_limit_per_minute: { type: 'integer', minimum: RATE_LIMIT_PER_MINUTE.min },
    enabled: { type: 'boolean' },
    status: ref('KeyStatus'),
    created_at: timestamp,
    created_by: { type: 'string', description: '`admin` or `key:<id>`.' },
    expires_at: nullable(timestamp),
    revoked_at: nullable(timestamp),
    last_used_at: nullable(timestamp),
    calls: { type: 'integer', minimum: 0, description: 'Allowed requests over the lifetime of the key.' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    allowed_cidrs: {
      type: 'array',
      items: { type: 'string' },
      description: 'The networks a request with this key must come from (canonical CIDRs); [] = anywhere.',
    },
    credits: nullable({ ...ref('Credits'), description: 'null: the key is unlimited.' }),
    rotated_to: nullable({
      type: 'string',
      description: 'The id of the key this one was rotated to; null when it was not rotated.',
    }),
    rotated_from: nullable({
      type: 'string',
      description: 'The id of the key this one replaced by a rotation; null otherwise.',
    }),
    signature_algorithm: {
      ...FIELDS.signature_algorithm,
      description:
        'The RFC 9421 algorithm the key signs with: an HMAC for a token key, `ed25519` for a public-key key.',
    },
    public_key: nullable({
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{43}$',
      description:
        "A public-key key's Ed25519 public key: the raw 32 bytes, base64url without padding. null for a token key.",
    }),
  },
  [
    'id',
    'name',
    'description',
    'org_id',
    'key_prefix',
    'roles',
    'permissions',
    'rate_limit_per_minute',
    'enabled',
    'status',
    'created_at',
    'created_by',
    'expires_at',
    'revoked_at',
    'last_used_at',
    'calls',
    'metadata',
    'allowed_cidrs',
    'credits',
    'rotated_to',
    'rotated_from',
    'signature_algorithm',
    'public_key',
  ],
  'An API key as the API shows it: never its secret, hash or salt.',
);

const newKey = object<NewKeyResponse>(
  {
    key: ref('ApiKey'),
    raw_key: { type: 'string', description: 'The full token, shown in this response only.' },
    warning: { type: 'string' },
  },
  ['key', 'raw_key', 'warning'],
);

const registeredKey = object<RegisteredKeyResponse>(
  { key: ref('ApiKey') },
  ['key'],
  'A public-key key: the key alone. latchkey holds no secret of it, so there is no raw_key.',
);

/** Every schema of the document, by its `components.schemas` name. */
export const SCHEMAS = {
  Permission: {
    type: 'string',
    pattern: PERMISSION_PATTERN,
    description: `latchkey's own (${PERMISSIONS.join(', ')}), or one the deployment's role matrix defines for its own routes (\`orders:write\`).`,
  },
  KeyStatus: {
    type: 'string',
    enum: [...KEY_STATUSES],
    description:
      '`rotating`: rotated, in its grace period (it still authenticates); `rotated`: rotated and the ' +
      'grace period is over. Precedence: revoked > rotated > expired > disabled > rotating > active.',
  },
  ErrorCode: {
    type: 'string',
    enum: ERROR_CODES,
    description:
      `${ERROR_CODES.map((c) => `${c} (${statusesOfCode(c).join(' or ')})`).join(', ')}. ` +
      '`rate_limited` is 403 for a key over its own per-minute limit (API Gateway turns an authorizer ' +
      "Deny into a 403) and 429 for API Gateway's own throttling and quotas.",
  },
  Error: {
    type: 'object',
    description: 'The one error body of every error, from the Lambdas and from API Gateway itself.',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: ref('ErrorCode'),
          message: { type: 'string', description: 'A sentence for people; a 400 starts with the field.' },
          request_id: { type: 'string' },
        },
        required: ['code', 'message', 'request_id'],
        additionalProperties: false,
      },
    },
    required: ['error'],
    additionalProperties: false,
  },
  ApiKey: apiKey,
  ...CREDITS_SCHEMAS,
  CreateKeyRequest: object<CreateKeyRequest>(
    {
      name: FIELDS.name,
      description: nullable(FIELDS.description),
      roles: nullable({ ...FIELDS.roles, description: "Default: the deployment's default role." }),
      rate_limit_per_minute: nullable({
        ...FIELDS.rate_limit_per_minute,
        description: "Default: the deployment's defaultRateLimit.",
      }),
      expires_at: nullable(FIELDS.expires_at),
      org_id: nullable({
        ...FIELDS.org_id,
        description: 'Admin key only; a key creates keys in its own organization.',
      }),
      metadata: nullable(FIELDS.metadata),
      allowed_cidrs: nullable({
        ...FIELDS.allowed_cidrs,
        description: `${FIELDS.allowed_cidrs.description} Default: anywhere.`,
      }),
      credits: nullable({ ...ref('CreditsRequest'), description: 'Default: none (unlimited).' }),
      signature_algorithm: nullable({
        ...FIELDS.signature_algorithm,
        description:
          'Default `hmac-sha256` (a token key); `hmac-sha512`: a token key whose RFC 9421 signatures use ' +
          'HMAC-SHA512; `ed25519` only with `public_key`.',
      }),
      public_key: nullable({
        ...FIELDS.public_key,
        description: `${FIELDS.public_key.description} Makes a public-key key: no token, no raw_key; it authenticates only by RFC 9421 signatures.`,
      }),
    },
    ['name'],
  ),
  UpdateKeyRequest: {
    ...object<UpdateKeyRequest>(
      {
        name: FIELDS.name,
        description: nullable({ ...FIELDS.description, description: 'null clears it.' }),
        rate_limit_per_minute: FIELDS.rate_limit_per_minute,
        expires_at: nullable({ ...FIELDS.expires_at, description: 'null: never expires.' }),
        enabled: { type: 'boolean', description: 'false refuses the key (same 401); true brings it back.' },
        metadata: nullable({
          ...FIELDS.metadata,
          description: 'Replaces the whole map; null or {} clears it.',
        }),
        allowed_cidrs: nullable({
          ...FIELDS.allowed_cidrs,
          description: `${FIELDS.allowed_cidrs.description} Replaces the whole list; null or [] allows anywhere.`,
        }),
        credits: nullable({
          ...ref('CreditsRequest'),
          description: 'Replaces the credits (balance, refill, threshold); null removes them (unlimited).',
        }),
      },
      [],
      'Any of the fields; an empty body is refused. A key cannot give another more than it holds itself.',
    ),
    minProperties: 1,
  },
  RotateKeyRequest: object<RotateKeyRequest>(
    {
      grace_period_seconds: nullable({
        ...integerIn(GRACE_PERIOD_SECONDS),
        default: GRACE_PERIOD_SECONDS.default,
        description: 'How long the old key keeps working; 0 stops it at once.',
      }),
      public_key: nullable({
        ...FIELDS.public_key,
        description: `${FIELDS.public_key.description} Required to rotate a public-key key (a new one); refused for a token key.`,
      }),
    },
    [],
  ),
  OrgLimitRequest: object<OrgLimitRequest>(
    {
      max_keys: nullable({ ...FIELDS.max_keys, description: 'null = unlimited, 0 = no API keys.' }),
    },
    ['max_keys'],
  ),
  NewKeyResponse: newKey,
  RegisteredKeyResponse: registeredKey,
  CreatedKeyResponse: {
    oneOf: [ref('NewKeyResponse'), ref('RegisteredKeyResponse')],
    description:
      'A token key with its raw_key (NewKeyResponse), or a public-key key alone (RegisteredKeyResponse).',
  },
  KeyResponse: object<KeyResponse>({ key: ref('ApiKey') }, ['key']),
  ListKeysResponse: object<ListKeysResponse>(
    {
      keys: { type: 'array', items: ref('ApiKey') },
      next_cursor: nullable({ type: 'string' }),
    },
    ['keys', 'next_cursor'],
    'One page, newest first; next_cursor is null on the last page.',
  ),
  RevokeResponse: object<RevokeResponse>({ revoked: { const: true }, key: ref('ApiKey') }, [
    'revoked',
    'key',
  ]),
  OrgPlanRequest: object<OrgPlanRequest>(
    { plan: { type: 'string', minLength: 1, description: "A plan of the deployment's plans setting." } },
    ['plan'],
  ),
  OrgUpdateRequest: {
    oneOf: [ref('OrgLimitRequest'), ref('OrgPlanRequest')],
    description: 'Either an own key limit or a plan, not both.',
  },
  Org: object<Org>(
    {
      org_id: { type: 'string', pattern: ORG_ID_RE.source },
      plan: nullable({ type: 'string' }),
      max_keys: nullable(integerIn(MAX_KEYS)),
      active_keys: { type: 'integer', minimum: 0 },
    },
    ['org_id', 'plan', 'max_keys', 'active_keys'],
    "max_keys is the effective limit: the plan's when the organization is on one.",
  ),
  ListOrgsResponse: object<ListOrgsResponse>(
    {
      orgs: { type: 'array', items: ref('Org') },
      next_cursor: nullable({ type: 'string' }),
    },
    ['orgs', 'next_cursor'],
    'One page, ordered by org id; next_cursor is null on the last page.',
  ),
  KeyUsageResponse: object<KeyUsageResponse>(
    {
      key_id: { type: 'string' },
      days: {
        type: 'array',
        minItems: USAGE_DAYS.min,
        maxItems: USAGE_DAYS.max,
        items: {
          type: 'object',
          properties: {
            date: { type: 'string', format: 'date' },
            calls: { type: 'integer', minimum: 0, description: 'Requests allowed.' },
            refused: {
              type: 'object',
              description:
                "Requests refused, by outcome, counted only when the credential matched the key (never for junk): every outcome, 0 when none. rate_limited: over rate_limit_per_minute; credits_exhausted: no credits left; forbidden: a route the key's permissions do not cover; disabled, expired, revoked: the key's state; network: from outside allowed_cidrs.",
              properties: Object.fromEntries(
                REFUSAL_OUTCOMES.map((o) => [o, { type: 'integer', minimum: 0 }]),
              ),
              required: [...REFUSAL_OUTCOMES],
              additionalProperties: false,
            },
          },
          required: ['date', 'calls', 'refused'],
          additionalProperties: false,
        },
      },
    },
    ['key_id', 'days'],
    'Allowed calls and refused requests by outcome per UTC day, oldest first, the last entry today; zeros included.',
  ),
  RolesResponse: object<RolesResponse>(
    {
      roles: { type: 'object', additionalProperties: { type: 'array', items: ref('Permission') } },
      default_role: { type: 'string' },
    },
    ['roles', 'default_role'],
  ),
  PlansResponse: object<PlansResponse>(
    {
      plans: {
        type: 'object',
        description: 'Plan name → key limit (null = unlimited); {} when the deployment defines no plans.',
        additionalProperties: nullable(integerIn(MAX_KEYS)),
      },
    },
    ['plans'],
  ),
  Whoami: object<Whoami>(
    {
      principal: { type: 'string', enum: ['admin', 'key'] },
      key: ref('ApiKey'),
      org_id: nullable({ type: 'string' }),
      permissions: { type: 'array', items: ref('Permission') },
    },
    ['principal', 'org_id', 'permissions'],
  ),
  AuditEvent: object<AuditEvent>(
    {
      id: { type: 'string' },
      type: { type: 'string', enum: [...AUDIT_EVENT_TYPES] },
      org_id: { type: 'string' },
      key_id: nullable({ type: 'string' }),
      actor: { type: 'string', description: '`admin` or `key:<id>`.' },
      request_id: { type: 'string' },
      at: timestamp,
      version: nullable({
        type: 'integer',
        minimum: 1,
        description:
          "The event's number in its key's trail (key events) or its organization's: 1, 2, 3… in " +
          'commit order. null on events written before events were numbered.',
      }),
      changes: {
        type: 'object',
        description: 'Field name → its old and new value (non-secret fields only).',
        additionalProperties: {
          type: 'object',
          properties: { old: {}, new: {} },
          required: ['old', 'new'],
          additionalProperties: false,
        },
      },
    },
    ['id', 'type', 'org_id', 'key_id', 'actor', 'request_id', 'at', 'version', 'changes'],
  ),
  AuditPage: object<AuditPage>(
    {
      events: { type: 'array', items: ref('AuditEvent') },
      next_cursor: nullable({ type: 'string' }),
    },
    ['events', 'next_cursor'],
    'One page, newest first; next_cursor is null on the last page.',
  ),
  EchoResponse: {
    type: 'object',
    description: 'What the sample application route received, as the authorizer passed it on.',
    properties: {
      method: { type: 'string' },
      path: { type: 'string' },
      proxy: { type: 'string' },
      query: { type: 'object', additionalProperties: { type: 'string' } },
      principal: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['admin', 'key'] },
          key_id: { type: 'string' },
          org_id: { type: 'string' },
        },
        required: ['type'],
      },
      body: nullable({ type: 'string' }),
    },
    required: ['method', 'path', 'proxy', 'query', 'principal', 'body'],
  },
} as const satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof SCHEMAS;
