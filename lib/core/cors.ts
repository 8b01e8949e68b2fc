/**
 * CORS for browser pages on another origin (the `corsAllowOrigin` setting; off by default): what the
 * preflights answer, what the management API's answers and the gateway responses carry, and the check of
 * the setting. A REST API's gateway responses take a static header value or a copy of a request value, and
 * run no template logic (AWS, API Gateway developer guide, "x-amazon-apigateway-gateway-responses.
 * gatewayResponse object": "The parameter values can take any incoming request parameter value or a static
 * custom value", templates "are not processed by the VTL engine"), so they cannot pick one origin of a
 * list: the setting is `*` or exactly one origin. The CDK construct and the local gateway both read
 * this module. CORS decides which pages may read the answers; it authenticates nobody (docs/security.md).
 * Pure.
 */

import { BACK_OFF_HEADERS } from './rate-limit-fields';
import type { HttpMethod, Route } from './routes';

/**
 * What a preflight allows a page to send: the credential (`Authorization`, bearer or ARMOR-PSK), JSON
 * bodies, and a signed body's `Content-Digest` (docs/protocol.md §2.2). Nothing else is needed.
 */
export const CORS_ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Content-Digest'] as const;

/** What a page may read beyond the CORS-safelisted headers: the back-off headers and the request id. */
export const CORS_EXPOSE_HEADERS = [...BACK_OFF_HEADERS, 'x-request-id'] as const;

/** How long a browser may reuse a preflight's answer (Chromium caps it at 7200 s). */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * `*`, or one origin exactly as a browser sends it in `Origin` (RFC 6454 §6.2): `http` or `https`, a
 * lower-case host name, IPv4 or bracketed IPv6 address, an optional port; no path, not even `/`.
 */
export const CORS_ORIGIN_RE =
  /^(\*|https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?)$/;
export const CORS_ORIGIN_RULE =
  '* or one origin as browsers send it, scheme://host[:port] in lower case with no path ' +
  '(not a list: gateway responses take one static value)';

/**
 * The problem with an origin the pattern lets through but a browser would never send as written (a
 * default port, a port out of range: `https://app.example.com:443` arrives as `https://app.example.com`),
 * or null. `as` names it in the message.
 */
export function corsOriginProblem(value: string, as = 'corsAllowOrigin'): string | null {
  if (value === '*' || !CORS_ORIGIN_RE.test(value)) return null;
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    return `${as} must be ${CORS_ORIGIN_RULE}, got ${JSON.stringify(value)}`;
  }
  if (origin === value) return null;
  return `${as} must be written as browsers send it in Origin: ${JSON.stringify(origin)}, not ${JSON.stringify(value)}`;
}

/** A resource that answers preflights, and the methods its preflight allows (OPTIONS included). */
export interface CorsResource {
  path: string;
  methods: HttpMethod[];
}

const ALL_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The resources whose preflights are answered: every resource of the management API (the routes whose
 * answers carry the CORS headers), with the methods of its routes.
 */
export function corsResources(routes: readonly Route[]): CorsResource[] {
  const byPath = new Map<string, Set<HttpMethod>>();
  for (const route of routes) {
    if (route.handler !== 'management') continue;
    const methods = byPath.get(route.path) ?? new Set<HttpMethod>();
    for (const method of route.method === 'ANY' ? ALL_METHODS : [route.method]) methods.add(method);
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ path, methods: [...methods, 'OPTIONS'] }));
}

/**
 * The headers of a preflight's answer, as the CDK's `addCorsPreflight` has API Gateway send them for one
 * origin: static values, `Access-Control-Allow-Origin` included whatever the request's `Origin` (a page on
 * another origin finds its own origin missing and stops), and `Vary: Origin` unless it is `*`.
 */
export function corsPreflightHeaders(
  allowOrigin: string,
  methods: readonly string[],
): Record<string, string> {
  return {
    'access-control-allow-headers': CORS_ALLOW_HEADERS.join(','),
    'access-control-allow-origin': allowOrigin,
    ...(allowOrigin === '*' ? {} : { vary: 'Origin' }),
    'access-control-allow-methods': methods.join(','),
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
  };
}

/**
 * The CORS headers of a gateway response (401, 403, 404, 5xx…): static, since that is all a gateway
 * response can hold, so the configured origin is sent whatever the request's `Origin`.
 */
export function corsGatewayHeaders(allowOrigin: string | undefined): Record<string, string> {
  if (allowOrigin === undefined) return {};
  return {
    'access-control-allow-origin': allowOrigin,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS.join(','),
  };
}

/**
 * The CORS headers of a management API answer: with `*`, `*`; with an origin, `Vary: Origin` always and
 * `Access-Control-Allow-Origin` only when the request came from that origin. Nothing when CORS is off.
 */
export function corsAnswerHeaders(
  allowOrigin: string | undefined,
  requestOrigin: string | undefined,
): Record<string, string> {
  if (allowOrigin === undefined) return {};
  if (allowOrigin !== '*' && requestOrigin !== allowOrigin) return { vary: 'Origin' };
  return {
    ...(allowOrigin === '*' ? {} : { vary: 'Origin' }),
    ...corsGatewayHeaders(allowOrigin),
  };
}
