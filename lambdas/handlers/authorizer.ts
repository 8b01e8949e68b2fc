/**
 * The Lambda REQUEST authorizer, for a REST API (payload format 1.0, IAM policy answers) and an HTTP API
 * (payload format 2.0, simple answers) alike; `lambdas/runtime/events.ts` reads either event.
 * REST API: Allow → a policy covering every route the principal may call (a signed request: its own
 * method ARN only); rate limited, or a key used from outside its `allowed_cidrs` → an explicit Deny whose
 * context names the reason (API Gateway answers 403 with code `rate_limited` or `ip_not_allowed`); any credential failure → `Unauthorized` (401, one body for every reason).
 * HTTP API: `isAuthorized: true` with the same context when the principal may call the route its
 * `routeKey` names, else `isAuthorized: false` (API Gateway answers 403 `Forbidden`, whatever the
 * reason: it has no gateway responses). Either API: a dependency failure → an error (API Gateway answers
 * 5xx: fail closed). Its only storage is the usage store (`lambdas/dynamo/usage.ts`).
 */

import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { HotKeys } from '#core/hot-keys';
import { recordRefusalOf } from '#core/outcomes';
import {
  type AuthorizerResult,
  allowContext,
  allowsRoute,
  buildAllowPolicy,
  buildDenyPolicy,
  creditsDeniedContext,
  denyContext,
  evaluatePolicy,
  ipDeniedContext,
  type SimpleAuthorizerResult,
} from '#core/policy';
import type { CreditsRefusal, NetworkRefusal, RateRefusal, RouteRefusal } from '#core/refusals';
import { ROUTES, routeCost } from '#core/routes';
import { SETTINGS } from '#core/settings';
import { verifyRequest } from '#core/verify';
import { type AuthorizerEvent, authorizerRequestOf, routeKeyParts } from '../runtime/events';
import { initAtColdStart } from '../runtime/init';
import { logger } from '../runtime/logger';
import { countDependencyFailure, type MetricsWriter, metricsWriterFor } from '../runtime/metrics';
import { defaultRuntime, type Runtime } from '../runtime/runtime';
import { flushCountsAtShutdown } from '../runtime/shutdown';
import { httpSignatureOf } from '../runtime/signed-message';
import { verifierDeps } from '../runtime/verifier-deps';

