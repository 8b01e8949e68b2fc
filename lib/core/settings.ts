/**
 * Every deployment setting of latchkey, in one table: its name (the CDK context key after `latchkey:`
 * when an operator can set it on deploy), the environment variable a Lambda reads it from (when one
 * does), its default, its allowed range or values, its unit and a one-line description. `loadConfig`
 * (Lambda cold start), the construct props checks and defaults in `lib/`, `lib/cdk/context-props.ts`
 * (`-c latchkey:<name>=…`), the CLI help and the documentation tests all read this table, so a new setting
 * is added here first. Values are checked against their row here too (`checkSetting`, `parseSetting`),
 * with one sentence for every layer. Pure data, formatting and checks: no AWS SDK and no aws-cdk-lib
 * import, because the Lambdas bundle it.
 */
import { MAX_KEYS, RATE_LIMIT_PER_MINUTE } from './limits';
import { DEFAULT_ROLE, DEFAULT_ROLE_MATRIX } from './permissions';

export { MAX_KEYS, RATE_LIMIT_PER_MINUTE };

import { CORS_ORIGIN_RE, CORS_ORIGIN_RULE } from './cors';
import { hasDistinctPrefixes, PREFIX_LIST_RE, PREFIX_LIST_RULE } from './token';

/** Context keys are `latchkey:<name>`: `npx cdk deploy -c latchkey:defaultRateLimit=120`. */
export const CONTEXT_PREFIX = 'latchkey:';

interface SettingBase {
  /**
   * True when an operator sets it with `-c latchkey:<name>=<value>` (or in `cdk.json`'s context);
   * false for values the stack or local mode sets itself.
   */
  readonly context: boolean;
  /** The environment variable a Lambda reads it from; absent for settings only the stack uses. */
  readonly env?: `LATCHKEY_${string}`;
}

/** The prose columns of a row of the table (see `SETTING_DOCS`). */
export interface SettingDoc {
  /** One line for the help text and the docs. */
  readonly doc: string;
  readonly unit?: string;
  /** How the docs and the help show the default when it is not a plain value ("off", "none", …). */
  readonly defaultText?: string;
  /**
   * The rule a JSON value (or a string the table cannot check) must follow, in words. A string row
   * with a `pattern` carries its rule in the row itself, because the checks need it.
   */
  readonly rule?: string;
}

export interface IntegerSetting extends SettingBase {
  readonly kind: 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** The only values allowed, when they are not a range. */
  readonly values?: readonly number[];
}

export interface NumberSetting extends SettingBase {
  readonly kind: 'number';
  readonly default: number;
  /** Values must be greater than this. */
  readonly above: number;
}

export interface StringSetting extends SettingBase {
  readonly kind: 'string';
  readonly default?: string;
  /** The only values allowed, when there is a fixed list. */
  readonly values?: readonly string[];
  readonly pattern?: RegExp;
  /** A check a value matching `pattern` must pass too (one a pattern cannot say: no duplicates). */
  readonly check?: (value: string) => boolean;
  /** What `pattern` and `check` allow, in words (error messages, the help and the docs). */
  readonly rule?: string;
}

export interface BooleanSetting extends SettingBase {
  readonly kind: 'boolean';
  readonly default: boolean;
}

export interface JsonSetting extends SettingBase {
  readonly kind: 'json';
  readonly default?: unknown;
}

export type Setting = IntegerSetting | NumberSetting | StringSetting | BooleanSetting | JsonSetting;

/**
 * How strictly the authorizer reads an ARMOR-PSK nonce: `compatible` accepts any nonce of the published
 * scheme (1-128 printable characters), `strict` only 32 lowercase hex characters, so nothing can move
 * between the end of the path and the start of the nonce in the canonical string.
 */
export const SIGNING_PROFILES = ['compatible', 'strict'] as const;
export type SigningProfile = (typeof SIGNING_PROFILES)[number];
/**
 * How the authorizer verifies keys: `bounded` verifies a hot key against its instance's copy of the key
 * item, never older than `hotKeyBoundMs` (`lib/core/hot-keys.ts`); `exact` does one conditional
 * write per request for every key (revocation from the next request; a throttled item answers 503).
 */
