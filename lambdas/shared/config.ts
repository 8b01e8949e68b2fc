import { DEFAULT_ROLE, DEFAULT_ROLE_MATRIX, parseRoleMatrix, type RoleMatrix } from '../core/permissions';
import { type PolicyRoute, parseApplicationRoutes } from '../core/routes';
import { assertValidPrefix } from '../core/token';

/**
 * Environment variables every latchkey Lambda reads, validated once at cold start. The CDK stack's
 * grant methods set them; local mode sets them for the in-process handlers.
 */
export const ENV = {
  tableName: 'LATCHKEY_TABLE_NAME',
  adminKeySecretId: 'LATCHKEY_ADMIN_KEY_SECRET_ID',
  signingSecretId: 'LATCHKEY_SIGNING_SECRET_ID',
  tokenPrefix: 'LATCHKEY_TOKEN_PREFIX',
  defaultMaxKeys: 'LATCHKEY_DEFAULT_MAX_KEYS',
  defaultRateLimit: 'LATCHKEY_DEFAULT_RATE_LIMIT',
  roleMatrix: 'LATCHKEY_ROLE_MATRIX',
  defaultRole: 'LATCHKEY_DEFAULT_ROLE',
  retentionDays: 'LATCHKEY_RETENTION_DAYS',
  secretCacheSeconds: 'LATCHKEY_SECRET_CACHE_SECONDS',
  dynamodbEndpoint: 'LATCHKEY_DYNAMODB_ENDPOINT',
  secretsEndpoint: 'LATCHKEY_SECRETS_ENDPOINT',
  applicationRoutes: 'LATCHKEY_APPLICATION_ROUTES',
} as const;

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
  retentionSeconds: number;
  secretCacheMs: number;
  dynamodbEndpoint: string | undefined;
  secretsEndpoint: string | undefined;
  /** Routes of your own API behind the authorizer, covered by its Allow policy. */
  applicationRoutes: PolicyRoute[];
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`configuration: ${name} must be set`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
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

export function loadConfig(env: Env = process.env): Config {
  const tokenPrefix = env[ENV.tokenPrefix] || 'lk';
  try {
    assertValidPrefix(tokenPrefix);
  } catch (error) {
    throw new Error(`configuration: ${ENV.tokenPrefix} is not valid: ${(error as Error).message}`);
  }
  let roleMatrix = DEFAULT_ROLE_MATRIX;
  const rawMatrix = env[ENV.roleMatrix];
  if (rawMatrix) {
    try {
      roleMatrix = parseRoleMatrix(JSON.parse(rawMatrix));
    } catch (error) {
      throw new Error(`configuration: ${ENV.roleMatrix} is not valid: ${(error as Error).message}`);
    }
  }
  const defaultRole = env[ENV.defaultRole] || DEFAULT_ROLE;
  if (!Object.hasOwn(roleMatrix, defaultRole)) {
    throw new Error(
      `configuration: ${ENV.defaultRole} ${JSON.stringify(defaultRole)} is not a role of the matrix (${Object.keys(roleMatrix).join(', ')})`,
    );
  }
  let applicationRoutes: PolicyRoute[] = [];
  const rawRoutes = env[ENV.applicationRoutes];
  if (rawRoutes) {
    try {
      applicationRoutes = parseApplicationRoutes(JSON.parse(rawRoutes));
    } catch (error) {
      throw new Error(`configuration: ${ENV.applicationRoutes} is not valid: ${(error as Error).message}`);
    }
  }
  return {
    tableName: required(env, ENV.tableName),
    adminKeySecretId: env[ENV.adminKeySecretId] || undefined,
    signingSecretId: required(env, ENV.signingSecretId),
    tokenPrefix,
    defaultMaxKeys: integer(env, ENV.defaultMaxKeys, 50, 0, 1_000_000),
    defaultRateLimit: integer(env, ENV.defaultRateLimit, 60, 1, 100_000),
    roleMatrix,
    defaultRole,
    retentionSeconds: integer(env, ENV.retentionDays, 30, 1, 3650) * 86_400,
    secretCacheMs: integer(env, ENV.secretCacheSeconds, 60, 0, 3600) * 1000,
    dynamodbEndpoint: env[ENV.dynamodbEndpoint] || undefined,
    secretsEndpoint: env[ENV.secretsEndpoint] || undefined,
    applicationRoutes,
  };
}