/** One function, two answers: an IAM policy for a REST API's event, a simple response for an HTTP API's. */
export interface AuthorizerHandler {
  (event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerResult>;
  (event: APIGatewayRequestAuthorizerEventV2): Promise<SimpleAuthorizerResult>;
  (event: AuthorizerEvent): Promise<AuthorizerResult | SimpleAuthorizerResult>;
  /** Writes the calls bounded mode counted in memory and has not written yet (exact mode: nothing). */
  flush(): Promise<void>;
}

export function createAuthorizerHandler(
  runtime: Runtime,
  metrics: MetricsWriter = metricsWriterFor('authorizer'),
): AuthorizerHandler {
  const adminKey = runtime.adminKey;
  if (adminKey === null)
    throw new Error(`configuration: ${SETTINGS.adminKeySecretId.env} must be set for the authorizer`);
  const routes = [...ROUTES, ...runtime.config.applicationRoutes];
  // The authorizer requires the admin key (checked above), so the deps always carry it.
  const deps = {
    ...verifierDeps(runtime, { onMemoryAnswer: () => metrics.count('hotKeyMemoryAnswers') }),
    // Usage by outcome: the refusal stands either way; a count that failed is lost, a late one may land.
    onRefusalCount: (result: string, keyId: string, outcome: string) =>
      logger.warn('refusal count not written', { result, key_id: keyId, outcome }),
  };
  /** Usage by outcome: a key's call to a route it may not call (its verifying write counted the call). */
  const forbidden = (keyId: string, nowMs: number) =>
    recordRefusalOf(deps, { keyId, outcome: 'forbidden', nowMs });
  let coldStart = true;
  const authorize = async (event: AuthorizerEvent): Promise<AuthorizerResult | SimpleAuthorizerResult> => {
    const request = authorizerRequestOf(event);
    const { requestId, target } = request;
    let result: Awaited<ReturnType<typeof verifyRequest>>;
    // One instant for the request: a forbidden call is taken back from the day that counted it.
    const nowMs = deps.now();
    try {
      result = await verifyRequest(
        { ...deps, now: () => nowMs },
        {
          authorization: request.headers.authorization,
          method: request.method,
          path: request.path,
          contentDigest: request.headers['content-digest'],
          contentDigestRepeated: request.contentDigestRepeated,
          httpSignature: httpSignatureOf(event),
          ...(request.sourceIp === undefined ? {} : { sourceIp: request.sourceIp }),
          cost: routeCost(routes, request.method, request.resource),
        },
      );
    } catch (error) {
      countDependencyFailure(metrics, error);
      logger.error('authorizer dependency failure: refusing the request', {
        error: error instanceof Error ? error.message : 'unknown',
        request_id: requestId,
      });
      throw new Error('Dependency failure');
    }
    if (result.ok) {
      const principal = result.principal;
      const principalId = principal.type === 'admin' ? 'admin' : principal.keyId;
      const context = allowContext(principal, result.scheme, result.record?.metadata ?? {});
      if (target.api === 'http') {
        // No policy for API Gateway to evaluate: the route check happens here.
        if (!allowsRoute(principal, routeKeyParts(target.routeKey), request.method, routes)) {
          const reason: RouteRefusal = 'route_not_allowed';
          metrics.count('verifications', { outcome: 'refused', reason });
          logger.warn('deny', { reason, key_id: principalId, request_id: requestId });
          if (principal.type === 'key') await forbidden(principal.keyId, nowMs);
          return { isAuthorized: false };
        }
        metrics.count('verifications', { outcome: 'allowed' });
        logger.info('allow', {
          principal: principal.type,
          key_id: principalId,
          scheme: result.scheme,
          request_id: requestId,
        });
        return { isAuthorized: true, context };
      }
      metrics.count('verifications', { outcome: 'allowed' });
      logger.info('allow', {
        principal: principal.type,
        key_id: principalId,
        scheme: result.scheme,
        request_id: requestId,
      });
      const allow = buildAllowPolicy(
        principal,
        principalId,
        target.methodArn,
        context,
        routes,
        // A signed request authorizes itself only: with the authorizer cache on, a cached answer for its
        // Authorization value must not serve another method or path.
        result.scheme === 'bearer' ? 'routes' : 'method',
      );
      // API Gateway refuses (403) a route the policy does not cover: counted as forbidden here.
      if (principal.type === 'key' && evaluatePolicy(allow.policyDocument, target.methodArn) === 'Deny')
        await forbidden(principal.keyId, nowMs);
      return allow;
    }
    if (result.kind === 'rate_limited') {
      const reason: RateRefusal = 'rate_limited';
      metrics.count('verifications', { outcome: 'refused', reason });
      logger.warn('deny', { reason, key_id: result.keyId, request_id: requestId });
      // An HTTP API has no gateway response to carry the code and Retry-After: a plain refusal.
      if (target.api === 'http') return { isAuthorized: false };
      return buildDenyPolicy(
        result.keyId,
        target.methodArn,
        denyContext(result.keyId, result.retryAfterSeconds, result.limitPerMinute),
      );
    }
    if (result.kind === 'ip_not_allowed') {
      const reason: NetworkRefusal = 'ip_not_allowed';
      metrics.count('verifications', { outcome: 'refused', reason });
      logger.warn('deny', {
        reason,
        key_id: result.keyId,
        source_ip: request.sourceIp ?? null,
        request_id: requestId,
      });
      if (target.api === 'http') return { isAuthorized: false };
      return buildDenyPolicy(result.keyId, target.methodArn, ipDeniedContext(result.keyId));
    }
    if (result.kind === 'credits_exhausted') {
      const reason: CreditsRefusal = 'credits_exhausted';
      metrics.count('verifications', { outcome: 'refused', reason });
      logger.warn('deny', { reason, key_id: result.keyId, request_id: requestId });
      if (target.api === 'http') return { isAuthorized: false };
      return buildDenyPolicy(result.keyId, target.methodArn, creditsDeniedContext(result.keyId));
    }
    metrics.count('verifications', { outcome: 'refused', reason: result.reason });
    logger.warn('unauthorized', { reason: result.reason, key_id: result.keyId, request_id: requestId });
    // An HTTP API documents 401 only for a missing identity source (before any authorizer runs); a
    // refusal is `isAuthorized: false`, which it answers 403.
    if (target.api === 'http') return { isAuthorized: false };
    throw new Error('Unauthorized');
  };
  // Every invocation's counts are written as it ends, whatever it answers (one EMF line, no API call).
  const authorizeAndCount = async (event: AuthorizerEvent) => {
    if (coldStart) metrics.count('coldStarts');
    coldStart = false;
    try {
      return await authorize(event);
    } finally {
      metrics.flush();
    }
  };
  const handler = authorizeAndCount as AuthorizerHandler;
  handler.flush = () => (deps.usage instanceof HotKeys ? deps.usage.flushAll() : Promise.resolve());
  return handler;
}

// INIT, in a Lambda: runtime built, secrets fetched, DynamoDB connection open before the handler is exported.
const initialized = await initAtColdStart();
let instance: AuthorizerHandler | undefined = initialized ? createAuthorizerHandler(initialized) : undefined;
// Bounded mode: the calls counted and not yet written go out when Lambda shuts the environment down.
if (initialized && instance) await flushCountsAtShutdown(initialized, instance.flush);

export const handler = Object.assign(
  (event: AuthorizerEvent) => {
    instance ??= createAuthorizerHandler(defaultRuntime());
    return instance(event);
  },
  { flush: () => instance?.flush() ?? Promise.resolve() },
) as AuthorizerHandler;
