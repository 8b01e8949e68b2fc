/**
 * The local gateway's HTTP API translation (lib/local/apigw-http.ts) against events an HTTP API really
 * sent (test/fixtures/apigw-http): the captured request, replayed through the translator, gives events
 * of the captured shape and the same values wherever the request decides them; then the verdict on a
 * simple response, the response made of an integration's answer, and the API's own refusals. No network.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Route, RouteMatch } from '#core/routes';
import { HTTP_API, type HttpApiEvent, httpApiHeaders, httpApiQuery } from '#local/apigw-http';
import type { ApiIdentity, GatewayRequest } from '#local/gateway-request';
import { shapeDifferences } from '../helpers/shape';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/apigw-http/${name}`, import.meta.url), 'utf8')) as T;
}

const capturedAuthorizerEvent = fixture<APIGatewayRequestAuthorizerEventV2>('authorizer-request.json');
const capturedProxyEvent = fixture<HttpApiEvent>('proxy-event.json');

/** The request both captured events came from, as the local gateway's server would read it. */
function requestOf(event: APIGatewayRequestAuthorizerEventV2): GatewayRequest {
  const rawHeaders = Object.entries(event.headers ?? {}).flatMap(([name, value]) => [name, value ?? '']);
  const http = event.requestContext.http;
  return {
    requestId: event.requestContext.requestId,
    time: new Date(event.requestContext.timeEpoch),
    method: http.method,
    path: event.rawPath,
    query: event.rawQueryString,
    rawHeaders,
    body: Buffer.alloc(0),
    sourceIp: http.sourceIp,
  };
}

const request = requestOf(capturedAuthorizerEvent);
const c = capturedAuthorizerEvent.requestContext;
const api: ApiIdentity = {
  accountId: c.accountId,
  apiId: c.apiId,
  region: 'eu-west-1',
  stage: c.stage,
  deploymentId: '',
  domainName: c.domainName,
  domainPrefix: c.domainPrefix,
};
const route: Route = {
  id: 'lambda',
  method: 'POST',
  path: '/lambda',
  needs: 'api:read',
  handler: 'echo',
  hasBody: true,
};
const match: RouteMatch = { route, pathParameters: {} };

describe('the REQUEST authorizer event (authorizer-request.json)', () => {
  const produced = HTTP_API.authorizerEvent(request, match, api);

  it('has the captured shape', () => {
    expect(shapeDifferences(capturedAuthorizerEvent, produced)).toEqual([]);
  });

  it('is the captured event, for the captured request', () => {
    expect(produced).toEqual(capturedAuthorizerEvent);
  });

  it('names a path parameter route, repeated headers, cookies and a query as an HTTP API does', () => {
    const event = HTTP_API.authorizerEvent(
      {
        ...request,
        method: 'GET',
        path: '/v1/keys/K1',
        query: 'a=1&a=2&b=x',
        rawHeaders: ['Authorization', 'Bearer t', 'X-Two', '1', 'x-two', '2', 'Cookie', 'a=1; b=2'],
      },
      { route: { ...route, method: 'GET', path: '/v1/keys/{id}' }, pathParameters: { id: 'K1' } },
      api,
    );
    expect(event).toMatchObject({
      routeKey: 'GET /v1/keys/{id}',
      routeArn: `arn:aws:execute-api:eu-west-1:${c.accountId}:${c.apiId}/$default/GET/v1/keys/K1`,
      identitySource: ['Bearer t'],
      rawPath: '/v1/keys/K1',
      rawQueryString: 'a=1&a=2&b=x',
      cookies: ['a=1', 'b=2'],
      headers: { authorization: 'Bearer t', 'x-two': '1,2' },
      queryStringParameters: { a: '1,2', b: 'x' },
      pathParameters: { id: 'K1' },
      requestContext: { routeKey: 'GET /v1/keys/{id}', http: { method: 'GET', path: '/v1/keys/K1' } },
    });
    expect(event.headers).not.toHaveProperty('cookie');
  });
});

describe('the proxy integration event (proxy-event.json)', () => {
  it('has the captured shape and values, with the context under requestContext.authorizer.lambda', () => {
    const raw = { principal: 'key', n: 2 };
    const produced = HTTP_API.proxyEvent(request, match, api, {
      principalId: '',
      context: { principal: 'key', n: '2' },
      raw,
    });
    // The captured authorizer returned no context (null); latchkey's returns one.
    expect(shapeDifferences(capturedProxyEvent, produced)).toEqual([
      'requestContext.authorizer.lambda: null → object',
    ]);
    expect(produced).toEqual({
      ...capturedProxyEvent,
      requestContext: { ...capturedProxyEvent.requestContext, authorizer: { lambda: raw } },
    });
  });

  it('on a route without an authorizer, has no authorizer entry', () => {
    expect(HTTP_API.proxyEvent(request, match, api, null).requestContext).not.toHaveProperty('authorizer');
  });

  it('passes UTF-8 bodies as text and any other bytes as base64', () => {
    const eventWith = (body: Buffer) => HTTP_API.proxyEvent({ ...request, body }, match, api, null);
    expect(eventWith(Buffer.from('{"a":"é"}'))).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
    expect(eventWith(Buffer.from([0xff, 0x00]))).toMatchObject({ body: '/wA=', isBase64Encoded: true });
  });
});

