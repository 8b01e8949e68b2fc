/**
 * The local gateway's REST API translation (lib/local/apigw-rest.ts) against events API Gateway really
 * sent (test/fixtures/apigw-rest): the same request, replayed through the translator, gives events of
 * the captured shape (every field, with its JSON type) and the same values wherever the request decides
 * them; then the verdict on an authorizer's answer and the response made of an integration's answer.
 * No network: the translator is pure.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Route, RouteMatch } from '#core/routes';
import { REST_API, restHeaders, restQuery } from '#local/apigw-rest';
import type { ApiIdentity, GatewayRequest } from '#local/gateway-request';
import { shapeDifferences } from '../helpers/shape';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/apigw-rest/${name}`, import.meta.url), 'utf8')) as T;
}

const capturedAuthorizerEvent = fixture<APIGatewayRequestAuthorizerEvent>('authorizer-request.json');
const capturedProxyEvent = fixture<APIGatewayProxyEvent>('proxy-event.json');

type Captured = APIGatewayRequestAuthorizerEvent | APIGatewayProxyEvent;

/** The request the captured event came from, as the local gateway's server would read it. */
function requestOf(event: Captured): GatewayRequest {
  const rawHeaders = Object.entries(event.multiValueHeaders ?? {}).flatMap(([name, values]) =>
    (values ?? []).flatMap((value) => [name, value]),
  );
  return {
    requestId: event.requestContext.requestId,
    time: new Date(event.requestContext.requestTimeEpoch),
    method: event.httpMethod,
    path: event.path,
    query: '',
    rawHeaders,
    body: Buffer.alloc(0),
    sourceIp: event.requestContext.identity.sourceIp,
  };
}

/** The API the captured event came from. */
function apiOf(event: Captured): ApiIdentity {
  const c = event.requestContext;
  return {
    accountId: c.accountId,
    apiId: c.apiId,
    region: 'eu-west-1',
    stage: c.stage,
    // A real field of REST events that @types/aws-lambda does not declare.
    deploymentId: (c as { deploymentId?: string }).deploymentId ?? '',
    domainName: c.domainName ?? '',
    domainPrefix: c.domainPrefix ?? '',
  };
}

function matchOf(event: Captured): RouteMatch {
  const route: Route = {
    id: event.requestContext.resourceId,
    method: 'POST',
    path: event.resource,
    needs: 'api:read',
    handler: 'echo',
    hasBody: true,
  };
  return { route, pathParameters: {} };
}

/** Fields API Gateway's documentation shows on REST events that the captured ones happen to lack. */
const DOCUMENTED_EXTRAS = [
  'requestContext.identity.apiKey: extra',
  'requestContext.identity.apiKeyId: extra',
  'requestContext.identity.clientCert: extra',
];

describe('the REQUEST authorizer event (authorizer-request.json)', () => {
  const captured = capturedAuthorizerEvent;
  const produced = REST_API.authorizerEvent(requestOf(captured), matchOf(captured), apiOf(captured));

  it('has the captured shape', () => {
    expect(shapeDifferences(captured, produced).sort()).toEqual(DOCUMENTED_EXTRAS);
  });

  it('carries the captured values wherever the request decides them', () => {
    const { requestContext: c, ...rest } = captured;
    expect(produced).toMatchObject({
      type: rest.type,
      methodArn: rest.methodArn,
      resource: rest.resource,
      path: rest.path,
      httpMethod: rest.httpMethod,
      headers: rest.headers,
      multiValueHeaders: rest.multiValueHeaders,
      queryStringParameters: {},
      multiValueQueryStringParameters: {},
      pathParameters: {},
      stageVariables: {},
      requestContext: {
        requestTime: c.requestTime,
        deploymentId: (c as { deploymentId?: string }).deploymentId,
        resourceId: c.resourceId,
        resourcePath: c.resourcePath,
        httpMethod: c.httpMethod,
        accountId: c.accountId,
        protocol: c.protocol,
        stage: c.stage,
        domainPrefix: c.domainPrefix,
        domainName: c.domainName,
        apiId: c.apiId,
        requestId: c.requestId,
        requestTimeEpoch: c.requestTimeEpoch,
        identity: c.identity,
      },
    });
    // Local URLs have no stage segment: the path the client sent is the path without it.
    expect(`/${c.stage}${produced.requestContext.path}`).toBe(c.path);
  });
});

