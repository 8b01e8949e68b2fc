/**
 * For your own Lambda integrations behind the latchkey authorizer.
 *
 * API Gateway never passes the request body to an authorizer, so for ARMOR-PSK signed requests the
 * authorizer verifies the signature over the `Content-Digest` header. Any integration that reads the
 * body must check that the body matches that header; `checkSignedBody` does it:
 *
 * ```ts
 * import { checkSignedBody } from 'latchkey/integration';
 *
 * export const handler = async (event: APIGatewayProxyEvent) => {
 *   const refused = checkSignedBody(event);
 *   if (refused) return refused; // 401, latchkey's error body
 *   // … event.body is what the client signed
 * };
 * ```
 *
 * Bearer requests pass through unchanged (there is nothing to check).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorBody, UNAUTHORIZED_MESSAGE } from '../lib/core/errors';
import {
  headerLineCount,
  jsonResponse,
  lowerCaseHeaders,
  rawBodyOf,
  signedBodyRefusal,
} from './runtime/proxy-event';

export { verifyBodyDigest } from '../lib/core/armor';

/** null when the body may be used; otherwise the 401 response to return. */
export function checkSignedBody(event: APIGatewayProxyEvent): APIGatewayProxyResult | null {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const refusal = signedBodyRefusal(
    authorizer?.auth_scheme,
    rawBodyOf(event),
    lowerCaseHeaders(event.headers)['content-digest'],
    headerLineCount(event, 'content-digest') > 1,
  );
  if (refusal === null) return null;
  const requestId = event.requestContext?.requestId ?? 'unknown';
  return jsonResponse(401, errorBody('unauthorized', UNAUTHORIZED_MESSAGE, requestId), requestId);
}
