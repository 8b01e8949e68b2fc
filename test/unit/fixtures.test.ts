import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseAuthorization } from '../../lambdas/core/credentials';
import { buildAllowPolicy, evaluatePolicy, stageArnOf } from '../../lambdas/core/policy';
import { principalContext, principalFromContext } from '../../lambdas/core/principal';

/**
 * Facts latchkey relies on, checked against events API Gateway really produced (see
 * test/fixtures/apigw-rest/SOURCES.md), so that hand-built events elsewhere cannot drift from them.
 */
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/apigw-rest/${name}`, import.meta.url), 'utf8')) as T;
}

const authorizerEvent = fixture<APIGatewayRequestAuthorizerEvent>('authorizer-request.json');
const proxyEvent = fixture<APIGatewayProxyEvent>('proxy-event.json');

describe('REQUEST authorizer event (authorizer-request.json)', () => {
  it('is a REQUEST-type event with method, resource and path', () => {
    expect(authorizerEvent.type).toBe('REQUEST');
    expect(authorizerEvent.httpMethod).toBe('POST');
    expect(authorizerEvent.resource).toBe('/lambda-request');
    expect(authorizerEvent.path).toBe('/lambda-request');
  });

  it('has a methodArn of the form <stage ARN>/<METHOD>/<path without stage>', () => {
    const { methodArn, httpMethod, path, requestContext } = authorizerEvent;
    expect(methodArn).toMatch(/^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/[^/]+\/[A-Z]+\//);
    const stageArn = stageArnOf(methodArn);
    expect(stageArn).toBe(
      `arn:aws:execute-api:eu-west-1:${requestContext.accountId}:${requestContext.apiId}/${requestContext.stage}`,
    );
    expect(methodArn).toBe(`${stageArn}/${httpMethod}${path}`);
  });

  it('gives `path` without the stage and `requestContext.path` as sent, with the stage', () => {
    const { path, requestContext } = authorizerEvent;
    expect(requestContext.stage).toBe('prod');
    expect(requestContext.path).toBe(`/${requestContext.stage}${path}`);
    expect(requestContext.path).not.toBe(path);
    expect(requestContext.resourcePath).toBe(authorizerEvent.resource);
    expect(requestContext.httpMethod).toBe(authorizerEvent.httpMethod);
  });

  it('passes headers with their original case (so they must be looked up case-insensitively)', () => {
    const headers = authorizerEvent.headers ?? {};
    expect(headers.Authorization).toBe('Bearer foo');
    expect(headers.authorization).toBeUndefined();
    expect(authorizerEvent.multiValueHeaders?.Authorization).toEqual(['Bearer foo']);
    // The header's value goes straight to the credential parser.
    expect(parseAuthorization(headers.Authorization, 'lk')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('carries a request id but never the body', () => {
    expect(authorizerEvent.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(authorizerEvent).not.toHaveProperty('body');
    expect(authorizerEvent).not.toHaveProperty('isBase64Encoded');
  });

  it('uses {} (not null) for absent parameters', () => {
    expect(authorizerEvent.pathParameters).toEqual({});
    expect(authorizerEvent.queryStringParameters).toEqual({});
  });

  it('yields a policy API Gateway can evaluate against routes of the same stage', () => {
    const principal = {
      type: 'key' as const,
      keyId: 'K1aaaaaaaaaaaaaa',
      orgId: 'acme',
      permissions: ['api:read' as const],
    };
    const result = buildAllowPolicy(
      principal,
      principal.keyId,
      authorizerEvent.methodArn,
      principalContext(principal),
    );
    const stageArn = stageArnOf(authorizerEvent.methodArn);
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/GET/v1/whoami`)).toBe('Allow');
    expect(evaluatePolicy(result.policyDocument, `${stageArn}/POST/v1/echo/x`)).toBe('Deny');
    // The fixture's own route is not one of latchkey's.
    expect(evaluatePolicy(result.policyDocument, authorizerEvent.methodArn)).toBe('Deny');
  });
});

describe('Lambda proxy event behind a Lambda authorizer (proxy-event.json)', () => {
  it('carries the request id', () => {
    expect(proxyEvent.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('carries the authorizer context, next to principalId and a numeric integrationLatency', () => {
    const authorizer = proxyEvent.requestContext.authorizer as Record<string, unknown>;
    expect(authorizer.principalId).toBe('user');
    expect(typeof authorizer.integrationLatency).toBe('number');
    expect(authorizer.tenantId).toBe('tenant-1');
  });

  it('lets principalFromContext read our context among API Gateway’s own entries', () => {
    const authorizer = proxyEvent.requestContext.authorizer as Record<string, unknown>;
    // Not our authorizer's context: no principal.
    expect(principalFromContext(authorizer)).toBeNull();
    const principal = {
      type: 'key' as const,
      keyId: 'K1aaaaaaaaaaaaaa',
      orgId: 'acme',
      permissions: ['api:read' as const],
    };
    expect(principalFromContext({ ...authorizer, ...principalContext(principal) })).toEqual(principal);
  });

  it('uses null (not {}) for absent path and query parameters', () => {
    expect(proxyEvent).toHaveProperty('pathParameters');
    expect(proxyEvent.pathParameters).toBeNull();
    expect(proxyEvent.queryStringParameters).toBeNull();
    expect(proxyEvent.multiValueQueryStringParameters).toBeNull();
    expect(proxyEvent.stageVariables).toBeNull();
  });

  it('has a null body and a boolean isBase64Encoded', () => {
    expect(proxyEvent.body).toBeNull();
    expect(proxyEvent.isBase64Encoded).toBe(false);
  });

  it('gives `path` without the stage and `requestContext.path` with it, like the authorizer event', () => {
    expect(proxyEvent.path).toBe('/lambda-token');
    expect(proxyEvent.requestContext.path).toBe(`/${proxyEvent.requestContext.stage}${proxyEvent.path}`);
    expect(proxyEvent.resource).toBe(proxyEvent.requestContext.resourcePath);
    expect(proxyEvent.httpMethod).toBe(proxyEvent.requestContext.httpMethod);
  });

  it('passes headers with their original case', () => {
    expect(proxyEvent.headers.Authorization).toBe('Bearer foo');
    expect(proxyEvent.headers.authorization).toBeUndefined();
  });
});