describe('the proxy integration event behind an Allow (proxy-event.json)', () => {
  const captured = capturedProxyEvent;
  const allowed = { principalId: 'user', context: { tenantId: 'tenant-1' } };
  const produced = REST_API.proxyEvent(requestOf(captured), matchOf(captured), apiOf(captured), allowed);

  it('has the captured shape', () => {
    expect(shapeDifferences(captured, produced).sort()).toEqual(DOCUMENTED_EXTRAS);
  });

  it("carries the captured values, and the authorizer's context beside API Gateway's entries", () => {
    const { requestContext: c, ...rest } = captured;
    expect(produced).toMatchObject({
      resource: rest.resource,
      path: rest.path,
      httpMethod: rest.httpMethod,
      headers: rest.headers,
      multiValueHeaders: rest.multiValueHeaders,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        resourceId: c.resourceId,
        requestId: c.requestId,
        requestTime: c.requestTime,
        identity: c.identity,
      },
    });
    expect(produced.requestContext.authorizer).toEqual({ ...c.authorizer, integrationLatency: 0 });
  });

  it('on a route without an authorizer, has none', () => {
    const event = REST_API.proxyEvent(requestOf(captured), matchOf(captured), apiOf(captured), null);
    expect(event.requestContext.authorizer).toBeNull();
  });

  it('passes UTF-8 bodies as text and any other bytes as base64', () => {
    const eventWith = (body: Buffer) =>
      REST_API.proxyEvent({ ...requestOf(captured), body }, matchOf(captured), apiOf(captured), null);
    expect(eventWith(Buffer.from('{"a":"é"}'))).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
    expect(eventWith(Buffer.from([0xff, 0x00]))).toMatchObject({ body: '/wA=', isBase64Encoded: true });
  });
});

describe('headers and query as API Gateway passes them', () => {
  it('keeps the first spelling of a name, its last value, and all values', () => {
    const { headers, multi } = restHeaders(['X-One', 'a', 'x-one', 'b', '__proto__', 'p']);
    expect(Object.entries(headers)).toEqual([
      ['X-One', 'b'],
      ['__proto__', 'p'],
    ]);
    expect(Object.entries(multi)).toEqual([
      ['X-One', ['a', 'b']],
      ['__proto__', ['p']],
    ]);
    expect(Object.getPrototypeOf(headers)).toBeNull();
  });

  it('reads query parameters the same way', () => {
    const { query, multi } = restQuery('a=1&a=2&b=%20x&toString=t');
    expect({ ...query }).toEqual({ a: '2', b: ' x', toString: 't' });
    expect({ ...multi }).toEqual({ a: ['1', '2'], b: [' x'], toString: ['t'] });
  });

  it('finds the identity source whatever its spelling; blank is none', () => {
    const base = requestOf(capturedAuthorizerEvent);
    expect(REST_API.identity({ ...base, rawHeaders: ['aUtHoRiZaTiOn', 'Bearer x'] })).toBe('Bearer x');
    expect(REST_API.identity({ ...base, rawHeaders: ['Authorization', ' \t'] })).toBeNull();
    expect(REST_API.identity({ ...base, rawHeaders: [] })).toBeNull();
  });
});

describe("the verdict on an authorizer's answer", () => {
  const event = capturedAuthorizerEvent;
  const policy = (effect: string, resource: string) => ({
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  });

  it('allows when the policy allows the method ARN, with the context as strings', () => {
    const answer = {
      principalId: 'k1',
      policyDocument: policy('Allow', event.methodArn),
      context: { a: 'x', n: 2, b: false },
    };
    expect(REST_API.verdict(answer, event)).toEqual({
      kind: 'allow',
      principalId: 'k1',
      context: { a: 'x', n: '2', b: 'false' },
    });
  });

  it('denies with the context when the policy does not allow it', () => {
    const other = event.methodArn.replace('/POST/', '/GET/');
    expect(REST_API.verdict({ principalId: 'k1', policyDocument: policy('Allow', other) }, event)).toEqual({
      kind: 'deny',
      context: {},
    });
    const denied = {
      principalId: 'k1',
      policyDocument: policy('Deny', event.methodArn),
      context: { e: 'x' },
    };
    expect(REST_API.verdict(denied, event)).toEqual({ kind: 'deny', context: { e: 'x' } });
  });

  it.each([
    ['not an object', 'Allow'],
    ['no principalId', { policyDocument: {} }],
    ['no policy', { principalId: 'k1' }],
    ['a nested context value', { principalId: 'k1', policyDocument: {}, context: { o: { x: 1 } } }],
    ['a context that is not an object', { principalId: 'k1', policyDocument: {}, context: 'x' }],
  ])('calls an answer with %s invalid', (_, answer) => {
    expect(REST_API.verdict(answer, event)).toEqual({ kind: 'invalid' });
  });
});

describe("the response made of an integration's answer", () => {
  it('keeps status and headers (as strings), adds the request id, decodes a base64 body', () => {
    const response = REST_API.response(
      { statusCode: 201, headers: { 'x-n': 1 }, body: 'AAE=', isBase64Encoded: true },
      'req-1',
    );
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'x-amzn-requestid': 'req-1', 'x-n': '1' },
      body: Buffer.from([0, 1]),
    });
    expect(REST_API.response({ statusCode: 204 }, 'req-1')?.body).toBe('');
  });

  it.each([
    ['nothing', undefined],
    ['no status code', { body: 'x' }],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }],
  ])('is null for %s (API Gateway answers 502)', (_, answer) => {
    expect(REST_API.response(answer, 'req-1')).toBeNull();
  });
});
