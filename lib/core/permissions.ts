import { ApiError, ValidationError } from './errors';

/** latchkey's own permissions: the management API's (`keys:*`) and the generic application ones (`api:*`). */
export const PERMISSIONS = ['keys:read', 'keys:write', 'api:read', 'api:write'] as const;
export type BuiltInPermission = (typeof PERMISSIONS)[number];

/**
 * A permission a deployment's role matrix defines for its own routes (`orders:write`), required by a route
 * put behind the authorizer with `protect(…, { permission })`: `<resource>:<action>`, each part a lowercase
 * letter then up to 31 lowercase letters, digits, `_` or `-`. The `keys` and `api` resources are
 * latchkey's: only the built-in permissions use them.
 */
export type ApplicationPermission = `${string}:${string}`;
export type Permission = BuiltInPermission | ApplicationPermission;

const APPLICATION_PERMISSION_RE = /^([a-z][a-z0-9_-]{0,31}):[a-z][a-z0-9_-]{0,31}$/;
/** The shape of every permission name, built-in or not, as a JSON Schema `pattern`. */
export const PERMISSION_PATTERN = APPLICATION_PERMISSION_RE.source;
const RESERVED_RESOURCES = new Set(['keys', 'api']);

/** What a permission name must look like, in words (error messages and the docs). */
export const PERMISSION_RULE =
  'one of keys:read, keys:write, api:read, api:write, or <resource>:<action> of your own (lowercase ' +
  'letters, digits, _ and -; each part at most 32 characters; resources keys and api are latchkey’s)';

/** role name → the permissions it grants. */
export type RoleMatrix = Readonly<Record<string, readonly Permission[]>>;

export const DEFAULT_ROLE_MATRIX: RoleMatrix = {
  admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
  member: ['api:read', 'api:write'],
  viewer: ['api:read'],
};
export const DEFAULT_ROLE = 'member';

const ROLE_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;

export function isBuiltInPermission(value: unknown): value is BuiltInPermission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** A built-in permission, or an application permission of a role matrix (`orders:write`). */
export function isPermission(value: unknown): value is Permission {
  if (isBuiltInPermission(value)) return true;
  if (typeof value !== 'string') return false;
  const resource = APPLICATION_PERMISSION_RE.exec(value)?.[1];
  return resource !== undefined && !RESERVED_RESOURCES.has(resource);
}

/** De-duplicated: the built-in ones in the canonical order of PERMISSIONS, then the others sorted. */
export function normalizePermissions(perms: Iterable<Permission>): Permission[] {
  const set = new Set(perms);
  const own = [...set].filter((p) => !isBuiltInPermission(p)).sort();
  return [...PERMISSIONS.filter((p) => set.has(p)), ...own];
}

/** Every permission some role of the matrix grants. */
export function matrixPermissions(matrix: RoleMatrix): Set<Permission> {
  return new Set(Object.values(matrix).flat());
}

/** Validates a deployment's role matrix (from CDK props or the environment). Throws on anything off. */
export function parseRoleMatrix(input: unknown): RoleMatrix {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('role matrix must be an object of role name → permission list');
  }
  const out: Record<string, Permission[]> = {};
  for (const [role, perms] of Object.entries(input)) {
    if (!ROLE_NAME_RE.test(role)) throw new Error(`role name ${JSON.stringify(role)} is not valid`);
    if (!Array.isArray(perms) || !perms.every(isPermission)) {
      throw new Error(`role ${role} must list permissions, each ${PERMISSION_RULE}`);
    }
    out[role] = normalizePermissions(perms);
  }
  if (Object.keys(out).length === 0) throw new Error('role matrix must define at least one role');
  return out;
}

/** Resolves roles to permissions at creation time; the result is frozen on the key. */
export function resolvePermissions(roles: readonly string[], matrix: RoleMatrix): Permission[] {
  const perms: Permission[] = [];
  for (const role of roles) {
    const granted = Object.hasOwn(matrix, role) ? matrix[role] : undefined;
    if (!granted) {
      throw new ValidationError(
        'roles',
        `roles: unknown role ${JSON.stringify(role)}; known roles are ${Object.keys(matrix).join(', ')}`,
      );
    }
    perms.push(...granted);
  }
  return normalizePermissions(perms);
}

/** A key can never create or rotate a key with a permission it does not hold itself. */
export function assertNoEscalation(actor: readonly Permission[], requested: readonly Permission[]): void {
  const missing = requested.filter((p) => !actor.includes(p));
  if (missing.length > 0) {
    throw new ApiError(
      'forbidden',
      `The calling key cannot grant permissions it does not hold: ${missing.join(', ')}.`,
    );
  }
}
