import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_MATRIX, PERMISSIONS, type Permission } from '#core/permissions';
import {
  ADMIN_PRINCIPAL,
  allowedMethods,
  FORBIDDEN_MESSAGE,
  type Principal,
  principalContext,
  principalFromContext,
} from '#core/principal';
import { findRoute, READ_METHODS, type Route, type RouteId, WRITE_METHODS } from '#core/routes';

const keyWith = (
  permissions: readonly Permission[],
  keyId = 'K1aaaaaaaaaaaaaa',
  orgId = 'acme',
): Principal => ({
  type: 'key',
  keyId,
  orgId,
  permissions,
});
const ADMIN_KEY_ROLE = keyWith(DEFAULT_ROLE_MATRIX.admin ?? []);
const MEMBER = keyWith(DEFAULT_ROLE_MATRIX.member ?? []);
const VIEWER = keyWith(DEFAULT_ROLE_MATRIX.viewer ?? []);
const ALL = [...READ_METHODS, ...WRITE_METHODS];
const READ = [...READ_METHODS];
const WRITE = [...WRITE_METHODS];

describe('ADMIN_PRINCIPAL', () => {
  it('holds every permission', () => {
    expect(ADMIN_PRINCIPAL).toEqual({ type: 'admin', permissions: [...PERMISSIONS] });
  });
});

describe('allowedMethods', () => {
  const cases: Array<[string, Principal, Record<string, string[]>]> = [
    [
      'the admin key',
      ADMIN_PRINCIPAL,
      {
        createKey: ['POST'],
        listKeys: ['GET'],
        getKey: ['GET'],
        revokeKey: ['DELETE'],
        rotateKey: ['POST'],
        getOrg: ['GET'],
        putOrg: ['PUT'],
        whoami: ['GET'],
        echo: ALL,
      },
    ],
    [
      'an API key with the admin role (not the admin key: no orgs)',
      ADMIN_KEY_ROLE,
      {
        createKey: ['POST'],
        listKeys: ['GET'],
        getKey: ['GET'],
        revokeKey: ['DELETE'],
        rotateKey: ['POST'],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: ALL,
      },
    ],
    [
      'a member',
      MEMBER,
      {
        createKey: [],
        listKeys: [],
        getKey: [],
        revokeKey: [],
        rotateKey: [],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: ALL,
      },
    ],
    [
      'a viewer',
      VIEWER,
      {
        createKey: [],
        listKeys: [],
        getKey: [],
        revokeKey: [],
        rotateKey: [],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: READ,
      },
    ],
    [
      'a key with keys:read only',
      keyWith(['keys:read']),
      {
        createKey: [],
        listKeys: ['GET'],
        getKey: ['GET'],
        revokeKey: [],
        rotateKey: [],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: [],
      },
    ],
    [
      'a key with keys:write only',
      keyWith(['keys:write']),
      {
        createKey: ['POST'],
        listKeys: [],
        getKey: [],
        revokeKey: ['DELETE'],
        rotateKey: ['POST'],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: [],
      },
    ],
    [
      'a key with api:write only',
      keyWith(['api:write']),
      {
        createKey: [],
        listKeys: [],
        getKey: [],
        revokeKey: [],
        rotateKey: [],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: WRITE,
      },
    ],
    [
      'a key with no permissions',
      keyWith([]),
      {
        createKey: [],
        listKeys: [],
        getKey: [],
        revokeKey: [],
        rotateKey: [],
        getOrg: [],
        putOrg: [],
        whoami: ['GET'],
        echo: [],
      },
    ],
  ];

  it.each(cases)('%s', (_, principal, expected) => {
    for (const [id, methods] of Object.entries(expected)) {
      expect(allowedMethods(principal, findRoute(id as RouteId)), id).toEqual(methods);
    }
  });

  it('never lets a key call an admin-only route, whatever it holds', () => {
    const adminOnly: Route = {
      id: 'x',
      method: 'ANY',
      path: '/x',
      needs: 'admin',
      handler: 'management',
      hasBody: false,
    };
    expect(allowedMethods(keyWith([...PERMISSIONS]), adminOnly)).toEqual([]);
    expect(allowedMethods(ADMIN_PRINCIPAL, adminOnly)).toEqual(ALL);
  });

  it('returns a fresh array (callers may mutate it)', () => {
    const route = findRoute('echo');
    const first = allowedMethods(MEMBER, route);
    first.pop();
    expect(allowedMethods(MEMBER, route)).toEqual(ALL);
  });
});

describe('principalContext', () => {
  it('flattens a key principal into strings', () => {
    expect(principalContext(MEMBER)).toMatchObject({
      principal: 'key',
      key_id: 'K1aaaaaaaaaaaaaa',
      org_id: 'acme',
      permissions: 'api:read,api:write',
      error_code: 'forbidden',
      error_message: FORBIDDEN_MESSAGE,
      retry_after: '',
      ratelimit: '',
      ratelimit_policy: '',
    });
  });

  it('flattens the admin with empty key and org', () => {
    expect(principalContext(ADMIN_PRINCIPAL)).toMatchObject({
      principal: 'admin',
      key_id: '',
      org_id: '',
      permissions: PERMISSIONS.join(','),
    });
  });

  it.each([
    ['admin', ADMIN_PRINCIPAL],
    ['member', MEMBER],
    ['viewer', VIEWER],
    ['no permissions', keyWith([])],
  ])('contains only string values (%s), as API Gateway requires', (_, principal) => {
    for (const value of Object.values(principalContext(principal))) expect(typeof value).toBe('string');
  });
});

describe('principalFromContext', () => {
  it.each([
    ['admin', ADMIN_PRINCIPAL],
    ['member', MEMBER],
    ['viewer', VIEWER],
    ['key with the admin role', ADMIN_KEY_ROLE],
    ['key with no permissions', keyWith([])],
    ['key in the default org', keyWith(['api:read'], 'Zz9Zz9Zz9Zz9Zz9Z', 'default')],
  ])('round-trips %s', (_, principal) => {
    expect(principalFromContext(principalContext(principal))).toEqual(principal);
  });

  it('survives the extra, non-string entries API Gateway adds to the context', () => {
    const ctx = { ...principalContext(MEMBER), principalId: 'K1aaaaaaaaaaaaaa', integrationLatency: 422 };
    expect(principalFromContext(ctx)).toEqual(MEMBER);
  });

  it('drops unknown permissions', () => {
    const ctx = { ...principalContext(VIEWER), permissions: 'api:read,root,keys:write' };
    expect(principalFromContext(ctx)?.permissions).toEqual(['api:read', 'keys:write']);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty context', {}],
    ['an unknown principal type', { principal: 'root', key_id: 'k', org_id: 'o' }],
    ['a key without a key id', { principal: 'key', key_id: '', org_id: 'acme', permissions: 'api:read' }],
    ['a key with a numeric key id', { principal: 'key', key_id: 1, org_id: 'acme' }],
    ['a key without an org', { principal: 'key', key_id: 'k' }],
    ['another authorizer’s context', { principalId: 'user', integrationLatency: 422, tenantId: 'tenant-1' }],
  ])('returns null for %s', (_, ctx) => {
    expect(principalFromContext(ctx)).toBeNull();
  });
});
