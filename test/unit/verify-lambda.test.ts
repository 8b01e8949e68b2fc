/**
 * latchkey/verify/lambda: each HTTP event source translated into the request `verify` reads (the path the
 * client signed, the path the routes match, headers with repeated lines, the raw body), refusals answered
 * in the source's response shape, and the handler never called for a refused request. The events follow
 * the samples of AWS's documentation (Lambda developer guide: Function URL payload; API Gateway HTTP API
 * payload 2.0; REST proxy event; Elastic Load Balancing: Lambda targets), trimmed to the fields read.
 */
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type LatchkeyHttpEvent, refusalResult, requestOf, withLatchkey } from '#verify/lambda';
import { refusal } from '#verify/refusal';
import type { VerifiedCaller } from '#verify/types';
import type { Verifier, VerifyInput } from '#verify/verifier';

const context = { awsRequestId: 'lambda-request-1' } as Context;
const body = Buffer.from([0, 1, 0xff]);

const functionUrl = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/orders/42',
  rawQueryString: 'a=1',
  headers: { authorization: 'Bearer x', 'content-digest': 'sha-512=:a:,sha-512=:b:' },
  requestContext: {
    http: { method: 'POST', path: '/orders/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'x' },
    requestId: 'url-request-1',
    stage: '$default',
  },
  body: body.toString('base64'),
  isBase64Encoded: true,
} as unknown as APIGatewayProxyEventV2;

const httpApiStage = {
  ...functionUrl,
  rawPath: '/prod/orders/42',
  requestContext: { ...functionUrl.requestContext, stage: 'prod' },
} as unknown as APIGatewayProxyEventV2;

const rest = {
  httpMethod: 'GET',
  path: '/orders/42',
  resource: '/orders/{id}',
  headers: { Authorization: 'Bearer y' },
  multiValueHeaders: { Authorization: ['Bearer y'], 'Content-Digest': ['one', 'two'] },
  requestContext: {
    path: '/prod/orders/42',
    requestId: 'rest-request-1',
    stage: 'prod',
    identity: { sourceIp: '198.51.100.7' },
  },
  body: '{"a":1}',
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEvent;

const alb = {
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1' },
  },
  httpMethod: 'PUT',
  path: '/orders/42',
  headers: { authorization: 'Bearer z' },
  body: null,
  isBase64Encoded: false,
} as unknown as ALBEvent;

const albMulti = {
  ...alb,
  headers: undefined,
  multiValueHeaders: { authorization: ['Bearer z'] },
} as unknown as ALBEvent;

describe('requestOf', () => {
  it('a Function URL event (payload 2.0): raw path, base64 body decoded, the API request id', () => {
    expect(requestOf(functionUrl, context)).toEqual({
      method: 'POST',
      path: '/orders/42',
      query: 'a=1',
      routePath: '/orders/42',
      headers: functionUrl.headers,
      body,
      requestId: 'url-request-1',
      sourceIp: '127.0.0.1',
    });
  });

  it('an HTTP API on a named stage: signed with the stage, routes matched without it', () => {
    expect(requestOf(httpApiStage, context)).toMatchObject({
      path: '/prod/orders/42',
      routePath: '/orders/42',
    });
  });

  it('a REST API proxy event: the path as sent (with the stage), every header line', () => {
    expect(requestOf(rest, context)).toEqual({
      method: 'GET',
      path: '/prod/orders/42',
      query: '',
      routePath: '/orders/42',
      headers: rest.multiValueHeaders,
      body: Buffer.from('{"a":1}'),
      requestId: 'rest-request-1',
      sourceIp: '198.51.100.7',
    });
  });

  it('an ALB event, with and without multi-value headers: the Lambda request id', () => {
    expect(requestOf(alb, context)).toEqual({
      method: 'PUT',
      path: '/orders/42',
      query: '',
      headers: alb.headers,
      body: null,
      requestId: 'lambda-request-1',
    });
    expect(requestOf(albMulti, context).headers).toEqual(albMulti.multiValueHeaders);
  });

  it('the query for RFC 9421: as sent (payload 2.0, ALB), rebuilt from decoded parameters (REST)', () => {
    const restQuery = {
      ...rest,
      multiValueQueryStringParameters: { q: ['a b', 'c/d'], n: ['1'] },
    } as unknown as APIGatewayProxyEvent;
    expect(requestOf(restQuery, context).query).toBe('q=a%20b&q=c%2Fd&n=1');
    const albQuery = { ...alb, queryStringParameters: { q: 'a%20b' } } as unknown as ALBEvent;
    expect(requestOf(albQuery, context).query).toBe('q=a%20b');
  });

  it('an ALB event: the source address is the last X-Forwarded-For entry, the one the load balancer appends', () => {
    const forwarded = { ...alb, headers: { ...alb.headers, 'x-forwarded-for': '10.9.9.9, 203.0.113.5' } };
    expect(requestOf(forwarded as ALBEvent, context).sourceIp).toBe('203.0.113.5');
    const multi = {
      ...albMulti,
      multiValueHeaders: { ...albMulti.multiValueHeaders, 'X-Forwarded-For': ['10.9.9.9', '203.0.113.5'] },
    };
    expect(requestOf(multi as unknown as ALBEvent, context).sourceIp).toBe('203.0.113.5');
  });
});

