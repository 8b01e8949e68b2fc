import { ApiError, ValidationError } from './errors';

export const PERMISSIONS = ['keys:read', 'keys:write', 'api:read', 'api:write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** role name → the permissions it grants. */
export type RoleMatrix = Readonly<Record<string, readonly Permission[]>>;

export const DEFAULT_ROLE_MATRIX: RoleMatrix = {
  admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
  member: ['api:read', 'api:write'],
  viewer: ['api:read'],
};
export const DEFAULT_ROLE = 'member';

const ROLE_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** Sorted, de-duplicated, in the canonical order of PERMISSIONS. */
export function normalizePermissions(perms: Iterable<Permission>): Permission[] {
  const set = new Set(perms);
  return PERMISSIONS.filter((p) => set.has(p));
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
      throw new Error(`role ${role} must list permissions from ${PERMISSIONS.join(', ')}`);
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