export const VERIFY_MODES = ['bounded', 'exact'] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];
/**
 * Which kind of API Gateway API guards the routes: `rest` (API Gateway v1, gateway responses, WAF,
 * usage plans) or `http` (API Gateway v2 HTTP API, payload format 2.0, lower cost).
 */
export const API_TYPES = ['rest', 'http'] as const;
export type ApiType = (typeof API_TYPES)[number];
/**
 * What the GitHub secret-scanning endpoint does with a key whose token GitHub found in public:
 * `disable` it (refused like a revoked key, re-enabled with PATCH `enabled: true`), `revoke` it for
 * good, or only `notify` (an audit event, nothing changed).
 */
export const LEAK_ACTIONS = ['disable', 'revoke', 'notify'] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];
/** Where GitHub publishes the keys it signs secret-scanning reports with. */
export const GITHUB_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';
/** Lambda memory in MB (AWS's own limits); CPU scales with it. */
export const LAMBDA_MEMORY_MB = { default: 512, min: 128, max: 10_240 } as const;
/** With scheduled admin-key rotation, a rotated key must be honoured everywhere within a minute. */
export const MAX_SECRET_CACHE_WITH_ROTATION_SECONDS = 60;
/** The retention periods CloudWatch Logs accepts (`logs.RetentionDays`; 9999 = never expire). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  9999,
] as const;

const SET_BY_STACK = '(set by the stack / local mode)';

/**
 * A secret's complete ARN, with the 6-character suffix Secrets Manager appends to its name: a partial
 * ARN cannot be imported with the permissions scoped to the one secret.
 */
const SECRET_COMPLETE_ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const SECRET_COMPLETE_ARN_RULE =
  'a complete secret ARN, ending in the 6-character suffix (as in the AdminKeySecretArn output)';

