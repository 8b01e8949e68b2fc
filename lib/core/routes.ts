/**
 * The one route table. The CDK stack builds API Gateway resources from it, the local gateway serves
 * it, the authorizer's policy covers it, and the management handler dispatches on it.
 */
import { MAX_ROUTE_COST } from './credits';
import { isPermission, PERMISSION_RULE, type Permission } from './permissions';

const READ = ['GET', 'HEAD', 'OPTIONS'] as const;
const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The one HTTP method list: reads need api:read on application routes, writes api:write. */
export type HttpMethod = (typeof READ)[number] | (typeof WRITE)[number];
export const READ_METHODS: readonly HttpMethod[] = READ;
export const WRITE_METHODS: readonly HttpMethod[] = WRITE;
/** What a route (or an application route) may name: one method, or API Gateway's `ANY`. */
export type RouteMethod = HttpMethod | 'ANY';

const ROUTE_METHODS: ReadonlySet<string> = /* @__PURE__ */ new Set<RouteMethod>([...READ, ...WRITE, 'ANY']);

/** Whether a string is a method a route may name (upper case only, as API Gateway writes them). */
export function isRouteMethod(method: string): method is RouteMethod {
  return ROUTE_METHODS.has(method);
}

/** The 404 message for a method and path no route serves, wherever the 404 is answered. */
export const ROUTE_NOT_FOUND_MESSAGE = 'No route matches this method and path.';

/**
 * What a route needs:
 * - a permission;
 * - `admin`: the admin key only;
 * - `authenticated`: any valid credential;
 * - `application`: api:read for GET/HEAD/OPTIONS, api:write for any other method;
 * - `public`: no credential at all. The gateway runs no authorizer for it (API Gateway: authorization
 *   type NONE; the local gateway skips it), so its handler must serve only what anyone may read — the
 *   OpenAPI document and the console's static files (the `public` handler, with no data access) — or
 *   authenticate the caller itself: the `leaks` handler answers only requests GitHub signed.
 */
export type RouteRequirement = Permission | 'admin' | 'authenticated' | 'application' | 'public';

/**
 * `management`: the management API; `echo`: the sample application route; `public`: the credential-free
 * documents (OpenAPI and console), a function with no data access; `leaks`: GitHub secret-scanning
 * reports (`lambdas/handlers/leaks.ts`), signed by GitHub and checked by the function itself.
 */
export type RouteHandler = 'management' | 'echo' | 'public' | 'leaks';

export interface Route {
  /** Stable identifier used by the handlers' dispatch tables. */
  id: string;
  method: RouteMethod;
  /** API Gateway resource path, with `{param}` and `{proxy+}` segments. */
  path: string;
  needs: RouteRequirement;
  handler: RouteHandler;
  /** Whether the handler reads a request body (and so checks Content-Digest on signed requests). */
  hasBody: boolean;
  /** The credits a call spends from a key with credits (`#core/credits`); default 1. */
  cost?: number;
}

