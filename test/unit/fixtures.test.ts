/**
 * latchkey's own code run against events API Gateway really produced (see
 * test/fixtures/apigw-rest/SOURCES.md): the stage ARN of a real methodArn, a real Authorization header
 * through the credential parser, a policy evaluated for routes of the fixture's stage, and our principal
 * context read back from among API Gateway's own authorizer entries. What the fixtures themselves contain
 * is not asserted here: they are checked-in copies, and a test of a copy can only fail when it is edited.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseAuthorization } from '#core/credentials';
import { buildAllowPolicy, evaluatePolicy, stageArnOf } from '#core/policy';
import { principalContext, principalFromContext } from '#core/principal';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/apigw-rest/${name}`, import.meta.url), 'utf8')) as T;
}

const authorizerEvent = fixture<APIGatewayRequestAuthorizerEvent>('authorizer-request.json');
const proxyEvent = fixture<APIGatewayProxyEvent>('proxy-event.json');
const principal = {
  type: 'key' as const,
  keyId: 'K1aaaaaaaaaaaaaa',
  orgId: 'acme',
  permissions: ['api:read' as const],
};

describe('REQUEST authorizer event (authorizer-request.json)', () => {
  it('stageArnOf cuts a real methodArn at its stage', () => {
    const { methodArn, httpMethod, path, requestContext } = authorizerEvent;
    const stageArn = stageArnOf(methodArn);
    expect(stageArn).toBe(
      `arn:aws:execute-api:eu-west-1:${requestContext.accountId}:${requestContext.apiId}/${requestContext.stage}`,
    );
    expect(methodArn).toBe(`${stageArn}/${httpMethod}${path}`);
  });

  it('its Authorization header goes straight to the credential parser', () => {
    expect(parseAuthorization(authorizerEvent.headers?.Authorization, 'lk')).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('yields a policy API Gateway can evaluate against routes of the same stage', () => {
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
  it('lets principalFromContext read our context among API Gateway’s own entries', () => {
    const authorizer = proxyEvent.requestContext.authorizer as Record<string, unknown>;
    // Not our authorizer's context: no principal.
    expect(principalFromContext(authorizer)).toBeNull();
    expect(principalFromContext({ ...authorizer, ...principalContext(principal) })).toEqual(principal);
  });
});