/** The table. Order is the order of the docs and the help. */
export const SETTINGS = {
  tokenPrefix: {
    context: true,
    env: 'LATCHKEY_TOKEN_PREFIX',
    kind: 'string',
    default: 'lk',
    pattern: PREFIX_LIST_RE,
    check: hasDistinctPrefixes,
    rule: PREFIX_LIST_RULE,
  },
  defaultMaxKeys: {
    context: true,
    env: 'LATCHKEY_DEFAULT_MAX_KEYS',
    kind: 'integer',
    default: 50,
    ...MAX_KEYS,
  },
  defaultRateLimit: {
    context: true,
    env: 'LATCHKEY_DEFAULT_RATE_LIMIT',
    kind: 'integer',
    default: 60,
    ...RATE_LIMIT_PER_MINUTE,
  },
  roleMatrix: { context: true, env: 'LATCHKEY_ROLE_MATRIX', kind: 'json', default: DEFAULT_ROLE_MATRIX },
  defaultRole: { context: true, env: 'LATCHKEY_DEFAULT_ROLE', kind: 'string', default: DEFAULT_ROLE },
  plans: { context: true, env: 'LATCHKEY_PLANS', kind: 'json', default: {} },
  keyRetentionDays: {
    context: true,
    env: 'LATCHKEY_RETENTION_DAYS',
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3650,
  },
  auditRetentionDays: {
    context: true,
    env: 'LATCHKEY_AUDIT_RETENTION_DAYS',
    kind: 'integer',
    default: 90,
    min: 1,
    max: 3650,
  },
  authorizerCacheTtlSeconds: { context: true, kind: 'integer', default: 0, min: 0, max: 3600 },
  signingProfile: {
    context: true,
    env: 'LATCHKEY_SIGNING_PROFILE',
    kind: 'string',
    default: 'compatible',
    values: SIGNING_PROFILES,
  },
  apiType: {
    context: true,
    env: 'LATCHKEY_API_TYPE',
    kind: 'string',
    default: 'rest',
    values: API_TYPES,
  },
  verifyMode: {
    context: true,
    env: 'LATCHKEY_VERIFY_MODE',
    kind: 'string',
    default: 'bounded',
    values: VERIFY_MODES,
  },
  hotKeyBoundMs: {
    context: true,
    env: 'LATCHKEY_HOT_KEY_BOUND_MS',
    kind: 'integer',
    default: 1000,
    min: 100,
    max: 10_000,
  },
  secretCacheTtlSeconds: {
    context: true,
    env: 'LATCHKEY_SECRET_CACHE_SECONDS',
    kind: 'integer',
    default: 60,
    min: 0,
    max: 3600,
  },
  adminKeyRotationDays: { context: true, kind: 'integer' },
  logRetentionDays: { context: true, kind: 'integer', default: 30, values: LOG_RETENTION_DAYS },
  stageName: {
    context: true,
    kind: 'string',
    default: 'prod',
    pattern: /^[A-Za-z0-9_-]{1,128}$/,
    rule: "1-128 letters, digits, '-' or '_'",
  },
  throttlingRateLimit: { context: true, kind: 'number', default: 500, above: 0 },
  throttlingBurstLimit: { context: true, kind: 'integer', default: 1000, min: 1 },
  executionLogLevel: { context: true, kind: 'string', default: 'ERROR', values: ['ERROR', 'INFO'] },
  cloudWatchRole: { context: true, kind: 'boolean', default: true },
  webAclArn: { context: true, kind: 'string' },
  alarmEmail: {
    context: true,
    kind: 'string',
    pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
    rule: 'an email address',
  },
  corsAllowOrigin: {
    context: true,
    env: 'LATCHKEY_CORS_ALLOW_ORIGIN',
    kind: 'string',
    pattern: CORS_ORIGIN_RE,
    rule: CORS_ORIGIN_RULE,
  },
  githubSecretScanning: { context: true, kind: 'boolean', default: true },
  leakAction: {
    context: true,
    env: 'LATCHKEY_LEAK_ACTION',
    kind: 'string',
    default: 'disable',
    values: LEAK_ACTIONS,
  },
  githubKeysUrl: {
    context: true,
    env: 'LATCHKEY_GITHUB_KEYS_URL',
    kind: 'string',
    default: GITHUB_KEYS_URL,
    pattern: /^https?:\/\/[^\s]+$/,
    rule: 'an http:// or https:// URL',
  },
  authorizerMemorySize: { context: true, kind: 'integer', ...LAMBDA_MEMORY_MB },
  authorizerProvisionedConcurrency: { context: true, kind: 'integer', default: 0, min: 0, max: 1000 },
  managementMemorySize: { context: true, kind: 'integer', ...LAMBDA_MEMORY_MB },
  existingTableName: { context: true, kind: 'string' },
  existingAdminKeySecretArn: {
    context: true,
    kind: 'string',
    pattern: SECRET_COMPLETE_ARN_RE,
    rule: SECRET_COMPLETE_ARN_RULE,
  },
  existingSigningSecretArn: {
    context: true,
    kind: 'string',
    pattern: SECRET_COMPLETE_ARN_RE,
    rule: SECRET_COMPLETE_ARN_RULE,
  },
  events: { context: true, kind: 'boolean', default: true },
  eventBusArn: {
    context: true,
    kind: 'string',
    pattern: /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]+$/,
    rule: 'an EventBridge event bus ARN',
  },
  expiringWithinDays: {
    context: true,
    env: 'LATCHKEY_EXPIRING_WITHIN_DAYS',
    kind: 'integer',
    default: 7,
    min: 1,
    max: 365,
  },
  webhookUrl: {
    context: true,
    env: 'LATCHKEY_WEBHOOK_URL',
    kind: 'string',
    pattern: /^https?:\/\/[^\s]+$/,
    rule: 'an http:// or https:// URL (https:// on AWS)',
  },
  tableName: { context: false, env: 'LATCHKEY_TABLE_NAME', kind: 'string' },
  eventBus: { context: false, env: 'LATCHKEY_EVENT_BUS', kind: 'string' },
  webhookSecretId: { context: false, env: 'LATCHKEY_WEBHOOK_SECRET_ID', kind: 'string' },
  webhookSecret: { context: false, env: 'LATCHKEY_WEBHOOK_SECRET', kind: 'string' },
  adminKeySecretId: { context: false, env: 'LATCHKEY_ADMIN_KEY_SECRET_ID', kind: 'string' },
  signingSecretId: { context: false, env: 'LATCHKEY_SIGNING_SECRET_ID', kind: 'string' },
  applicationRoutes: { context: false, env: 'LATCHKEY_APPLICATION_ROUTES', kind: 'json' },
  dynamodbEndpoint: { context: false, env: 'LATCHKEY_DYNAMODB_ENDPOINT', kind: 'string' },
  secretsEndpoint: { context: false, env: 'LATCHKEY_SECRETS_ENDPOINT', kind: 'string' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/**
 * The table's prose columns (one line of doc, unit, how the default and the allowed values read), for
 * the help and the docs. Kept beside the values rather than inside them so that the Lambda bundles,
 * which read only the values, do not carry the prose; the type makes a row here required for every
 * setting.
 */
export const SETTING_DOCS: { readonly [K in SettingName]: SettingDoc } = {
  tokenPrefix: {
    doc: 'token prefixes: new keys get the first, tokens of every listed one are accepted; a key of a prefix dropped from the list stops working',
  },
  defaultMaxKeys: {
    unit: 'keys',
    doc: 'active keys per organization when PUT /v1/orgs/{org_id} set no limit (0 = none)',
  },
  defaultRateLimit: { unit: 'requests per minute', doc: 'rate_limit_per_minute of keys created without one' },
  roleMatrix: {
    rule: 'a JSON object of role name to permissions (keys:read, keys:write, api:read, api:write)',
    doc: 'role name → permissions; a key keeps the permissions it was created with',
  },
  defaultRole: { rule: 'a role of the role matrix', doc: 'role of keys created without roles' },
  plans: {
    defaultText: 'none',
    rule: 'a JSON object of plan name to key limit (null = unlimited), at most 20 plans',
    doc: 'named plans for PUT /v1/orgs/{org_id} {plan}; an org on a plan follows its limit when it changes',
  },
  keyRetentionDays: {
    unit: 'days',
    doc: 'how long revoked, rotated and expired key records stay before DynamoDB TTL deletes them',
  },
  auditRetentionDays: {
    unit: 'days',
    doc: 'how long audit events (GET /v1/audit) stay before DynamoDB TTL deletes them',
  },
  authorizerCacheTtlSeconds: {
    unit: 'seconds',
    doc: 'API Gateway authorizer result cache; above 0, revocation, rate limits and nonce checks lag',
  },
  signingProfile: {
    doc: 'ARMOR-PSK nonces: compatible = any of the published scheme; strict = exactly 32 lowercase hex characters',
  },
  apiType: {
    doc: 'rest = an API Gateway REST API (v1); http = an API Gateway HTTP API (v2, payload format 2.0)',
  },
  verifyMode: {
    doc: 'bounded = a hot key is checked against its instance copy (at most hotKeyBoundMs old); exact = one conditional write per request',
  },
  hotKeyBoundMs: {
    unit: 'milliseconds',
    doc: 'bounded mode: the oldest copy of a hot key a request is checked against (how long revocation can lag)',
  },
  secretCacheTtlSeconds: {
    unit: 'seconds',
    doc: 'how long functions keep secret values in memory (at most a minute with admin-key rotation)',
  },
  adminKeyRotationDays: {
    defaultText: 'off',
    unit: 'days',
    doc: 'rotate the admin key automatically every N days',
  },
  logRetentionDays: { unit: 'days', doc: 'retention of every log group (a CloudWatch Logs value)' },
  stageName: {
    doc: 'stage name: the first URL path segment, and part of what signed requests sign',
  },
  throttlingRateLimit: {
    unit: 'requests per second',
    doc: 'stage-wide steady rate (set together with throttlingBurstLimit); over it API Gateway answers 429',
  },
  throttlingBurstLimit: { unit: 'requests', doc: 'stage-wide burst (set together with throttlingRateLimit)' },
  executionLogLevel: { doc: 'API Gateway execution log level; request and response bodies are never logged' },
  cloudWatchRole: {
    doc: "create API Gateway's account-wide CloudWatch Logs role; false if the account has one",
  },
  webAclArn: { defaultText: 'none', doc: 'a regional WAFv2 web ACL to attach to the stage' },
  alarmEmail: {
    defaultText: 'none',
    doc: 'an email address subscribed to the alarm topic (it must confirm the subscription)',
  },
  corsAllowOrigin: {
    defaultText: 'off',
    doc: 'the one origin (or *) whose pages may call the management API from a browser: OPTIONS preflights and Access-Control-Allow-Origin',
  },
  githubSecretScanning: {
    defaultText: 'on',
    doc: 'serve POST /v1/leaks/github, where GitHub secret scanning reports leaked tokens (off: no route)',
  },
  leakAction: {
    doc: 'what a token GitHub reports as leaked does to its key: disable, revoke or notify (audit only)',
  },
  githubKeysUrl: { doc: "GitHub's list of the keys that sign secret-scanning reports" },
  authorizerMemorySize: { unit: 'MB', doc: 'memory of the authorizer function (CPU scales with it)' },
  authorizerProvisionedConcurrency: {
    defaultText: 'off',
    unit: 'instances',
    doc: 'authorizer instances kept initialized (no cold starts up to that concurrency; billed per hour)',
  },
  managementMemorySize: { unit: 'MB', doc: 'memory of the management function (CPU scales with it)' },
  existingTableName: { defaultText: 'create new', doc: 'adopt the table of an earlier deployment by name' },
  existingAdminKeySecretArn: {
    defaultText: 'create new',
    doc: 'adopt the admin-key secret of an earlier deployment by its complete ARN',
  },
  existingSigningSecretArn: {
    defaultText: 'create new',
    doc: 'adopt the signing master secret of an earlier deployment by its complete ARN',
  },
  events: {
    defaultText: 'on',
    doc: 'lifecycle events: a stream on the table, a function that publishes every audit event to EventBridge, and the daily expiry scan',
  },
  eventBusArn: {
    defaultText: 'create new',
    doc: 'publish events to this EventBridge bus instead of one the stack creates',
  },
  expiringWithinDays: {
    unit: 'days',
    doc: 'the daily scan announces key.expiring for keys that expire within this many days (once per key and expiry)',
  },
  webhookUrl: {
    defaultText: 'none',
    doc: 'POST every event to this URL in the Standard Webhooks format, signed with a secret the stack generates',
  },
  tableName: { defaultText: SET_BY_STACK, doc: 'the key table' },
  eventBus: { defaultText: SET_BY_STACK, doc: 'name or ARN of the EventBridge bus events are published to' },
  webhookSecretId: {
    defaultText: SET_BY_STACK,
    doc: 'Secrets Manager id of the webhook signing secret (the webhook sender only)',
  },
  webhookSecret: {
    defaultText: 'none',
    doc: 'local mode: the webhook signing secret, whsec_<base64> (without it local mode makes one for the run)',
  },
  adminKeySecretId: {
    defaultText: SET_BY_STACK,
    doc: 'Secrets Manager id of the admin key (the authorizer only)',
  },
  signingSecretId: { defaultText: SET_BY_STACK, doc: 'Secrets Manager id of the signing master secret' },
  applicationRoutes: {
    defaultText: 'none',
    rule: 'a JSON array of { "method", "path", "permission"? }',
    doc: 'routes of your own API behind the authorizer, added to its Allow policy (set by protect)',
  },
  dynamodbEndpoint: {
    defaultText: "AWS's endpoint",
    doc: 'DynamoDB endpoint URL (set by local mode to DynamoDB Local)',
  },
  secretsEndpoint: {
    defaultText: "AWS's endpoint",
    doc: 'Secrets Manager endpoint URL (set by local mode to its local endpoint)',
  },
};

/** Names of the settings an operator can set with `-c latchkey:<name>=…`, in table order. */
export type ContextSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K]['context'] extends true ? K : never;
}[SettingName];

