/**
 * The authorizer's answers: an Allow over every route a principal may call (for bearer credentials, so a
 * cached policy stays right on other routes), the same narrowed to the one method ARN of the request (for
 * signed requests), a Deny with a reason for the gateway response, the Allow's context (the principal
 * plus the key's metadata) and the rate-limit Deny's, and the evaluator the local gateway uses to apply them as API Gateway does.
 * Pure.
 */
import type { CredentialScheme } from './credentials';
import { CREDITS_EXHAUSTED_MESSAGE, IP_NOT_ALLOWED_MESSAGE, rateLimitedMessage } from './errors';
import type { AuthorizerContext, Principal } from './principal';
import { allowedMethods, principalContext } from './principal';
import { rateLimitField, rateLimitPolicyField } from './rate-limit-fields';
import { type PolicyRoute, ROUTES } from './routes';

export interface PolicyStatement {
  Action: 'execute-api:Invoke';
  Effect: 'Allow' | 'Deny';
  Resource: string[];
}

export interface AuthorizerResult {
  principalId: string;
  policyDocument: { Version: '2012-10-17'; Statement: PolicyStatement[] };
  context: AuthorizerContext;
}

/**
 * The context of an Allow: the principal's, plus `metadata`, the key's metadata as a JSON string
 * (context values must be flat strings; `{}` for the admin key or a key without metadata), so that an
 * integration learns the customer or plan without a lookup.
 */
export function allowContext(
  principal: Principal,
  scheme: CredentialScheme,
  metadata: Readonly<Record<string, string>>,
): AuthorizerContext {
  return { ...principalContext(principal, scheme), metadata: JSON.stringify(metadata) };
}

/**
 * The context of the Deny for a key over its rate limit: what the gateway response reads (code
 * `rate_limited`, the message, the seconds left in the window, and the `RateLimit`/`RateLimit-Policy`
 * field values: none left of `limitPerMinute` until the window ends); no organization, permissions or
 * scheme.
 */
export function denyContext(
  keyId: string,
  retryAfterSeconds: number,
  limitPerMinute: number,
): AuthorizerContext {
  return {
    principal: 'key',
    key_id: keyId,
    org_id: '',
    permissions: '',
    error_code: 'rate_limited',
    error_message: rateLimitedMessage(retryAfterSeconds),
    retry_after: String(retryAfterSeconds),
    ratelimit: rateLimitField(0, retryAfterSeconds),
    ratelimit_policy: rateLimitPolicyField(limitPerMinute),
    auth_scheme: '',
  };
}

/**
 * The context of the Deny for a key used from outside its `allowed_cidrs`: code `ip_not_allowed` and its
 * message for the gateway response; no organization, permissions, scheme or rate-limit fields.
 */
export function ipDeniedContext(keyId: string): AuthorizerContext {
  return {
    principal: 'key',
    key_id: keyId,
    org_id: '',
    permissions: '',
    error_code: 'ip_not_allowed',
    error_message: IP_NOT_ALLOWED_MESSAGE,
    retry_after: '',
    ratelimit: '',
    ratelimit_policy: '',
    auth_scheme: '',
  };
}

/**
 * The context of the Deny for a key whose credits are below the call's cost: code `credits_exhausted`
 * and its message for the gateway response (ACCESS_DENIED, 403); nothing else.
 */
export function creditsDeniedContext(keyId: string): AuthorizerContext {
  return {
    ...ipDeniedContext(keyId),
    error_code: 'credits_exhausted',
    error_message: CREDITS_EXHAUSTED_MESSAGE,
  };
}

