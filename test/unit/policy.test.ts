import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_MATRIX, type Permission } from '#core/permissions';
import {
  arnPathOf,
  buildAllowPolicy,
  buildDenyPolicy,
  denyContext,
  evaluatePolicy,
  stageArnOf,
} from '#core/policy';
import { ADMIN_PRINCIPAL, allowedMethods, type Principal, principalContext } from '#core/principal';
import { matchRoute, READ_METHODS, type Route, WRITE_METHODS } from '#core/routes';

const STAGE_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod';
const arn = (method: string, path: string) => `${STAGE_ARN}/${method}${path}`;
const METHOD_ARN = arn('GET', '/v1/whoami');

const keyWith = (permissions: readonly Permission[]): Principal => ({
  type: 'key',
  keyId: 'K1aaaaaaaaaaaaaa',
  orgId: 'acme',
  permissions,
});
const MEMBER = keyWith(DEFAULT_ROLE_MATRIX.member ?? []);
const VIEWER = keyWith(DEFAULT_ROLE_MATRIX.viewer ?? []);
const ADMIN_ROLE_KEY = keyWith(DEFAULT_ROLE_MATRIX.admin ?? []);

const policyFor = (principal: Principal, methodArn = METHOD_ARN) =>
  buildAllowPolicy(principal, 'pid', methodArn, principalContext(principal));

const ALL_METHODS = [...READ_METHODS, ...WRITE_METHODS];
const SAMPLE_PATHS = [
  '/v1/keys',
  '/v1/keys/K2bbbbbbbbbbbbbb',
  '/v1/keys/K2bbbbbbbbbbbbbb/rotate',
  '/v1/orgs/acme',
  '/v1/whoami',
  '/v1/audit',
  '/v1/echo/x',
  '/v1/echo/a/b/c',
];

describe('stageArnOf', () => {
  it.each([
    [arn('GET', '/v1/keys'), STAGE_ARN],
    [arn('POST', '/v1/keys/abc/rotate'), STAGE_ARN],
    [`${STAGE_ARN}/GET/`, STAGE_ARN],
    [
      'arn:aws-cn:execute-api:cn-north-1:1:abc/$default/GET/x',
      'arn:aws-cn:execute-api:cn-north-1:1:abc/$default',
    ],
  ])('%s → %s', (methodArn, expected) => {
    expect(stageArnOf(methodArn)).toBe(expected);
  });

  it.each([
    '',
    'not-an-arn/prod/GET/x',
    'arn:aws:execute-api:eu-west-1:1:abc',
    'arn:aws:execute-api:x:1:abc/prod',
  ])('throws for %j', (methodArn) => {
    expect(() => stageArnOf(methodArn)).toThrow(/execute-api ARN/);
  });
});

describe('arnPathOf', () => {
  it.each([
    ['/v1/keys', 'v1/keys'],
    ['/v1/keys/{id}', 'v1/keys/*'],
    ['/v1/keys/{id}/rotate', 'v1/keys/*/rotate'],
    ['/v1/echo/{proxy+}', 'v1/echo/*'],
    ['/', ''],
  ])('%s → %s', (resource, expected) => {
    expect(arnPathOf(resource)).toBe(expected);
  });
});

