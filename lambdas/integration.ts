/**
 * `latchkey/integration`: for your own Lambda integrations behind the latchkey authorizer.
 *
 * `getCaller(event)` reads who is calling from the authorizer context API Gateway passes to the
 * integration (`event.requestContext.authorizer` from a REST API, `event.requestContext.authorizer.lambda`
 * from an HTTP API), typed; it returns `null` when the event carries no
 * latchkey context (the method is not behind the authorizer), and never throws.
 *
 * API Gateway never passes the request body to an authorizer, so for ARMOR-PSK signed requests the
 * authorizer verifies the signature over the `Content-Digest` header. Any integration that reads the
 * body must check that the body matches that header; `checkSignedBody` does it:
 *
 * ```ts
 * import { checkSignedBody, getCaller } from 'latchkey/integration';
 *
 * export const handler = async (event: APIGatewayProxyEvent) => { // or APIGatewayProxyEventV2
 *   const refused = checkSignedBody(event);
 *   if (refused) return refused; // 401, latchkey's error body
 *   const caller = getCaller(event); // not null here: checkSignedBody refuses events without one
 *   // … event.body is what the client signed; caller.orgId, caller.metadata.op_plan, …
 * };
 * ```
 *
 * Bearer requests pass through unchanged (there is nothing to check). This module logs nothing and
 * bundles no logger: a handler importing it stays a few kilobytes.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type Caller, callerOf } from '#core/caller';
import { errorBody, UNAUTHORIZED_MESSAGE } from '#core/errors';
import { metadataFromContext } from '#core/policy';
import { principalFromContext } from '#core/principal';
import { type ProxyEvent, proxyRequestOf } from './runtime/events';
import { jsonResponse, signedBodyRefusal } from './runtime/proxy-event';

export { verifyBodyDigest } from '#core/armor';
export type { AdminCaller, Caller, CallerScheme, KeyCaller } from '#core/caller';
export type { ProxyEvent } from './runtime/events';

type AuthorizerContextOf = Record<string, unknown> | null | undefined;

/** The authorizer's context in either proxy event: `requestContext.authorizer` (REST API, payload 1.0) or `requestContext.authorizer.lambda` (HTTP API, 2.0). */
function authorizerContextOf(event: { version?: unknown; requestContext?: unknown }): AuthorizerContextOf {
  const context = (event.requestContext as { authorizer?: unknown } | null | undefined)?.authorizer;
  if (typeof context !== 'object' || context === null) return null;
  if (event.version !== '2.0') return context as Record<string, unknown>;
  const lambda = (context as { lambda?: unknown }).lambda;
  return typeof lambda === 'object' && lambda !== null ? (lambda as Record<string, unknown>) : null;
}

/**
 * Who is calling, from the latchkey authorizer's context on a Lambda proxy event of a REST API or an
 * HTTP API; `null` when the event has none (a route not behind the latchkey authorizer, or a context
 * latchkey did not write).
 */
export function getCaller(event: Pick<ProxyEvent, 'requestContext'> & { version?: string }): Caller | null {
  const context = authorizerContextOf(event);
  const principal = principalFromContext(context);
  const scheme = context?.auth_scheme;
  if (principal === null || (scheme !== 'bearer' && scheme !== 'armor' && scheme !== 'rfc9421')) return null;
  return callerOf(principal, scheme, metadataFromContext(context));
}

/**
 * null when the body may be used; otherwise the 401 response to return: a signed request whose body
 * does not match its `Content-Digest` (or has no or a repeated one), or an event with no latchkey caller
 * at all (fail closed: without the authorizer's context nothing says whether the body was signed).
 */
export function checkSignedBody(event: ProxyEvent): APIGatewayProxyResult | null {
  const caller = getCaller(event);
  const request = proxyRequestOf(event);
  const refused =
    caller === null ||
    signedBodyRefusal(
      caller.scheme,
      request.rawBody,
      request.headers['content-digest'],
      request.contentDigestRepeated,
    ) !== null;
  if (!refused) return null;
  const requestId = request.requestId;
  return jsonResponse(401, errorBody('unauthorized', UNAUTHORIZED_MESSAGE, requestId), requestId);
}