export const ROUTES = [
  {
    id: 'createKey',
    method: 'POST',
    path: '/v1/keys',
    needs: 'keys:write',
    handler: 'management',
    hasBody: true,
  },
  {
    id: 'listKeys',
    method: 'GET',
    path: '/v1/keys',
    needs: 'keys:read',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'getKey',
    method: 'GET',
    path: '/v1/keys/{id}',
    needs: 'keys:read',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'updateKey',
    method: 'PATCH',
    path: '/v1/keys/{id}',
    needs: 'keys:write',
    handler: 'management',
    hasBody: true,
  },
  {
    id: 'revokeKey',
    method: 'DELETE',
    path: '/v1/keys/{id}',
    needs: 'keys:write',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'rotateKey',
    method: 'POST',
    path: '/v1/keys/{id}/rotate',
    needs: 'keys:write',
    handler: 'management',
    hasBody: true,
  },
  {
    id: 'addCredits',
    method: 'POST',
    path: '/v1/keys/{id}/credits',
    needs: 'keys:write',
    handler: 'management',
    hasBody: true,
  },
  {
    id: 'getKeyUsage',
    method: 'GET',
    path: '/v1/keys/{id}/usage',
    needs: 'keys:read',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'listOrgs',
    method: 'GET',
    path: '/v1/orgs',
    needs: 'admin',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'getOrg',
    method: 'GET',
    path: '/v1/orgs/{org_id}',
    needs: 'admin',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'putOrg',
    method: 'PUT',
    path: '/v1/orgs/{org_id}',
    needs: 'admin',
    handler: 'management',
    hasBody: true,
  },
  {
    id: 'listPlans',
    method: 'GET',
    path: '/v1/plans',
    needs: 'admin',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'whoami',
    method: 'GET',
    path: '/v1/whoami',
    needs: 'authenticated',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'listAudit',
    method: 'GET',
    path: '/v1/audit',
    needs: 'keys:read',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'listRoles',
    method: 'GET',
    path: '/v1/roles',
    needs: 'authenticated',
    handler: 'management',
    hasBody: false,
  },
  {
    id: 'echo',
    method: 'ANY',
    path: '/v1/echo/{proxy+}',
    needs: 'application',
    handler: 'echo',
    hasBody: true,
  },
  {
    id: 'reportGithubLeaks',
    method: 'POST',
    path: '/v1/leaks/github',
    needs: 'public',
    handler: 'leaks',
    hasBody: true,
  },
  {
    id: 'getOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    needs: 'public',
    handler: 'public',
    hasBody: false,
  },
  {
    id: 'console',
    method: 'GET',
    path: '/console',
    needs: 'public',
    handler: 'public',
    hasBody: false,
  },
  {
    id: 'consoleAsset',
    method: 'GET',
    path: '/console/{proxy+}',
    needs: 'public',
    handler: 'public',
    hasBody: false,
  },
] as const satisfies readonly Route[];

/** A route of the table, its id and handler kept as literal types. */
export type TableRoute = (typeof ROUTES)[number];
/** Every route id in the table: a misspelt id is a compile error wherever a route is named. */
export type RouteId = TableRoute['id'];
/** The routes one handler serves. */
export type HandlerRoute<H extends RouteHandler> = Extract<TableRoute, { handler: H }>;
/** The management API's route ids: its handler has exactly one action for each. */
export type ManagementRouteId = HandlerRoute<'management'>['id'];

/** Whether a route is served without any credential (no authorizer runs). */
export function isPublicRoute(route: Pick<Route, 'needs'>): boolean {
  return route.needs === 'public';
}

const RESOURCE_PATH_RE = /^(\/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\+?\}))+$/;

/**
 * Routes of your own API protected by the latchkey authorizer (`LATCHKEY_APPLICATION_ROUTES`, a JSON
 * array of `{method, path, permission?}` written by the CDK construct): each needs its `permission`, or
 * without one api:read for GET/HEAD/OPTIONS and api:write for other methods, so the Allow policy must
 * cover them too.
 */
export function parseApplicationRoutes(input: unknown): PolicyRoute[] {
  if (!Array.isArray(input)) throw new Error('application routes must be a JSON array of {method, path}');
  return input.map((entry, i) => {
    const e = entry as { method?: unknown; path?: unknown; permission?: unknown; cost?: unknown };
    const method = typeof e?.method === 'string' ? e.method.toUpperCase() : '';
    if (!isRouteMethod(method))
      throw new Error(`application route ${i}: method must be an HTTP method or ANY`);
    if (typeof e.path !== 'string' || !RESOURCE_PATH_RE.test(e.path)) {
      throw new Error(
        `application route ${i}: path must be an API Gateway resource path such as /orders/{id}`,
      );
    }
    if (e.permission !== undefined && !isPermission(e.permission)) {
      throw new Error(`application route ${i}: permission must be ${PERMISSION_RULE}`);
    }
    if (
      e.cost !== undefined &&
      (typeof e.cost !== 'number' || !Number.isInteger(e.cost) || e.cost < 1 || e.cost > MAX_ROUTE_COST)
    ) {
      throw new Error(`application route ${i}: cost must be an integer from 1 to ${MAX_ROUTE_COST}`);
    }
    const needs = e.permission === undefined ? 'application' : e.permission;
    return { method, path: e.path, needs, ...(e.cost === undefined ? {} : { cost: e.cost }) };
  });
}