describe('headers and query as an HTTP API passes them', () => {
  it('lower-cases names, joins repeated lines with commas, moves cookies out', () => {
    const { headers, cookies } = httpApiHeaders([
      'X-One',
      'a',
      'x-one',
      'b',
      '__proto__',
      'p',
      'cookie',
      'c=1',
    ]);
    expect(Object.entries(headers)).toEqual([
      ['x-one', 'a,b'],
      ['__proto__', 'p'],
    ]);
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(cookies).toEqual(['c=1']);
  });

  it('joins repeated query parameters with commas', () => {
    expect({ ...httpApiQuery('a=1&a=2&b=%20x') }).toEqual({ a: '1,2', b: ' x' });
  });

  it('finds the identity source whatever its spelling; blank is none', () => {
    expect(HTTP_API.identity({ ...request, rawHeaders: ['aUtHoRiZaTiOn', 'Bearer x'] })).toBe('Bearer x');
    expect(HTTP_API.identity({ ...request, rawHeaders: ['Authorization', ' \t'] })).toBeNull();
    expect(HTTP_API.identity({ ...request, rawHeaders: [] })).toBeNull();
  });
});

describe('the verdict on a simple response', () => {
  it('allows on isAuthorized true, keeping the context as returned', () => {
    const context = { a: 'x', n: 2 };
    expect(HTTP_API.verdict({ isAuthorized: true, context }, capturedAuthorizerEvent)).toEqual({
      kind: 'allow',
      principalId: '',
      context: { a: 'x', n: '2' },
      raw: context,
    });
  });

  it('denies on isAuthorized false', () => {
    expect(HTTP_API.verdict({ isAuthorized: false }, capturedAuthorizerEvent)).toEqual({
      kind: 'deny',
      context: {},
    });
  });

  it.each([
    ['not an object', true],
    ['no isAuthorized', { context: {} }],
    ['a string isAuthorized', { isAuthorized: 'true' }],
    ['an IAM policy (simple responses are on)', { principalId: 'p', policyDocument: {} }],
    ['a context that is not an object', { isAuthorized: true, context: ['x'] }],
  ])('calls an answer with %s invalid (500)', (_, answer) => {
    expect(HTTP_API.verdict(answer, capturedAuthorizerEvent)).toEqual({ kind: 'invalid' });
  });
});

describe("the response made of an integration's answer", () => {
  it('keeps status and headers, adds the request id, decodes a base64 body, turns cookies into set-cookie', () => {
    const response = HTTP_API.response(
      { statusCode: 201, headers: { 'X-N': 1 }, body: 'AAE=', isBase64Encoded: true, cookies: ['a=1'] },
      'req-1',
    );
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'apigw-requestid': 'req-1', 'x-n': '1', 'set-cookie': 'a=1' },
      body: Buffer.from([0, 1]),
    });
  });

  it('infers a 200 JSON response from an answer without a status code, as AWS documents', () => {
    expect(HTTP_API.response({ message: 'hi' }, 'req-1')).toEqual({
      statusCode: 200,
      headers: { 'apigw-requestid': 'req-1', 'content-type': 'application/json' },
      body: '{"message":"hi"}',
    });
  });

  it.each([
    ['nothing', undefined],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }],
  ])('is null for %s (the API answers 500)', (_, answer) => {
    expect(HTTP_API.response(answer, 'req-1')).toBeNull();
  });
});

describe("the API's own refusals", () => {
  it.each([
    ['UNAUTHORIZED', 401, 'Unauthorized'],
    ['ACCESS_DENIED', 403, 'Forbidden'],
    ['MISSING_AUTHENTICATION_TOKEN', 404, 'Not Found'],
    ['AUTHORIZER_FAILURE', 500, 'Internal Server Error'],
    ['INTEGRATION_FAILURE', 500, 'Internal Server Error'],
  ] as const)('%s → %i {"message":"%s"}, whatever the context', (type, status, message) => {
    const answer = HTTP_API.refusal(type, 'req-1', { error_code: 'rate_limited', retry_after: '9' });
    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body.toString())).toEqual({ message });
    expect(answer.headers).toEqual({ 'content-type': 'application/json', 'apigw-requestid': 'req-1' });
  });

  it('takes any error thrown by the authorizer for a failed invocation, even "Unauthorized"', () => {
    expect(HTTP_API.thrown(new Error('Unauthorized'))).toBe('AUTHORIZER_FAILURE');
    expect(HTTP_API.thrown(new Error('Dependency failure'))).toBe('AUTHORIZER_FAILURE');
  });
});