describe('refusalResult', () => {
  const refused = refusal('rate_limited', 'r1', { keyId: 'k', retryAfterSeconds: 7 });

  it('API Gateway and Function URLs: status, headers (Retry-After) and the JSON error body', () => {
    for (const event of [functionUrl, rest]) {
      const result = refusalResult(event, refused);
      expect(result).toMatchObject({ statusCode: 429, isBase64Encoded: false });
      expect(result.headers).toMatchObject({
        'retry-after': '7',
        'content-type': 'application/json; charset=utf-8',
      });
      expect(JSON.parse(result.body)).toEqual(refused.body);
    }
  });

  it('ALB: a status description, and multiValueHeaders when the target group uses them', () => {
    expect(refusalResult(alb, refused)).toMatchObject({
      statusDescription: '429 Too Many Requests',
      headers: { 'retry-after': '7' },
    });
    const multi = refusalResult(albMulti, refused);
    expect(multi.multiValueHeaders).toMatchObject({ 'retry-after': ['7'] });
    expect(multi.headers).toBeUndefined();
  });
});

describe('withLatchkey', () => {
  const caller: VerifiedCaller = {
    principal: 'key',
    keyId: 'k1',
    orgId: 'acme',
    permissions: ['api:read'],
    roles: ['viewer'],
    scheme: 'bearer',
    metadata: {},
  };
  const verifierAnswering = (allowed: boolean, seen: VerifyInput[]): Verifier => ({
    verify: async (input) => {
      seen.push(input);
      return allowed
        ? { allowed: true, caller, route: null, pathParameters: {}, requestId: 'r' }
        : refusal('revoked', 'r', { keyId: 'k1' });
    },
    close: () => undefined,
  });

  it.each<[string, LatchkeyHttpEvent]>([
    ['Function URL', functionUrl],
    ['REST', rest],
    ['ALB', alb],
  ])('%s: a verified request reaches the handler with its caller', async (_, event) => {
    const seen: VerifyInput[] = [];
    const handler = withLatchkey(verifierAnswering(true, seen), async (_e, _c, who) => ({
      statusCode: 200,
      body: who.keyId ?? '',
    }));
    await expect(handler(event, context)).resolves.toEqual({ statusCode: 200, body: 'k1' });
    expect(seen).toHaveLength(1);
  });

  it('a refused request never reaches the handler, and is reported to onRefused', async () => {
    let calls = 0;
    const reported: string[] = [];
    const handler = withLatchkey(
      verifierAnswering(false, []),
      async () => {
        calls++;
        return { statusCode: 200, body: '' };
      },
      { onRefused: (r) => reported.push(r.reason) },
    );
    const result = await handler(functionUrl, context);
    expect(result).toMatchObject({ statusCode: 401 });
    expect(calls).toBe(0);
    expect(reported).toEqual(['revoked']);
  });
});
