/**
 * The configuration every latchkey Lambda reads from its environment, validated once at cold start
 * into a typed `Config`. Names, defaults and ranges come from the settings table
 * (`lib/core/settings.ts`); the CDK stack's grant methods and props set the variables, and local
 * mode sets them for the in-process handlers. An invalid value stops the cold start with an error that
 * names the variable.
 */

import { parseRoleMatrix, type RoleMatrix } from '#core/permissions';
import { type PlanTable, parsePlans } from '#core/plans';
import { type PolicyRoute, parseApplicationRoutes } from '#core/routes';
import { type IntegerSetting, SETTINGS, type SigningProfile, type VerifyMode } from '#core/settings';
import { assertValidPrefix } from '#core/token';

export interface Config {
  tableName: string;
  /** Only the authorizer reads the admin key; the other functions do not get this variable. */
  adminKeySecretId: string | undefined;
  signingSecretId: string;
  tokenPrefix: string;
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
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`configuration: ${name} must be set`);
  return value;
}

/** An integer setting with a default and a range, read from its variable. */
function integer(
  env: Env,
  spec: IntegerSetting & { env: string; default: number; min: number; max: number },
): number {
  const { env: name, default: fallback, min, max } = spec;
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `configuration: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** A JSON setting parsed by `parse`, or `fallback` when unset. */
function json<T>(env: Env, name: string, fallback: T, parse: (value: unknown) => T): T {
  const raw = env[name];
  if (!raw) return fallback;
  try {
    return parse(JSON.parse(raw));
  } catch (error) {
    throw new Error(`configuration: ${name} is not valid: ${(error as Error).message}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const tokenPrefix = env[SETTINGS.tokenPrefix.env] || SETTINGS.tokenPrefix.default;
  try {
    assertValidPrefix(tokenPrefix);
  } catch (error) {
    throw new Error(`configuration: ${SETTINGS.tokenPrefix.env} is not valid: ${(error as Error).message}`);
  }
  const roleMatrix = json(env, SETTINGS.roleMatrix.env, SETTINGS.roleMatrix.default, parseRoleMatrix);
  const defaultRole = env[SETTINGS.defaultRole.env] || SETTINGS.defaultRole.default;
  if (!Object.hasOwn(roleMatrix, defaultRole)) {
    throw new Error(
      `configuration: ${SETTINGS.defaultRole.env} ${JSON.stringify(defaultRole)} is not a role of the matrix (${Object.keys(roleMatrix).join(', ')})`,
    );
  }
  const applicationRoutes = json(env, SETTINGS.applicationRoutes.env, [], parseApplicationRoutes);
  const signingProfile = env[SETTINGS.signingProfile.env] || SETTINGS.signingProfile.default;
  if (!(SETTINGS.signingProfile.values as readonly string[]).includes(signingProfile)) {
    throw new Error(
      `configuration: ${SETTINGS.signingProfile.env} must be ${SETTINGS.signingProfile.values.join(' or ')}, got ${JSON.stringify(signingProfile)}`,
    );
  }
  const verifyMode = env[SETTINGS.verifyMode.env] || SETTINGS.verifyMode.default;
  if (!(SETTINGS.verifyMode.values as readonly string[]).includes(verifyMode)) {
    throw new Error(
      `configuration: ${SETTINGS.verifyMode.env} must be ${SETTINGS.verifyMode.values.join(' or ')}, got ${JSON.stringify(verifyMode)}`,
    );
  }
  return {
    tableName: required(env, SETTINGS.tableName.env),
    adminKeySecretId: env[SETTINGS.adminKeySecretId.env] || undefined,
    signingSecretId: required(env, SETTINGS.signingSecretId.env),
    tokenPrefix,
    defaultMaxKeys: integer(env, SETTINGS.defaultMaxKeys),
    defaultRateLimit: integer(env, SETTINGS.defaultRateLimit),
    roleMatrix,
    defaultRole,
    plans: json(env, SETTINGS.plans.env, {}, parsePlans),
    retentionSeconds: integer(env, SETTINGS.keyRetentionDays) * 86_400,
    auditRetentionSeconds: integer(env, SETTINGS.auditRetentionDays) * 86_400,
    secretCacheMs: integer(env, SETTINGS.secretCacheTtlSeconds) * 1000,
    dynamodbEndpoint: env[SETTINGS.dynamodbEndpoint.env] || undefined,
    secretsEndpoint: env[SETTINGS.secretsEndpoint.env] || undefined,
    applicationRoutes,
    signingProfile: signingProfile as SigningProfile,
    verifyMode: verifyMode as VerifyMode,
    hotKeyBoundMs: integer(env, SETTINGS.hotKeyBoundMs),
  };
}
