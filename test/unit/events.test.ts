/**
 * The event adapters (lambdas/runtime/events.ts) and `latchkey/integration` on events API Gateway really
 * sent: a REST API's (test/fixtures/apigw-rest) and an HTTP API's (test/fixtures/apigw-http), read into
 * the same plain values; the HTTP API route check (`allowsRoute`). No network.
 */
import { readFileSync } from 'node:fs';
import type {
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { allowContext, allowsRoute } from '#core/policy';
import { ADMIN_PRINCIPAL } from '#core/principal';
import { ROUTES } from '#core/routes';
import { checkSignedBody, getCaller } from '#lambda/integration';
import {
  authorizerRequestOf,
  type HttpApiProxyEvent,
  isPayloadV2,
  proxyRequestOf,
  routedPath,
  routeKeyParts,
} from '#lambda/runtime/events';

function fixture<T>(folder: string, name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${folder}/${name}`, import.meta.url), 'utf8')) as T;
}

const restAuthorizer = fixture<APIGatewayRequestAuthorizerEvent>('apigw-rest', 'authorizer-request.json');
const restProxy = fixture<APIGatewayProxyEvent>('apigw-rest', 'proxy-event.json');
const httpAuthorizer = fixture<APIGatewayRequestAuthorizerEventV2>('apigw-http', 'authorizer-request.json');
const httpProxy = fixture<HttpApiProxyEvent>('apigw-http', 'proxy-event.json');

const key = {
  type: 'key' as const,
  keyId: 'K1aaaaaaaaaaaaaa',
  orgId: 'acme',
  permissions: ['api:read' as const],
};
const context = allowContext(key, 'bearer', { op_plan: 'gold' });

/** The HTTP API capture with the latchkey authorizer's context where API Gateway puts it. */
function httpProxyWith(lambda: Record<string, unknown> | null, extra: Partial<HttpApiProxyEvent> = {}) {
  return {
    ...httpProxy,
    ...extra,
    requestContext: { ...httpProxy.requestContext, authorizer: { lambda } },
  } as HttpApiProxyEvent;
}

describe('telling the shapes apart', () => {
  it('is payload 2.0 exactly when the event says version "2.0"', () => {
    expect(isPayloadV2(httpAuthorizer)).toBe(true);
    expect(isPayloadV2(httpProxy)).toBe(true);
    expect(isPayloadV2(restAuthorizer)).toBe(false);
    expect(isPayloadV2(restProxy)).toBe(false);
    // The proxy 1.0 format an HTTP API can also send says "1.0": it is read as a REST event.
    expect(isPayloadV2({ ...httpProxy, version: '1.0' })).toBe(false);
  });
});

describe('authorizerRequestOf', () => {
  it('reads an HTTP API event: method, path as sent, lower-case headers, the route key', () => {
    expect(authorizerRequestOf(httpAuthorizer)).toMatchObject({
      method: 'POST',
      path: '/lambda',
      headers: { authorization: 'Bearer foo' },
      contentDigestRepeated: false,
      requestId: 'ZhNHJhhLjoEEPiw=',
      target: { api: 'http', routeKey: 'POST /lambda' },
    });
  });

  it('reads a REST API event: the stage-qualified path and the method ARN', () => {
    expect(authorizerRequestOf(restAuthorizer)).toMatchObject({
      method: 'POST',
      path: '/prod/lambda-request',
      headers: { authorization: 'Bearer foo' },
      target: { api: 'rest', methodArn: restAuthorizer.methodArn },
    });
  });

  it('reads the source address API Gateway reports, from either real event shape', () => {
    expect(authorizerRequestOf(httpAuthorizer).sourceIp).toBe('15.248.3.126');
    expect(authorizerRequestOf(restAuthorizer).sourceIp).toBe('15.248.3.126');
    const none = {
      ...restAuthorizer,
      requestContext: {
        ...restAuthorizer.requestContext,
        identity: { ...restAuthorizer.requestContext.identity, sourceIp: '' },
      },
    } as APIGatewayRequestAuthorizerEvent;
    expect(authorizerRequestOf(none).sourceIp).toBeUndefined();
  });

  it('takes a comma in an HTTP API Content-Digest for a repeated header (lines are joined with commas)', () => {
    const digest = (value: string) =>
      authorizerRequestOf({
        ...httpAuthorizer,
        headers: { ...httpAuthorizer.headers, 'content-digest': value },
      });
    expect(digest('sha-512=:AAAA:').contentDigestRepeated).toBe(false);
    expect(digest('sha-512=:AAAA:,sha-512=:BBBB:').contentDigestRepeated).toBe(true);
  });
});

describe('routeKeyParts', () => {
  it.each([
    ['GET /v1/keys/{id}', { method: 'GET', path: '/v1/keys/{id}' }],
    ['ANY /v1/echo/{proxy+}', { method: 'ANY', path: '/v1/echo/{proxy+}' }],
    ['$default', null],
    ['GET', null],
    ['get /x', null],
  ])('%s', (routeKey, parts) => {
    expect(routeKeyParts(routeKey)).toEqual(parts);
  });
});

describe('proxyRequestOf', () => {
  it("reads an HTTP API event, with the authorizer's context from requestContext.authorizer.lambda", () => {
    const request = proxyRequestOf(
      httpProxyWith(context, {
        routeKey: 'GET /console/{proxy+}',
        rawPath: '/prod/console/app.js',
        pathParameters: { proxy: 'app.js' },
        queryStringParameters: { a: '1,2' },
        body: '/wA=',
        isBase64Encoded: true,
      }),
    );
    expect(request).toMatchObject({
      method: 'POST',
      resource: '/console/{proxy+}',
      path: '/prod/console/app.js',
      routePath: '/console/app.js',
      pathParameters: { proxy: 'app.js' },
      query: { a: '1,2' },
      requestId: 'ZhNHJhhLjoEEPiw=',
      authorizer: context,
    });
    expect(request.rawBody).toEqual(Buffer.from([0xff, 0x00]));
  });

  it('has no context where the capture has none, and no body where there is none', () => {
    expect(proxyRequestOf(httpProxy)).toMatchObject({ authorizer: null, rawBody: null, resource: '/lambda' });
  });

  it('reads a REST API event the way the handlers always did', () => {
    expect(proxyRequestOf(restProxy)).toMatchObject({
      method: restProxy.httpMethod,
      resource: restProxy.resource,
      path: restProxy.requestContext.path,
      routePath: restProxy.path,
      authorizer: restProxy.requestContext.authorizer,
    });
  });

  it('routedPath fills a template with its parameters', () => {
    expect(routedPath('/v1/keys/{id}/rotate', { id: 'K1' })).toBe('/v1/keys/K1/rotate');
    expect(routedPath('/console', {})).toBe('/console');
  });
});

describe('latchkey/integration on an HTTP API event', () => {
  it("getCaller reads the context at requestContext.authorizer.lambda, as from a REST API's", () => {
    const expected = {
      principal: 'key',
      keyId: key.keyId,
      orgId: 'acme',
      permissions: ['api:read'],
      scheme: 'bearer',
      metadata: { op_plan: 'gold' },
    };
    expect(getCaller(httpProxyWith(context))).toEqual(expected);
    expect(
      getCaller({ ...restProxy, requestContext: { ...restProxy.requestContext, authorizer: context } }),
    ).toEqual(expected);
  });

  it('getCaller is null without a latchkey context, and never reads a v2 context from the wrong place', () => {
    expect(getCaller(httpProxy)).toBeNull();
    // A context at requestContext.authorizer itself is not where an HTTP API puts a Lambda authorizer's.
    const misplaced = {
      ...httpProxy,
      requestContext: { ...httpProxy.requestContext, authorizer: context },
    } as unknown as HttpApiProxyEvent;
    expect(getCaller(misplaced)).toBeNull();
  });

  it('checkSignedBody refuses a signed body without a matching Content-Digest, and one without a caller', () => {
    const armor = { ...context, auth_scheme: 'armor' };
    const refused = checkSignedBody(httpProxyWith(armor, { body: '{}' }));
    expect(refused?.statusCode).toBe(401);
    expect(JSON.parse(refused?.body ?? '{}').error).toMatchObject({
      code: 'unauthorized',
      request_id: 'ZhNHJhhLjoEEPiw=',
    });
    expect(checkSignedBody(httpProxyWith(null, { body: '{}' }))?.statusCode).toBe(401);
    expect(checkSignedBody(httpProxyWith(context, { body: '{}' }))).toBeNull();
  });
});

describe('allowsRoute (the route check an HTTP API leaves to the authorizer)', () => {
  const echo = { method: 'ANY', path: '/v1/echo/{proxy+}' };
  it('allows the methods the route permits the principal', () => {
    expect(allowsRoute(key, echo, 'GET', ROUTES)).toBe(true);
    expect(allowsRoute(key, echo, 'POST', ROUTES)).toBe(false);
    expect(allowsRoute(key, { method: 'GET', path: '/v1/keys' }, 'GET', ROUTES)).toBe(false);
    expect(allowsRoute(ADMIN_PRINCIPAL, { method: 'GET', path: '/v1/keys' }, 'GET', ROUTES)).toBe(true);
  });

  it('refuses a route key it cannot find, and a method the route key does not serve', () => {
    expect(allowsRoute(ADMIN_PRINCIPAL, null, 'GET', ROUTES)).toBe(false);
    expect(allowsRoute(ADMIN_PRINCIPAL, { method: 'GET', path: '/other' }, 'GET', ROUTES)).toBe(false);
    expect(allowsRoute(ADMIN_PRINCIPAL, { method: 'POST', path: '/v1/whoami' }, 'POST', ROUTES)).toBe(false);
    // A public route runs no authorizer: nothing to allow.
    expect(allowsRoute(ADMIN_PRINCIPAL, { method: 'GET', path: '/v1/openapi.json' }, 'GET', ROUTES)).toBe(
      false,
    );
  });
});
