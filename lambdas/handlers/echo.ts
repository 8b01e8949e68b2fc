/**
 * The sample application route, `ANY /v1/echo/{proxy+}`: shows how your own routes plug in behind
 * the authorizer. It echoes what the gateway passed on: method, path, principal (with the key's
 * metadata from the authorizer context) and body.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, UNAUTHORIZED_MESSAGE } from '#core/errors';
import { metadataFromContext } from '#core/policy';
import { MAX_BODY_BYTES } from '#core/validation';
import type { ProxyEvent } from '../runtime/events';
import { assertBodyIntegrity, errorResponse, fromProxyEvent, jsonResponse } from '../runtime/http';

/** Echoes the request as the gateway passed it on. */
export async function echo(event: ProxyEvent): Promise<APIGatewayProxyResult> {
  const request = fromProxyEvent(event);
  try {
    if (!request.principal) throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
    assertBodyIntegrity(request);
    if (request.body !== null && Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) {
      throw new ApiError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
    }
    const principal = request.principal;
    return jsonResponse(
      200,
      {
        method: request.method,
        path: request.path,
        proxy: request.pathParameters.proxy ?? '',
        query: request.query,
        principal:
          principal.type === 'admin'
            ? { type: 'admin' }
            : {
                type: 'key',
                key_id: principal.keyId,
                org_id: principal.orgId,
                metadata: metadataFromContext(request.context),
              },
        body: request.body,
      },
      request.requestId,
    );
  } catch (error) {
    return errorResponse(error, request.requestId);
  }
}

export const handler = echo;
