import { describe, expect, it } from 'vitest';
import {
  findRoute,
  isRouteMethod,
  matchPath,
  matchRoute,
  READ_METHODS,
  ROUTES,
  type Route,
  routeFor,
  WRITE_METHODS,
} from '#core/routes';

const route = (overrides: Partial<Route> & Pick<Route, 'id' | 'method' | 'path'>): Route => ({
  needs: 'authenticated',
  handler: 'management',
  hasBody: false,
  ...overrides,
});

describe('ROUTES', () => {
  it('is the endpoint table of docs/protocol.md §4.2', () => {
    expect(ROUTES.map((r) => `${r.method} ${r.path} ${r.needs}`)).toEqual([
      'POST /v1/keys keys:write',
      'GET /v1/keys keys:read',
      'GET /v1/keys/{id} keys:read',
      'PATCH /v1/keys/{id} keys:write',
      'DELETE /v1/keys/{id} keys:write',
      'POST /v1/keys/{id}/rotate keys:write',
      'POST /v1/keys/{id}/credits keys:write',
      'GET /v1/keys/{id}/usage keys:read',
      'GET /v1/orgs admin',
      'GET /v1/orgs/{org_id} admin',
      'PUT /v1/orgs/{org_id} admin',
      'GET /v1/plans admin',
      'GET /v1/whoami authenticated',
      'GET /v1/audit keys:read',
      'GET /v1/roles authenticated',
      'ANY /v1/echo/{proxy+} application',
      'POST /v1/leaks/github public',
      'GET /v1/openapi.json public',
      'GET /console public',
      'GET /console/{proxy+} public',
    ]);
  });

  it('has unique ids and unique method + path pairs', () => {
    expect(new Set(ROUTES.map((r) => r.id)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
  });

  it('marks exactly the routes that read a body', () => {
    expect(
      ROUTES.filter((r) => r.hasBody)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['addCredits', 'createKey', 'echo', 'putOrg', 'reportGithubLeaks', 'rotateKey', 'updateKey']);
  });

  it('sends echo to echo, GitHub leak reports to leaks, other public routes to public, the rest to management', () => {
    for (const r of ROUTES) {
      const expected =
        r.id === 'echo'
          ? 'echo'
          : r.id === 'reportGithubLeaks'
            ? 'leaks'
            : r.needs === 'public'
              ? 'public'
              : 'management';
      expect(r.handler, r.id).toBe(expected);
    }
  });

  it('splits methods into read and write, covering all seven', () => {
    expect([...READ_METHODS, ...WRITE_METHODS].sort()).toEqual(
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].sort(),
    );
  });
});

describe('findRoute', () => {
  it('finds a route by id', () => {
    expect(findRoute('rotateKey').path).toBe('/v1/keys/{id}/rotate');
  });

  it('throws for an unknown id (which does not compile)', () => {
    // @ts-expect-error: an id outside the route table does not compile
    expect(() => findRoute('nope')).toThrow(/nope/);
  });
});

describe('routeFor', () => {
  it('finds the route a handler serves for a resource path and method', () => {
    expect(routeFor('management', '/v1/keys', 'POST')?.id).toBe('createKey');
    expect(routeFor('management', '/v1/keys/{id}', 'PATCH')?.id).toBe('updateKey');
    expect(routeFor('public', '/console/{proxy+}', 'GET')?.id).toBe('consoleAsset');
  });

  it('finds nothing for another handler, another method or a request path instead of a resource', () => {
    expect(routeFor('public', '/v1/keys', 'POST')).toBeUndefined();
    expect(routeFor('management', '/v1/openapi.json', 'GET')).toBeUndefined();
    expect(routeFor('management', '/v1/keys', 'PUT')).toBeUndefined();
    expect(routeFor('management', '/v1/keys', 'post')).toBeUndefined();
    expect(routeFor('management', '/v1/keys/abc', 'GET')).toBeUndefined();
  });
});

describe('isRouteMethod', () => {
  it('takes the seven methods and ANY, in upper case only', () => {
    for (const m of [...READ_METHODS, ...WRITE_METHODS, 'ANY']) expect(isRouteMethod(m), m).toBe(true);
    for (const m of ['get', 'CONNECT', 'TRACE', '', 'ANY ']) expect(isRouteMethod(m), m).toBe(false);
  });
});

describe('matchPath', () => {
  it.each([
    ['/v1/keys', '/v1/keys', {}],
    ['/v1/keys', '/v1/keys/', {}],
    ['/v1/keys/{id}', '/v1/keys/abc', { id: 'abc' }],
    ['/v1/keys/{id}/rotate', '/v1/keys/abc/rotate', { id: 'abc' }],
    ['/v1/echo/{proxy+}', '/v1/echo/x', { proxy: 'x' }],
    ['/v1/echo/{proxy+}', '/v1/echo/a/b/c', { proxy: 'a/b/c' }],
  ])('%s matches %s', (resource, path, params) => {
    expect(matchPath(resource, path)).toEqual(params);
  });

  it.each([
    ['/v1/keys', '/v1/key'],
    ['/v1/keys', '/v1/keys/abc'],
    ['/v1/keys/{id}', '/v1/keys'],
    ['/v1/keys/{id}', '/v1/keys/abc/def'],
    ['/v1/keys/{id}/rotate', '/v1/keys/abc/rotat'],
    ['/v1/echo/{proxy+}', '/v1/echo'],
    ['/v1/echo/{proxy+}', '/v1/echo/'],
    ['/v1/echo/{proxy+}', '/v1/ech/x'],
    ['/v1/keys', '/V1/KEYS'],
  ])('%s does not match %s', (resource, path) => {
    expect(matchPath(resource, path)).toBeNull();
  });

  it('decodes percent-encoded parameters', () => {
    expect(matchPath('/v1/keys/{id}', '/v1/keys/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/v1/orgs/{org_id}', '/v1/orgs/%C3%A9')).toEqual({ org_id: 'é' });
    expect(matchPath('/v1/echo/{proxy+}', '/v1/echo/a%2Fb/c%3Fd')).toEqual({ proxy: 'a/b/c?d' });
  });

  it('keeps a segment whose percent-encoding is invalid as it is', () => {
    expect(matchPath('/v1/keys/{id}', '/v1/keys/%E0%A4%A')).toEqual({ id: '%E0%A4%A' });
    expect(matchPath('/v1/keys/{id}', '/v1/keys/100%')).toEqual({ id: '100%' });
  });
});

describe('matchRoute', () => {
  it.each([
    ['POST', '/v1/keys', 'createKey', {}],
    ['GET', '/v1/keys', 'listKeys', {}],
    ['GET', '/v1/keys/k1', 'getKey', { id: 'k1' }],
    ['DELETE', '/v1/keys/k1', 'revokeKey', { id: 'k1' }],
    ['POST', '/v1/keys/k1/rotate', 'rotateKey', { id: 'k1' }],
    ['GET', '/v1/orgs/acme', 'getOrg', { org_id: 'acme' }],
    ['PUT', '/v1/orgs/acme', 'putOrg', { org_id: 'acme' }],
    ['GET', '/v1/whoami', 'whoami', {}],
    ['PATCH', '/v1/keys/k1', 'updateKey', { id: 'k1' }],
    ['GET', '/v1/audit', 'listAudit', {}],
    ['GET', '/v1/echo/hello', 'echo', { proxy: 'hello' }],
    ['PATCH', '/v1/echo/a/b', 'echo', { proxy: 'a/b' }],
    ['OPTIONS', '/v1/echo/x', 'echo', { proxy: 'x' }],
  ])('%s %s → %s', (method, path, id, params) => {
    const match = matchRoute(method, path);
    expect(match?.route.id).toBe(id);
    expect(match?.pathParameters).toEqual(params);
  });

  it.each([
    ['PUT', '/v1/keys'],
    ['PATCH', '/v1/keys'],
    ['GET', '/v1/keys/k1/rotate'],
    ['DELETE', '/v1/orgs/acme'],
    ['POST', '/v1/whoami'],
    ['GET', '/v1/echo'],
    ['GET', '/'],
    ['GET', '/v2/keys'],
    ['get', '/v1/keys'],
  ])('%s %s → no route', (method, path) => {
    expect(matchRoute(method, path)).toBeNull();
  });

  it('prefers a literal method over ANY on the same path, whatever the table order', () => {
    const any = route({ id: 'any', method: 'ANY', path: '/things/{id}' });
    const get = route({ id: 'get', method: 'GET', path: '/things/{id}' });
    for (const table of [
      [any, get],
      [get, any],
    ]) {
      expect(matchRoute('GET', '/things/1', table)?.route.id).toBe('get');
      expect(matchRoute('POST', '/things/1', table)?.route.id).toBe('any');
      expect(matchRoute('POST', '/things/1', table)?.pathParameters).toEqual({ id: '1' });
    }
  });

  it('requires at least one segment for {proxy+}', () => {
    const table = [route({ id: 'proxy', method: 'ANY', path: '/{proxy+}' })];
    expect(matchRoute('GET', '/', table)).toBeNull();
    expect(matchRoute('GET', '/a', table)?.pathParameters).toEqual({ proxy: 'a' });
  });
});
