/**
 * The credential-free routes (`needs: 'public'` in the route table): `GET /v1/openapi.json`, the OpenAPI
 * document generated from the route table, and `GET /console[/…]`, the web console's page and assets.
 * No authorizer runs in front of these, so this function reads nothing but what it was bundled with:
 * it has no table, no secret and no environment. It answers a REST API's and an HTTP API's events alike. Errors take the one error body (the console's own
 * answers keep their security headers).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { serveConsole } from '#console/serve';
import { errorBody } from '#core/errors';
import { API_JSON_HEADERS } from '#core/gateway-responses';
import { openApiJson } from '#core/openapi';
import { ROUTE_NOT_FOUND_MESSAGE, routeFor } from '#core/routes';
import { type ProxyEvent, proxyRequestOf } from '../runtime/events';

let document: string | undefined;

function json(statusCode: number, body: string, requestId: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      ...API_JSON_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': requestId,
    },
    body,
  };
}

export async function publicHandler(event: ProxyEvent): Promise<APIGatewayProxyResult> {
  const request = proxyRequestOf(event);
  const requestId = request.requestId;
  const route = routeFor('public', request.resource, request.method);
  if (route?.id === 'getOpenApi') {
    document ??= openApiJson();
    return json(200, document, requestId);
  }
  if (route?.id === 'console' || route?.id === 'consoleAsset') {
    const answer = serveConsole(request.method, request.routePath);
    return { statusCode: answer.status, headers: answer.headers, body: answer.body };
  }
  const body = errorBody('not_found', ROUTE_NOT_FOUND_MESSAGE, requestId);
  return json(404, JSON.stringify(body), requestId);
}

export const handler = publicHandler;