/** Names of the settings a Lambda reads from its environment, in table order. */
export type EnvSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { env: string } ? K : never;
}[SettingName];

// `@__PURE__`: bundles that never read these lists (the Lambdas) leave them out.
const NAMES = /* @__PURE__ */ Object.keys(SETTINGS) as SettingName[];

export const CONTEXT_SETTINGS: readonly ContextSettingName[] = /* @__PURE__ */ NAMES.filter(
  (name): name is ContextSettingName => SETTINGS[name].context,
);

export const ENV_SETTINGS: readonly EnvSettingName[] = /* @__PURE__ */ NAMES.filter(
  (name): name is EnvSettingName => 'env' in SETTINGS[name],
);

/** A setting by name, typed as the general `Setting` (for code that handles every kind). */
export function setting(name: SettingName): Setting {
  return SETTINGS[name];
}

/** The type a setting's value has once parsed: a number, one of its values, a string, a boolean or JSON. */
export type SettingValue<S extends Setting> = S extends { kind: 'integer' | 'number' }
  ? number
  : S extends { kind: 'string'; values: readonly (infer V)[] }
    ? V
    : S extends { kind: 'string' }
      ? string
      : S extends { kind: 'boolean' }
        ? boolean
        : unknown;

/** The parsed value of the named setting (`ValueOf<'verifyMode'>` is `VerifyMode`). */
export type ValueOf<N extends SettingName> = SettingValue<(typeof SETTINGS)[N]>;