describe('buildAllowPolicy', () => {
  it('returns principalId, a 2012-10-17 policy and the context unchanged', () => {
    const context = principalContext(MEMBER);
    const result = buildAllowPolicy(MEMBER, 'K1aaaaaaaaaaaaaa', METHOD_ARN, context);
    expect(result.principalId).toBe('K1aaaaaaaaaaaaaa');
    expect(result.policyDocument.Version).toBe('2012-10-17');
    expect(result.policyDocument.Statement).toHaveLength(1);
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
    expect(result.policyDocument.Statement[0]?.Action).toBe('execute-api:Invoke');
    expect(result.context).toBe(context);
  });

  it('covers exactly what a viewer may call: GET/HEAD/OPTIONS on echo, whoami and roles', () => {
    expect(policyFor(VIEWER).policyDocument.Statement[0]?.Resource.sort()).toEqual(
      [
        arn('GET', '/v1/whoami'),
        arn('GET', '/v1/roles'),
        arn('GET', '/v1/echo/*'),
        arn('HEAD', '/v1/echo/*'),
        arn('OPTIONS', '/v1/echo/*'),
      ].sort(),
    );
  });

  it('covers exactly what a member may call: every method on echo, whoami and roles', () => {
    expect(policyFor(MEMBER).policyDocument.Statement[0]?.Resource.sort()).toEqual(
      [
        arn('GET', '/v1/whoami'),
        arn('GET', '/v1/roles'),
        ...ALL_METHODS.map((m) => arn(m, '/v1/echo/*')),
      ].sort(),
    );
  });

  it('covers everything for the admin key, including orgs and plans', () => {
    expect(policyFor(ADMIN_PRINCIPAL).policyDocument.Statement[0]?.Resource.sort()).toEqual(
      [
        arn('POST', '/v1/keys'),
        arn('GET', '/v1/keys'),
        arn('GET', '/v1/keys/*'),
        arn('PATCH', '/v1/keys/*'),
        arn('DELETE', '/v1/keys/*'),
        arn('POST', '/v1/keys/*/rotate'),
        arn('POST', '/v1/keys/*/credits'),
        arn('GET', '/v1/keys/*/usage'),
        arn('GET', '/v1/orgs'),
        arn('GET', '/v1/orgs/*'),
        arn('PUT', '/v1/orgs/*'),
        arn('GET', '/v1/plans'),
        arn('GET', '/v1/whoami'),
        arn('GET', '/v1/audit'),
        arn('GET', '/v1/roles'),
        ...ALL_METHODS.map((m) => arn(m, '/v1/echo/*')),
      ].sort(),
    );
  });

  it('is the same whichever route the request was for (safe with the authorizer cache on)', () => {
    const a = policyFor(MEMBER, arn('GET', '/v1/whoami')).policyDocument;
    const b = policyFor(MEMBER, arn('DELETE', '/v1/echo/a/b')).policyDocument;
    expect(b).toEqual(a);
  });

  it('is scoped to the stage of the method ARN', () => {
    const other = 'arn:aws:execute-api:us-east-1:999999999999:otherapi/dev';
    const policy = policyFor(ADMIN_PRINCIPAL, `${other}/GET/v1/whoami`).policyDocument;
    for (const r of policy.Statement[0]?.Resource ?? []) expect(r.startsWith(`${other}/`)).toBe(true);
    expect(evaluatePolicy(policy, arn('GET', '/v1/whoami'))).toBe('Deny');
  });

  it('falls back to a stage-wide Deny when the principal may call nothing', () => {
    const adminOnly: Route[] = [
      { id: 'x', method: 'GET', path: '/x', needs: 'admin', handler: 'management', hasBody: false },
    ];
    const result = buildAllowPolicy(MEMBER, 'pid', METHOD_ARN, principalContext(MEMBER), adminOnly);
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${STAGE_ARN}/*`] },
    ]);
    expect(evaluatePolicy(result.policyDocument, arn('GET', '/x'))).toBe('Deny');
  });

  describe('evaluated as API Gateway does', () => {
    it.each([
      ['member', MEMBER, 'POST', '/v1/keys', 'Deny'],
      ['member', MEMBER, 'GET', '/v1/keys', 'Deny'],
      ['member', MEMBER, 'DELETE', '/v1/keys/K2bbbbbbbbbbbbbb', 'Deny'],
      ['member', MEMBER, 'POST', '/v1/echo/x', 'Allow'],
      ['member', MEMBER, 'GET', '/v1/whoami', 'Allow'],
      ['viewer', VIEWER, 'POST', '/v1/echo/x', 'Deny'],
      ['viewer', VIEWER, 'DELETE', '/v1/echo/x', 'Deny'],
      ['viewer', VIEWER, 'GET', '/v1/echo/a/b/c', 'Allow'],
      ['viewer', VIEWER, 'HEAD', '/v1/echo/x', 'Allow'],
      ['viewer', VIEWER, 'GET', '/v1/keys', 'Deny'],
      ['admin-role key', ADMIN_ROLE_KEY, 'POST', '/v1/keys', 'Allow'],
      ['admin-role key', ADMIN_ROLE_KEY, 'POST', '/v1/keys/K2bbbbbbbbbbbbbb/rotate', 'Allow'],
      ['admin-role key', ADMIN_ROLE_KEY, 'GET', '/v1/orgs/acme', 'Deny'],
      ['admin-role key', ADMIN_ROLE_KEY, 'PUT', '/v1/orgs/acme', 'Deny'],
      ['admin-role key', ADMIN_ROLE_KEY, 'GET', '/v1/orgs', 'Deny'],
      ['admin key', ADMIN_PRINCIPAL, 'GET', '/v1/orgs', 'Allow'],
      ['admin key', ADMIN_PRINCIPAL, 'PUT', '/v1/orgs/acme', 'Allow'],
      ['admin key', ADMIN_PRINCIPAL, 'GET', '/v1/orgs/acme', 'Allow'],
    ])('%s: %s %s → %s', (_, principal, method, path, expected) => {
      expect(evaluatePolicy(policyFor(principal).policyDocument, arn(method, path))).toBe(expected);
    });

    it.each([
      ['admin key', ADMIN_PRINCIPAL],
      ['admin-role key', ADMIN_ROLE_KEY],
      ['member', MEMBER],
      ['viewer', VIEWER],
      ['keys:read only', keyWith(['keys:read'])],
      ['keys:write only', keyWith(['keys:write'])],
      ['api:write only', keyWith(['api:write'])],
      ['no permissions', keyWith([])],
    ])('agrees with allowedMethods on every routed method and path (%s)', (_, principal) => {
      const policy = policyFor(principal).policyDocument;
      let routed = 0;
      for (const path of SAMPLE_PATHS) {
        for (const method of ALL_METHODS) {
          const match = matchRoute(method, path);
          if (match === null) continue; // API Gateway answers 404 itself; the policy is never consulted
          routed++;
          const expected = allowedMethods(principal, match.route).includes(method) ? 'Allow' : 'Deny';
          expect(evaluatePolicy(policy, arn(method, path)), `${method} ${path}`).toBe(expected);
        }
      }
      expect(routed).toBe(10 + 2 * ALL_METHODS.length);
    });
  });
});

describe('buildDenyPolicy', () => {
  it('denies every route of the stage and carries the context', () => {
    const context = { ...principalContext(MEMBER), error_code: 'rate_limited', retry_after: '12' };
    const result = buildDenyPolicy('K1aaaaaaaaaaaaaa', arn('POST', '/v1/echo/x'), context);
    expect(result.principalId).toBe('K1aaaaaaaaaaaaaa');
    expect(result.context).toBe(context);
    expect(result.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${STAGE_ARN}/*`] }],
    });
    for (const path of SAMPLE_PATHS) {
      for (const method of ALL_METHODS)
        expect(evaluatePolicy(result.policyDocument, arn(method, path))).toBe('Deny');
    }
  });
});

describe('denyContext', () => {
  it("names the key and the reason, with the window's seconds left, and nothing the key may do", () => {
    expect(denyContext('K1aaaaaaaaaaaaaa', 12, 60)).toEqual({
      principal: 'key',
      key_id: 'K1aaaaaaaaaaaaaa',
      org_id: '',
      permissions: '',
      error_code: 'rate_limited',
      error_message: 'Rate limit exceeded for this key. Retry after 12 seconds.',
      retry_after: '12',
      ratelimit: '"key";r=0;t=12',
      ratelimit_policy: '"key";q=60;w=60',
      auth_scheme: '',
    });
  });
});

describe('evaluatePolicy', () => {
  const allow = (resource: string | string[], action: unknown = 'execute-api:Invoke') => ({
    Effect: 'Allow',
    Action: action,
    Resource: resource,
  });
  const deny = (resource: string | string[]) => ({
    Effect: 'Deny',
    Action: 'execute-api:Invoke',
    Resource: resource,
  });
  const target = arn('GET', '/v1/keys');

  it('lets an explicit Deny win over an Allow, in either order', () => {
    expect(evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/*`), deny(target)] }, target)).toBe('Deny');
    expect(evaluatePolicy({ Statement: [deny(target), allow(`${STAGE_ARN}/*`)] }, target)).toBe('Deny');
    expect(
      evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/*`), deny(target)] }, arn('POST', '/v1/keys')),
    ).toBe('Allow');
  });

  it('denies by default', () => {
    expect(evaluatePolicy({ Statement: [] }, target)).toBe('Deny');
    expect(evaluatePolicy({}, target)).toBe('Deny');
    expect(evaluatePolicy({ Statement: 'Allow' }, target)).toBe('Deny');
    expect(evaluatePolicy({ Statement: [allow(arn('POST', '/v1/keys'))] }, target)).toBe('Deny');
  });

  it('accepts a single resource string and a single-statement list', () => {
    expect(evaluatePolicy({ Statement: [allow(target)] }, target)).toBe('Allow');
  });

  it.each(['execute-api:Invoke', 'execute-api:*', '*', ['s3:GetObject', 'execute-api:Invoke']])(
    'honours the action %j',
    (action) => {
      expect(evaluatePolicy({ Statement: [allow(target, action)] }, target)).toBe('Allow');
    },
  );

  it.each(['s3:GetObject', 'execute-api:ManageConnections', [], null])('ignores the action %j', (action) => {
    expect(evaluatePolicy({ Statement: [allow(target, action)] }, target)).toBe('Deny');
  });

  it('ignores statements with an unknown effect', () => {
    expect(evaluatePolicy({ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }, target)).toBe(
      'Deny',
    );
  });

  it('matches * across segments and ? as one character', () => {
    expect(
      evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/GET/v1/echo/*`)] }, arn('GET', '/v1/echo/a/b')),
    ).toBe('Allow');
    expect(evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/???/v1/keys`)] }, arn('PUT', '/v1/keys'))).toBe(
      'Allow',
    );
    expect(evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/???/v1/keys`)] }, arn('POST', '/v1/keys'))).toBe(
      'Deny',
    );
  });

  it('treats regular-expression characters in resources literally', () => {
    const resource = `${STAGE_ARN}/GET/v1/a.c`;
    expect(evaluatePolicy({ Statement: [allow(resource)] }, `${STAGE_ARN}/GET/v1/a.c`)).toBe('Allow');
    expect(evaluatePolicy({ Statement: [allow(resource)] }, `${STAGE_ARN}/GET/v1/abc`)).toBe('Deny');
    expect(evaluatePolicy({ Statement: [allow(`${STAGE_ARN}/GET/(x|y)+`)] }, `${STAGE_ARN}/GET/x`)).toBe(
      'Deny',
    );
  });

  it('matches the whole ARN, not a substring', () => {
    expect(evaluatePolicy({ Statement: [allow(arn('GET', '/v1/keys'))] }, arn('GET', '/v1/keys/extra'))).toBe(
      'Deny',
    );
    expect(evaluatePolicy({ Statement: [allow('GET/v1/keys')] }, target)).toBe('Deny');
  });
});

describe('buildAllowPolicy, scope "method" (signed requests)', () => {
  const scoped = (principal: Principal, methodArn: string) =>
    buildAllowPolicy(principal, 'pid', methodArn, principalContext(principal), undefined, 'method');

  it('allows the one method ARN and nothing else', () => {
    const own = arn('DELETE', '/v1/echo/orders/123');
    const policy = scoped(MEMBER, own).policyDocument;
    expect(policy.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [own] }]);
    expect(evaluatePolicy(policy, own)).toBe('Allow');
    expect(evaluatePolicy(policy, arn('DELETE', '/v1/echo/orders/12'))).toBe('Deny');
    expect(evaluatePolicy(policy, arn('GET', '/v1/echo/orders/123'))).toBe('Deny');
  });

  it('denies the stage when the principal may not call the route at all', () => {
    const policy = scoped(VIEWER, arn('DELETE', '/v1/echo/orders/123')).policyDocument;
    expect(evaluatePolicy(policy, arn('DELETE', '/v1/echo/orders/123'))).toBe('Deny');
    expect(evaluatePolicy(policy, arn('GET', '/v1/echo/orders/123'))).toBe('Deny');
  });

  it('never uses a method ARN holding a policy wildcard as a resource (falls back to the full policy)', () => {
    for (const path of ['/v1/echo/*', '/v1/echo/a?b']) {
      const own = arn('GET', path);
      expect(scoped(VIEWER, own)).toEqual(policyFor(VIEWER, own));
    }
  });
});