/** What the authorizer's policy needs to know of a route (and what a call of it costs in credits). */
export type PolicyRoute = Pick<Route, 'method' | 'path' | 'needs' | 'cost'>;

/**
 * The credits a call costs: the `cost` of the route that serves `method` on the resource path
 * `resource` (a literal method before ANY, as API Gateway matches), else 1.
 */
export function routeCost(
  routes: readonly Pick<Route, 'method' | 'path' | 'cost'>[],
  method: string,
  resource: string | null,
): number {
  if (resource === null) return 1;
  const exact = routes.find((r) => r.path === resource && r.method === method);
  const any = routes.find((r) => r.path === resource && r.method === 'ANY');
  return (exact ?? any)?.cost ?? 1;
}

/** What matching needs of a route: its method (or ANY) and resource path. */
export type RoutePattern = Pick<Route, 'method' | 'path'>;

export interface RouteMatch<R extends RoutePattern = Route> {
  route: R;
  pathParameters: Record<string, string>;
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Matches a request path (without stage) against a route's resource path, as API Gateway does. */
export function matchPath(resourcePath: string, requestPath: string): Record<string, string> | null {
  const pattern = segmentsOf(resourcePath);
  const actual = segmentsOf(requestPath);
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.endsWith('+}')) {
      const rest = actual.slice(i);
      if (rest.length === 0) return null;
      params[p.slice(1, -2)] = rest.map(decodeSegment).join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return null;
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = decodeSegment(a);
    else if (p !== a) return null;
  }
  return actual.length === pattern.length ? params : null;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Finds the route for a method and path; a literal method wins over ANY, as in API Gateway. Any table
 * of method and resource path will do (latchkey's own by default, or a user's, in latchkey/verify).
 */
export function matchRoute(method: string, requestPath: string): RouteMatch | null;
export function matchRoute<R extends RoutePattern>(
  method: string,
  requestPath: string,
  routes: readonly R[],
): RouteMatch<R> | null;
export function matchRoute(
  method: string,
  requestPath: string,
  routes: readonly RoutePattern[] = ROUTES,
): RouteMatch<RoutePattern> | null {
  let anyMatch: RouteMatch<RoutePattern> | null = null;
  for (const route of routes) {
    const params = matchPath(route.path, requestPath);
    if (params === null) continue;
    if (route.method === method) return { route, pathParameters: params };
    if (route.method === 'ANY' && anyMatch === null) anyMatch = { route, pathParameters: params };
  }
  return anyMatch;
}

/**
 * The route a handler serves for an API Gateway resource path and method (`event.resource`,
 * `event.httpMethod`), or undefined: how a Lambda dispatches, since API Gateway has already matched
 * the request path.
 */
export function routeFor<H extends RouteHandler>(
  handler: H,
  resource: string,
  method: string,
): HandlerRoute<H> | undefined {
  return ROUTES.find(
    (r): r is HandlerRoute<H> => r.handler === handler && r.path === resource && r.method === method,
  );
}

/** The route with this id. */
export function findRoute<Id extends RouteId>(id: Id): Extract<TableRoute, { id: Id }> {
  const route = ROUTES.find((r): r is Extract<TableRoute, { id: Id }> => r.id === id);
  if (!route) throw new Error(`no route with id ${id}`);
  return route;
}

/**
 * A route's request path with its `{param}` segments filled in, each URL-encoded: how a client (the SDK,
 * the console) names a route without writing its path again. `routePath('getKey', { id })` →
 * `/v1/keys/<id>`.
 */
export function routePath(id: RouteId, params: Readonly<Record<string, string>> = {}): string {
  return findRoute(id).path.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${id} needs the path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