/** How the value being checked was given, for the message. */
export interface CheckOptions {
  /** The name the message gives it: a prop, an environment variable, a context key. @default the setting's name */
  readonly as?: string;
  /**
   * The unit of a value read from a `Duration` (`toSeconds()`, `toDays()`): the message then says
   * `whole seconds from 0 to 3600` rather than `an integer from 0 to 3600`.
   */
  readonly unit?: 'seconds' | 'days';
}

/** `an integer from 1 to 100`: the range sentence of the settings checks, shared by the API's field checks. */
export function integerRangeText(min: number, max: number): string {
  return `an integer from ${min} to ${max}`;
}

/** What a value of the row must be, in words: the end of the sentence `… must be ___`. */
export function expectedText(row: Setting, unit?: string): string {
  switch (row.kind) {
    case 'integer': {
      if (row.values) return listValues(row.values);
      const whole = unit === undefined ? 'an integer' : `whole ${unit}`;
      if (row.min !== undefined && row.max !== undefined) {
        return unit === undefined
          ? integerRangeText(row.min, row.max)
          : `${whole} from ${row.min} to ${row.max}`;
      }
      return row.min !== undefined ? `${whole} of at least ${row.min}` : whole;
    }
    case 'number':
      return `a number above ${row.above}`;
    case 'string':
      return row.values ? listValues(row.values) : (row.rule ?? 'a non-empty string');
    case 'boolean':
      return 'true or false';
    case 'json':
      return 'JSON';
  }
}

