/**
 * The Lambda REQUEST authorizer. Allow → a policy covering every route the principal may call (a
 * signed request: its own method ARN only);
 * rate limited → an explicit Deny whose context names the reason (API Gateway answers 403 with code
 * `rate_limited`); any credential failure → `Unauthorized` (401, one body for every reason);
 * a dependency failure → any other error (API Gateway answers 5xx: fail closed). Its only storage is
 * the usage store (`lambdas/dynamo/usage.ts`).
 */

import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { HotKeys } from '#core/hot-keys';
import {
  type AuthorizerResult,
  allowContext,
  buildAllowPolicy,
  buildDenyPolicy,
  denyContext,
} from '#core/policy';
import type { RateRefusal } from '#core/refusals';
import { ROUTES } from '#core/routes';
import { SETTINGS } from '#core/settings';
import type { UsageStore } from '#core/usage-store';
import { type VerifierDeps, verifyRequest } from '#core/verify';
import { DynamoUsageStore } from '../dynamo/usage';

import { headerLineCount, lowerCaseHeaders } from '../runtime/http';
import { initAtColdStart } from '../runtime/init';
import { logger } from '../runtime/logger';
import { defaultRuntime, type Runtime } from '../runtime/runtime';

/** A mismatch re-reads the admin-key secret at most this often. */
const ADMIN_KEY_REFRESH_MS = 5_000;

export function createAuthorizerHandler(runtime: Runtime) {
  const adminKey = runtime.adminKey;
  if (adminKey === null)
    throw new Error(`configuration: ${SETTINGS.adminKeySecretId.env} must be set for the authorizer`);
  const routes = [...ROUTES, ...runtime.config.applicationRoutes];
  const store = new DynamoUsageStore({
    client: runtime.dynamo,
    tableName: runtime.config.tableName,
    now: runtime.now,
  });
  // Bounded mode puts the hot-key layer between verification and the store (exact mode: the store alone).
  const usage: UsageStore =
    runtime.config.verifyMode === 'bounded'
      ? new HotKeys(store, { boundMs: runtime.config.hotKeyBoundMs, now: runtime.now })
      : store;
  const deps: VerifierDeps = {
    tokenPrefix: runtime.config.tokenPrefix,
    signingProfile: runtime.config.signingProfile,
    now: runtime.now,
    adminKey: adminKey.get,
    // A mismatch re-reads the secret at most every 5 s, so a rotated admin key works at once.
    adminKeyRefresh: () => adminKey.refresh(ADMIN_KEY_REFRESH_MS),
    signingSecret: runtime.signingSecret.get,
    usage,
  };
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerResult> => {
    const headers = lowerCaseHeaders(event.headers);
    const requestId = event.requestContext?.requestId;
    let result: Awaited<ReturnType<typeof verifyRequest>>;
    try {
      result = await verifyRequest(deps, {
        authorization: headers.authorization,
        method: event.httpMethod,
        // The path as the client sent it: with the stage on execute-api URLs, as clients sign it.
        path: event.requestContext?.path ?? event.path,
        contentDigest: headers['content-digest'],
        contentDigestRepeated: headerLineCount(event, 'content-digest') > 1,
      });
    } catch (error) {
      logger.error('authorizer dependency failure: refusing the request', {
        error: error instanceof Error ? error.message : 'unknown',
        request_id: requestId,
      });
      throw new Error('Dependency failure');
    }
    if (result.ok) {
      const principal = result.principal;
      const principalId = principal.type === 'admin' ? 'admin' : principal.keyId;
      logger.info('allow', {
        principal: principal.type,
        key_id: principalId,
        scheme: result.scheme,
        request_id: requestId,
      });
      return buildAllowPolicy(
        principal,
        principalId,
        event.methodArn,
        allowContext(principal, result.scheme, result.record?.metadata ?? {}),
        routes,
        // A signed request authorizes itself only: with the authorizer cache on, a cached answer for its
        // Authorization value must not serve another method or path.
        result.scheme === 'armor' ? 'method' : 'routes',
      );
    }
    if (result.kind === 'rate_limited') {
      const reason: RateRefusal = 'rate_limited';
      logger.warn('deny', { reason, key_id: result.keyId, request_id: requestId });
      return buildDenyPolicy(
        result.keyId,
        event.methodArn,
        denyContext(result.keyId, result.retryAfterSeconds, result.limitPerMinute),
      );
    }
    logger.warn('unauthorized', { reason: result.reason, key_id: result.keyId, request_id: requestId });
    throw new Error('Unauthorized');
  };
}

// INIT, in a Lambda: runtime built, secrets fetched, DynamoDB connection open before the handler is exported.
const initialized = await initAtColdStart();
let instance: ReturnType<typeof createAuthorizerHandler> | undefined = initialized
  ? createAuthorizerHandler(initialized)
  : undefined;

export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerResult> => {
  instance ??= createAuthorizerHandler(defaultRuntime());
  return instance(event);
};
