/**
 * A real API Gateway REQUEST authorizer event (the checked-in sample), for a method, a path and an
 * Authorization value: `methodArn` names that method and path, and `requestContext.path` carries the
 * stage, as API Gateway sends it and as clients sign it.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

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