function fits(row: Setting, value: unknown): boolean {
  switch (row.kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return false;
      if (row.values) return row.values.includes(value);
      return (row.min === undefined || value >= row.min) && (row.max === undefined || value <= row.max);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value > row.above;
    case 'string':
      if (typeof value !== 'string' || value === '') return false;
      if (row.values) return row.values.includes(value);
      if (row.pattern !== undefined && !row.pattern.test(value)) return false;
      return row.check === undefined || row.check(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'json':
      return value !== undefined;
  }
}

/** `<name> must be <expected>, got <value>`: the one sentence every settings check writes. */
function mustBe(row: Setting, label: string, shown: unknown, unit: string | undefined): string {
  return `${label} must be ${expectedText(row, unit)}, got ${JSON.stringify(shown)}`;
}

/**
 * Checks a value against its row of the table (type, range, list of values, pattern): null when it
 * fits, else the sentence that says what it must be (`hotKeyBoundMs must be an integer from 100 to
 * 10000, got 50`). The construct props, the context parser and `loadConfig` all check through here.
 * A row that is no setting of the table (a Lambda's memory in `LatchkeyFunction`) can be passed
 * directly, with `as`.
 */
export function checkSetting(
  name: SettingName | Setting,
  value: unknown,
  options: CheckOptions = {},
): string | null {
  const row = typeof name === 'string' ? setting(name) : name;
  if (fits(row, value)) return null;
  return mustBe(row, options.as ?? (typeof name === 'string' ? name : 'value'), value, options.unit);
}

export type ParsedSetting<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A raw string as its row's type, or the string itself when it does not read as one. */
function fromText(row: Setting, raw: string): unknown {
  switch (row.kind) {
    case 'integer':
      return /^-?\d{1,16}$/.test(raw) ? Number(raw) : raw;
    case 'number':
      return /^-?\d{1,16}(\.\d{1,16})?$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return undefined;
      }
    case 'string':
      return raw;
  }
}

/**
 * Reads a setting given as a string (an environment variable, `-c latchkey:<name>=…`) and checks it:
 * integers and numbers in plain decimal only (no `0x10`, `1e3`, spaces), booleans as `true`/`false`,
 * JSON rows parsed. A value that is not a string (from `cdk.json`) is checked as it is. The message
 * quotes the value as given.
 */
