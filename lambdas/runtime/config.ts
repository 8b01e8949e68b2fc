/**
 * The configuration every latchkey Lambda reads from its environment, validated once at cold start
 * into a typed `Config`. Names, defaults and ranges come from the settings table
 * (`lib/core/settings.ts`); the CDK stack's grant methods and props set the variables, and local
 * mode sets them for the in-process handlers. Each value is checked against its row
 * (`parseSetting`); invalid values stop the cold start with one error that names every variable.
 */

import { corsOriginProblem } from '#core/cors';
import { parseRoleMatrix, type RoleMatrix } from '#core/permissions';
import { type PlanTable, parsePlans } from '#core/plans';
import { type PolicyRoute, parseApplicationRoutes } from '#core/routes';
import {
  type EnvSettingName,
  parseSetting,
  SETTINGS,
  type SettingName,
  type SigningProfile,
  throwProblems,
  type ValueOf,
  type VerifyMode,
} from '#core/settings';
import { splitPrefixes, type TokenPrefixes } from '#core/token';

export interface Config {
  tableName: string;
  /** Only the authorizer reads the admin key; the other functions do not get this variable. */
  adminKeySecretId: string | undefined;
  signingSecretId: string;
  /** The prefix new keys get: the first of `tokenPrefixes`. */
  tokenPrefix: string;
  /** Every prefix whose tokens are accepted (`LATCHKEY_TOKEN_PREFIX=acme,lk`), the first for new keys. */
  tokenPrefixes: TokenPrefixes;
  defaultMaxKeys: number;
  defaultRateLimit: number;
  roleMatrix: RoleMatrix;
  defaultRole: string;
  /** Named plans and their key limits (the `plans` setting). */
  plans: PlanTable;
  retentionSeconds: number;
  auditRetentionSeconds: number;
  secretCacheMs: number;
  dynamodbEndpoint: string | undefined;
  secretsEndpoint: string | undefined;
  /** Routes of your own API behind the authorizer, covered by its Allow policy. */
  applicationRoutes: PolicyRoute[];
  /** Which ARMOR-PSK nonces the authorizer accepts. */
  signingProfile: SigningProfile;
  /** How the authorizer verifies keys: hot keys on a bounded-staleness copy, or every request exactly. */
  verifyMode: VerifyMode;
  /** Bounded mode: the oldest copy of a hot key a request is verified against. */
  hotKeyBoundMs: number;
  /** The origin (or `*`) the management API's answers allow browser pages of; undefined: CORS off. */
  corsAllowOrigin: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variables every Lambda needs: a missing one is reported like an invalid one. */
function required(env: Env, name: string, problems: string[]): string {
  const value = env[name];
  if (value === undefined || value === '') problems.push(`${name} must be set`);
  return value ?? '';
}

/** A setting with a default, read from its variable and checked against its row (unset or '' → default). */
function read<N extends EnvSettingName & DefaultedName>(env: Env, name: N, problems: string[]): ValueOf<N> {
  const row = SETTINGS[name];
  const raw = env[row.env];
  if (raw === undefined || raw === '') return row.default as ValueOf<N>;
  const parsed = parseSetting(name, raw, { as: row.env });
  if (parsed.ok) return parsed.value;
  problems.push(parsed.problem);
  return row.default as ValueOf<N>;
}

/** Settings whose row has a default. */
type DefaultedName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { default: unknown } ? K : never;
}[SettingName];

/** The CORS origin, checked against its row and as a browser sends it; undefined when unset. */
function corsOrigin(env: Env, problems: string[]): string | undefined {
  const variable = SETTINGS.corsAllowOrigin.env;
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  const parsed = parseSetting('corsAllowOrigin', raw, { as: variable });
  const problem = parsed.ok ? corsOriginProblem(parsed.value, variable) : parsed.problem;
  if (problem === null) return raw;
  problems.push(problem);
  return undefined;
}

/** A JSON setting parsed by `parse`, or `fallback` when unset. */
function json<T>(env: Env, name: string, fallback: T, parse: (value: unknown) => T, problems: string[]): T {
  const raw = env[name];
  if (!raw) return fallback;
  try {
    return parse(JSON.parse(raw));
  } catch (error) {
    problems.push(`${name} is not valid: ${(error as Error).message}`);
    return fallback;
  }
}

/** Reads and checks every variable; one error names every invalid one. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const roleMatrix = json(
    env,
    SETTINGS.roleMatrix.env,
    SETTINGS.roleMatrix.default,
    parseRoleMatrix,
    problems,
  );
  const defaultRole = env[SETTINGS.defaultRole.env] || SETTINGS.defaultRole.default;
  if (!Object.hasOwn(roleMatrix, defaultRole)) {
    problems.push(
      `${SETTINGS.defaultRole.env} ${JSON.stringify(defaultRole)} is not a role of the matrix (${Object.keys(roleMatrix).join(', ')})`,
    );
  }
  const tokenPrefixes = splitPrefixes(read(env, 'tokenPrefix', problems));
  const config: Config = {
    tableName: required(env, SETTINGS.tableName.env, problems),
    adminKeySecretId: env[SETTINGS.adminKeySecretId.env] || undefined,
    signingSecretId: required(env, SETTINGS.signingSecretId.env, problems),
    tokenPrefix: tokenPrefixes[0],
    tokenPrefixes,
    defaultMaxKeys: read(env, 'defaultMaxKeys', problems),
    defaultRateLimit: read(env, 'defaultRateLimit', problems),
    roleMatrix,
    defaultRole,
    plans: json(env, SETTINGS.plans.env, {}, parsePlans, problems),
    retentionSeconds: read(env, 'keyRetentionDays', problems) * 86_400,
    auditRetentionSeconds: read(env, 'auditRetentionDays', problems) * 86_400,
    secretCacheMs: read(env, 'secretCacheTtlSeconds', problems) * 1000,
    dynamodbEndpoint: env[SETTINGS.dynamodbEndpoint.env] || undefined,
    secretsEndpoint: env[SETTINGS.secretsEndpoint.env] || undefined,
    applicationRoutes: json(env, SETTINGS.applicationRoutes.env, [], parseApplicationRoutes, problems),
    signingProfile: read(env, 'signingProfile', problems),
    verifyMode: read(env, 'verifyMode', problems),
    hotKeyBoundMs: read(env, 'hotKeyBoundMs', problems),
    corsAllowOrigin: corsOrigin(env, problems),
  };
  throwProblems('configuration', problems);
  return config;
}
