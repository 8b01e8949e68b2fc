/**
 * The HTTP edge shared by the API's Lambdas: the API Gateway proxy event, of a REST API or an HTTP API
 * (events.ts), translated once into a plain `ApiRequest` (with the principal the authorizer established), the signed-body check every body
 * reader must make (`assertBodyIntegrity`, `signedBodyRefusal`), and the JSON and error responses.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { CredentialScheme } from '#core/credentials';
import { ApiError, DependencyError, errorBody, UNAUTHORIZED_MESSAGE } from '#core/errors';
import { type Principal, principalFromContext } from '#core/principal';
import { type ProxyEvent, proxyRequestOf } from './events';
import { logger } from './logger';
import { jsonResponse, signedBodyRefusal } from './proxy-event';

export { jsonResponse, signedBodyRefusal };

/**
 * A plain request, translated once from the API Gateway proxy event at the edge: nothing past this
 * point sees Lambda event shapes.
 */
export interface ApiRequest {
  method: string;
  /** API Gateway resource path, e.g. `/v1/keys/{id}`. */
  resource: string;
  /** The path as the client sent it (includes the stage on execute-api URLs). */
  path: string;
  /** The authorizer's context as the integration received it (null on routes without the authorizer). */
  context: Readonly<Record<string, unknown>> | null;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string | null;
  requestId: string;
  principal: Principal | null;
  /** How the authorizer verified the caller: `armor` means the body must match Content-Digest. */
  scheme: CredentialScheme | null;
  /** The body's raw bytes (API Gateway's base64 decoded), for digest checks. */
  rawBody: Buffer | null;
  /** The request carried more than one `Content-Digest` line (`headers` holds only the last). */
  contentDigestRepeated: boolean;
}

export function fromProxyEvent(event: ProxyEvent): ApiRequest {
  const parts = proxyRequestOf(event);
  const scheme = parts.authorizer?.auth_scheme;
  return {
    method: parts.method,
    resource: parts.resource,
    path: parts.path,
    context: parts.authorizer,
    pathParameters: parts.pathParameters,
    query: parts.query,
    headers: parts.headers,
    body: parts.rawBody === null ? null : parts.rawBody.toString('utf8'),
    requestId: parts.requestId,
    principal: principalFromContext(parts.authorizer),
    scheme: scheme === 'armor' || scheme === 'bearer' || scheme === 'rfc9421' ? scheme : null,
    rawBody: parts.rawBody,
    contentDigestRepeated: parts.contentDigestRepeated,
  };
}

/**
 * API Gateway never shows the body to the authorizer, which verified a signed request's signature
 * over its Content-Digest header: whatever reads the body must check the body against it. A signed
 * request whose body does not match, or has a body and no digest, is refused like any other
 * credential failure.
 */
export function assertBodyIntegrity(request: ApiRequest): void {
  const bodyFault = signedBodyRefusal(
    request.scheme,
    request.rawBody,
    request.headers['content-digest'],
    request.contentDigestRepeated,
  );
  if (bodyFault !== null) {
    logger.warn('unauthorized', { reason: bodyFault, request_id: request.requestId });
    throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
}

/** Maps any error to the one error body. Unknown errors become a generic 500 with the request id. */
export function errorResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  if (error instanceof ApiError) {
    if (error.status >= 500) logger.error('request failed', { code: error.code, request_id: requestId });
    return jsonResponse(error.status, errorBody(error.code, error.message, requestId), requestId);
  }
  if (error instanceof DependencyError) {
    logger.error('dependency failure', { error: error.message, request_id: requestId });
    return jsonResponse(
      503,
      errorBody('service_unavailable', 'A dependency is unavailable. Try again shortly.', requestId),
      requestId,
    );
  }
  logger.error('unhandled error', {
    error: error instanceof Error ? error.name : 'unknown',
    request_id: requestId,
  });
  return jsonResponse(500, errorBody('internal_error', 'An internal error occurred.', requestId), requestId);
}
