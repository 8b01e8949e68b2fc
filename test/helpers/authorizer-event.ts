/**
 * A real API Gateway REQUEST authorizer event (the checked-in sample), for a method, a path and an
 * Authorization value: `methodArn` names that method and path, and `requestContext.path` carries the
 * stage, as API Gateway sends it and as clients sign it; `httpAuthorizerEvent` is the same for an HTTP API.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

const sample = JSON.parse(
  readFileSync(new URL('../fixtures/apigw-rest/authorizer-request.json', import.meta.url), 'utf8'),
) as APIGatewayRequestAuthorizerEvent;

export function authorizerEvent(
  authorization: string | undefined,
  method = 'GET',
  path = '/v1/whoami',
): APIGatewayRequestAuthorizerEvent {
  const stageArn = sample.methodArn.split('/').slice(0, 2).join('/');
  const headers: Record<string, string | undefined> = { ...(sample.headers ?? {}) };
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
  if (authorization !== undefined) headers.Authorization = authorization;
  return {
    ...sample,
    httpMethod: method,
    path,
    headers,
    methodArn: `${stageArn}/${method}${path}`,
    requestContext: { ...sample.requestContext, path: `/prod${path}`, httpMethod: method },
  };
}

const httpSample = JSON.parse(
  readFileSync(new URL('../fixtures/apigw-http/authorizer-request.json', import.meta.url), 'utf8'),
) as APIGatewayRequestAuthorizerEventV2;

/**
 * A real HTTP API REQUEST authorizer event (payload format 2.0, the checked-in sample) for a request:
 * `routeKey` names the route that matched (default: `METHOD path`), `rawPath` and `http.path` are the
 * path as sent, the Authorization header lower-cased as HTTP APIs pass it.
 */
export function httpAuthorizerEvent(
  authorization: string | undefined,
  method = 'GET',
  path = '/v1/whoami',
  routeKey = `${method} ${path}`,
): APIGatewayRequestAuthorizerEventV2 {
  const headers: Record<string, string | undefined> = { ...(httpSample.headers ?? {}) };
  delete headers.authorization;
  if (authorization !== undefined) headers.authorization = authorization;
  const stageArn = httpSample.routeArn.split('/').slice(0, 2).join('/');
  return {
    ...httpSample,
    routeArn: `${stageArn}/${method}${path}`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey,
    rawPath: path,
    headers,
    requestContext: {
      ...httpSample.requestContext,
      routeKey,
      http: { ...httpSample.requestContext.http, method, path },
    },
  };
}
