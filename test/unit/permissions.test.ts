import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError } from '#core/errors';
import {
  assertNoEscalation,
  DEFAULT_ROLE,
  DEFAULT_ROLE_MATRIX,
  isPermission,
  normalizePermissions,
  PERMISSIONS,
  type Permission,
  parseRoleMatrix,
  resolvePermissions,
} from '#core/permissions';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('the default role matrix (docs/protocol.md §3.2)', () => {
  it('matches the table', () => {
    expect(DEFAULT_ROLE_MATRIX).toEqual({
      admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
      member: ['api:read', 'api:write'],
      viewer: ['api:read'],
    });
    expect(DEFAULT_ROLE).toBe('member');
  });

  it('is itself a valid matrix', () => {
    expect(parseRoleMatrix(DEFAULT_ROLE_MATRIX)).toEqual(DEFAULT_ROLE_MATRIX);
  });
});

describe('isPermission', () => {
  it.each([...PERMISSIONS])('accepts %s', (p) => {
    expect(isPermission(p)).toBe(true);
  });

  it.each(['orders:read', 'orders:write', 'billing-v2:refund_all'])('accepts %s of a role matrix', (p) => {
    expect(isPermission(p)).toBe(true);
  });

  it.each([
    'keys:delete',
    'api:admin',
    'KEYS:READ',
    'Orders:write',
    'orders:',
    ':write',
    'orders:write:all',
    `orders:${'w'.repeat(33)}`,
    'api',
    '',
    ' api:read',
    null,
    undefined,
    1,
    ['api:read'],
  ])('rejects %j', (p) => {
    expect(isPermission(p)).toBe(false);
  });
});

describe('normalizePermissions', () => {
  it('de-duplicates and orders canonically', () => {
    expect(normalizePermissions(['api:write', 'keys:read', 'api:write', 'api:read'])).toEqual([
      'keys:read',
      'api:read',
      'api:write',
    ]);
    expect(normalizePermissions([])).toEqual([]);
    expect(normalizePermissions(new Set<Permission>(['api:read']))).toEqual(['api:read']);
  });

  it("puts a role matrix's own permissions after latchkey's, sorted", () => {
    expect(normalizePermissions(['orders:write', 'api:read', 'billing:read', 'orders:write'])).toEqual([
      'api:read',
      'billing:read',
      'orders:write',
    ]);
  });
});

describe('resolvePermissions', () => {
  it.each([
    [['admin'], ['keys:read', 'keys:write', 'api:read', 'api:write']],
    [['member'], ['api:read', 'api:write']],
    [['viewer'], ['api:read']],
    [
      ['viewer', 'member'],
      ['api:read', 'api:write'],
    ],
    [['viewer', 'viewer'], ['api:read']],
    [[], []],
  ])('%j → %j', (roles, expected) => {
    expect(resolvePermissions(roles, DEFAULT_ROLE_MATRIX)).toEqual(expected);
  });

  it('uses the deployment’s own matrix', () => {
    const matrix = parseRoleMatrix({ auditor: ['keys:read'], ops: ['api:write', 'keys:write'] });
    expect(resolvePermissions(['auditor'], matrix)).toEqual(['keys:read']);
    expect(resolvePermissions(['ops', 'auditor'], matrix)).toEqual(['keys:read', 'keys:write', 'api:write']);
    expect(() => resolvePermissions(['member'], matrix)).toThrow(ValidationError);
  });

  it.each(['owner', 'Admin', '', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'rejects the unknown role %j with a ValidationError naming `roles`',
    (role) => {
      const error = thrown(() => resolvePermissions(['viewer', role], DEFAULT_ROLE_MATRIX));
      expect(error).toBeInstanceOf(ValidationError);
      const v = error as ValidationError;
      expect(v.field).toBe('roles');
      expect(v.code).toBe('invalid_request');
      expect(v.status).toBe(400);
      expect(v.message).toContain(JSON.stringify(role));
      expect(v.message).toContain('admin, member, viewer');
    },
  );
});

describe('assertNoEscalation', () => {
  const admin = DEFAULT_ROLE_MATRIX.admin as readonly Permission[];
  const member = DEFAULT_ROLE_MATRIX.member as readonly Permission[];
  const viewer = DEFAULT_ROLE_MATRIX.viewer as readonly Permission[];

  it.each([
    ['admin grants admin', admin, admin],
    ['admin grants member', admin, member],
    ['admin grants nothing', admin, []],
    ['member grants viewer', member, viewer],
    ['viewer grants viewer', viewer, viewer],
  ])('allows: %s', (_, actor, requested) => {
    expect(() => assertNoEscalation(actor, requested)).not.toThrow();
  });

  it.each([
    ['member grants admin', member, admin, 'keys:read, keys:write'],
    ['viewer grants member', viewer, member, 'api:write'],
    [
      'keys:write alone grants keys:read',
      ['keys:write'] as Permission[],
      ['keys:read'] as Permission[],
      'keys:read',
    ],
    ['nothing grants viewer', [] as Permission[], viewer, 'api:read'],
  ])('refuses with 403 forbidden: %s', (_, actor, requested, missing) => {
    const error = thrown(() => assertNoEscalation(actor, requested));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(ValidationError);
    const e = error as ApiError;
    expect(e.code).toBe('forbidden');
    expect(e.status).toBe(403);
    expect(e.message).toContain(missing);
  });
});

describe('parseRoleMatrix', () => {
  it('normalizes each role’s permissions', () => {
    expect(
      parseRoleMatrix({
        ops: ['api:write', 'api:read', 'api:write'],
        empty: [],
        'read-only_2': ['api:read'],
      }),
    ).toEqual({ ops: ['api:read', 'api:write'], empty: [], 'read-only_2': ['api:read'] });
  });

  it('accepts 1- and 32-character role names', () => {
    expect(Object.keys(parseRoleMatrix({ a: [], ['a'.repeat(32)]: [] }))).toHaveLength(2);
  });

  it.each([
    ['null', null],
    ['an array', [['admin', ['api:read']]]],
    ['a string', '{"admin":["api:read"]}'],
    ['a number', 1],
    ['undefined', undefined],
  ])('rejects %s', (_, input) => {
    expect(() => parseRoleMatrix(input)).toThrow(/role matrix must be an object/);
  });

  it('rejects an empty matrix', () => {
    expect(() => parseRoleMatrix({})).toThrow(/at least one role/);
  });

  it.each(['Admin', '1role', '_role', '-role', 'role name', 'role.name', 'a'.repeat(33), ''])(
    'rejects the role name %j',
    (role) => {
      expect(() => parseRoleMatrix({ [role]: ['api:read'] })).toThrow(/role name .* is not valid/);
    },
  );

  it('rejects a __proto__ role coming from JSON', () => {
    expect(() => parseRoleMatrix(JSON.parse('{"__proto__": ["api:read"]}'))).toThrow(/role name/);
  });

  it.each([
    ['a string', 'api:read'],
    ['null', null],
    ['an object', { 'api:read': true }],
    ['an unknown permission', ['api:read', 'keys:delete']],
    ['a wildcard', ['*']],
    ['a non-string entry', ['api:read', 1]],
  ])('rejects permissions given as %s', (_, perms) => {
    expect(() => parseRoleMatrix({ ops: perms })).toThrow(/role ops must list permissions/);
  });
});