export function parseSetting<N extends SettingName>(
  name: N,
  raw: unknown,
  options: CheckOptions = {},
): ParsedSetting<ValueOf<N>> {
  const row = setting(name);
  const value = typeof raw === 'string' ? fromText(row, raw) : raw;
  if (fits(row, value)) return { ok: true, value: value as ValueOf<N> };
  return { ok: false, problem: mustBe(row, options.as ?? name, raw, options.unit) };
}

/**
 * With scheduled admin-key rotation, the secret cache must let a rotated key be honoured within a
 * minute; null when `seconds` does.
 */
export function checkSecretCacheWithRotation(seconds: number, as = 'secretCacheTtl'): string | null {
  const max = MAX_SECRET_CACHE_WITH_ROTATION_SECONDS;
  if (seconds <= max) return null;
  return (
    `with adminKeyRotation, ${as} must be at most ${max} seconds so that a rotated admin key is ` +
    `honoured within a minute (got ${seconds})`
  );
}

/**
 * Throws once for every problem found (nulls are checks that passed), each named, the way AWS
 * Solutions Constructs' `input-validation.ts` does: `<where>: <problem>` for one,
 * `<where>: 2 problems: <a>; <b>` for more.
 */
export function throwProblems(where: string, problems: readonly (string | null | undefined)[]): void {
  const found = problems.filter((problem): problem is string => typeof problem === 'string');
  if (found.length === 1) throw new Error(`${where}: ${found[0]}`);
  if (found.length > 1) throw new Error(`${where}: ${found.length} problems: ${found.join('; ')}`);
}

/** True when the default is a plain value the docs quote as code (`60`), not a description. */
export function hasPlainDefault(name: SettingName): boolean {
  const value = setting(name).default;
  return SETTING_DOCS[name].defaultText === undefined && value !== undefined && typeof value !== 'object';
}

/**
 * The default as the docs show it: the plain value (`60`, `lk`, `true`), the names of a JSON object's
 * entries (`admin / member / viewer`), or the row's description (`off`, `none`).
 */
export function defaultText(name: SettingName): string {
  const text = SETTING_DOCS[name].defaultText;
  if (text !== undefined) return text;
  const value = setting(name).default;
  if (value === undefined) return 'none';
  return typeof value === 'object' && value !== null ? Object.keys(value).join(' / ') : String(value);
}

/** `a or b` for two values, `one of a, b, c` for more. */
export function listValues(values: readonly (string | number)[]): string {
  return values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
}

/** What values are allowed, in words (`1-100000`, `ERROR or INFO`, …); empty when anything goes. */
export function allowedText(name: SettingName): string {
  const spec = setting(name);
  const rule = (spec.kind === 'string' ? spec.rule : undefined) ?? SETTING_DOCS[name].rule ?? '';
  switch (spec.kind) {
    case 'integer':
      if (spec.values) return listValues(spec.values);
      if (spec.min !== undefined && spec.max !== undefined) return `${spec.min}-${spec.max}`;
      return spec.min !== undefined ? `at least ${spec.min}` : 'a whole number';
    case 'number':
      return `above ${spec.above}`;
    case 'string':
      return spec.values ? listValues(spec.values) : rule;
    case 'boolean':
      return 'true or false';
    case 'json':
      return rule;
  }
}

/** One row of the help: everything the CLI needs to describe a setting. */
export interface SettingHelp {
  readonly name: SettingName;
  /** `latchkey:<name>`, when it can be set on deploy. */
  readonly contextKey: string | undefined;
  readonly env: string | undefined;
  readonly default: string;
  readonly allowed: string;
  readonly unit: string | undefined;
  readonly doc: string;
}

/** The whole table as help rows, in table order. */
export function settingsHelp(): SettingHelp[] {
  return (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const spec = setting(name);
    return {
      name,
      contextKey: spec.context ? `${CONTEXT_PREFIX}${name}` : undefined,
      env: spec.env,
      default: defaultText(name),
      allowed: allowedText(name),
      unit: SETTING_DOCS[name].unit,
      doc: SETTING_DOCS[name].doc,
    };
  });
}