/** The metadata an integration receives in the authorizer context ({} when absent or unreadable). */
export function metadataFromContext(
  ctx: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, string> {
  const raw = ctx?.metadata;
  if (typeof raw !== 'string' || raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` → `arn:…:api/stage`. */
export function stageArnOf(methodArn: string): string {
  const parts = methodArn.split('/');
  if (parts.length < 3 || !parts[0]?.startsWith('arn:'))
    throw new Error('methodArn is not an execute-api ARN');
  return `${parts[0]}/${parts[1]}`;
}

/** API Gateway resource path → the path part of an execute-api ARN (`{param}` segments become `*`). */
export function arnPathOf(resourcePath: string): string {
  return resourcePath
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') ? '*' : s))
    .join('/');
}

/**
 * Which requests an Allow covers: `routes`, every route the principal may call, so that a cached answer
 * (authorizer cache TTL above 0) is right for any of them; `method`, only the request's own method ARN
 * (method and path as sent), for credentials that authorize one request, not a caller — a signed request.
 */
export type PolicyScope = 'routes' | 'method';

/**
 * An Allow policy covering every route the principal may call, so that the result stays correct
 * if the authorizer cache is turned on (a cached policy is reused for other routes); with scope
 * `method`, only `methodArn`, and only if the full policy allows it. A method ARN holding `*` or `?`
 * (characters a path may carry, and wildcards in a policy) is never used as a resource: the full
 * policy is returned instead, so the scoped one is never broader than it.
 */
export function buildAllowPolicy(
  principal: Principal,
  principalId: string,
  methodArn: string,
  context: AuthorizerContext,
  routes: readonly PolicyRoute[] = ROUTES,
  scope: PolicyScope = 'routes',
): AuthorizerResult {
  const full = allowRoutes(principal, principalId, methodArn, context, routes);
  if (scope === 'routes' || /[*?]/.test(methodArn)) return full;
  const statement: PolicyStatement =
    evaluatePolicy(full.policyDocument, methodArn) === 'Allow'
      ? { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [methodArn] }
      : { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stageArnOf(methodArn)}/*`] };
  return { principalId, policyDocument: { Version: '2012-10-17', Statement: [statement] }, context };
}

function allowRoutes(
  principal: Principal,
  principalId: string,
  methodArn: string,
  context: AuthorizerContext,
  routes: readonly PolicyRoute[],
): AuthorizerResult {
  const stageArn = stageArnOf(methodArn);
  const resources: string[] = [];
  for (const route of routes) {
    for (const method of allowedMethods(principal, route)) {
      resources.push(`${stageArn}/${method}/${arnPathOf(route.path)}`);
    }
  }
  const statement: PolicyStatement =
    resources.length > 0
      ? { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }
      : { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stageArn}/*`] };
  return { principalId, policyDocument: { Version: '2012-10-17', Statement: [statement] }, context };
}

/**
 * An HTTP API authorizer's simple response (payload format 2.0, simple responses on): a yes or no for
 * this one request, with the context API Gateway passes to the integration: AWS, API Gateway developer
 * guide, "Working with AWS Lambda authorizers for HTTP APIs" (Lambda function response for format 2.0).
 */
export interface SimpleAuthorizerResult {
  isAuthorized: boolean;
  context?: AuthorizerContext;
}

/**
 * Whether the principal may call the route an HTTP API names by its route key (`ANY /v1/echo/{proxy+}`,
 * split into `method` and `path`) with the request's own method — the decision a REST API makes itself
 * from the Allow policy. A route key that is not in `routes` (`$default`, or a route added outside
 * latchkey) is refused.
 */
export function allowsRoute(
  principal: Principal,
  routeKey: { method: string; path: string } | null,
  requestMethod: string,
  routes: readonly PolicyRoute[] = ROUTES,
): boolean {
  if (routeKey === null) return false;
  const route = routes.find((r) => r.path === routeKey.path && r.method === routeKey.method);
  if (route === undefined) return false;
  return allowedMethods(principal, route).some((m) => m === requestMethod);
}

/** A Deny for every route of the stage, with the reason in the context for the gateway response body. */
export function buildDenyPolicy(
  principalId: string,
  methodArn: string,
  context: AuthorizerContext,
): AuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stageArnOf(methodArn)}/*`] }],
    },
    context,
  };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/**
 * Evaluates an execute-api policy for one method ARN as API Gateway does: an explicit Deny wins,
 * then any Allow, and no match is a Deny.
 */
export function evaluatePolicy(policy: { Statement?: unknown }, methodArn: string): 'Allow' | 'Deny' {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [];
  let allowed = false;
  for (const raw of statements) {
    const s = raw as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    const actions = ([] as unknown[]).concat(s.Action ?? []);
    if (!actions.some((a) => a === 'execute-api:Invoke' || a === 'execute-api:*' || a === '*')) continue;
    const resources = ([] as unknown[])
      .concat(s.Resource ?? [])
      .filter((r): r is string => typeof r === 'string');
    if (!resources.some((r) => globToRegExp(r).test(methodArn))) continue;
    if (s.Effect === 'Deny') return 'Deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'Allow' : 'Deny';
}
