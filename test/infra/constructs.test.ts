/**
 * The constructs in a user's own stack: latchkey's sample route stays out unless asked for, and what an
 * operator needs (admin-key secret, console URL, authorizer log group) is reachable without LatchkeyStack.
 */
import { Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { LatchkeyAuthorizer } from '#cdk/authorizer';
import { LatchkeyKeyStore } from '#cdk/key-store';
import { LatchkeyApi } from '#cdk/latchkey-api';
import { findRoute } from '#core/routes';
import { propsOf, SYNTH_TIMEOUT, synthesize, testApp } from './support';

function userStack(sampleRoutes?: boolean) {
  const app = testApp();
  const stack = new Stack(app, 'Shop');
  const keyStore = new LatchkeyKeyStore(stack, 'KeyStore');
  const authorizer = new LatchkeyAuthorizer(stack, 'Authorizer', { keyStore });
  const restApi = new apigateway.RestApi(stack, 'ShopApi');
  authorizer.protect(restApi.root.addResource('orders'), 'GET', new apigateway.MockIntegration());
  const api = new LatchkeyApi(stack, 'Latchkey', {
    keyStore,
    authorizer,
    existingRestApi: restApi,
    sampleRoutes,
  });
  return { app, stack, keyStore, authorizer, api };
}

const ECHO_PATH_PART = findRoute('echo').path.split('/')[2];

function sampleParts(template: ReturnType<typeof synthesize>['template']) {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(propsOf);
  const resources = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(propsOf);
  return {
    echoFunctions: functions.filter((f) => String(f.Description).includes('sample application route')),
    echoResources: resources.filter((r) => r.PathPart === ECHO_PATH_PART),
  };
}

describe('LatchkeyApi in a stack of your own', () => {
  it('leaves out the sample /v1/echo route and its function by default', SYNTH_TIMEOUT, () => {
    const { app, stack, api } = userStack();
    const { echoFunctions, echoResources } = sampleParts(synthesize(app, stack).template);
    expect(echoFunctions).toEqual([]);
    expect(echoResources).toEqual([]);
    expect(api.echoFunction).toBeUndefined();
    expect(api.methods.map((m) => m.resource.path)).not.toContain(findRoute('echo').path);
  });

  it('deploys the sample route with sampleRoutes: true', SYNTH_TIMEOUT, () => {
    const { app, stack, api } = userStack(true);
    const { echoFunctions, echoResources } = sampleParts(synthesize(app, stack).template);
    expect(echoFunctions).toHaveLength(1);
    expect(echoResources).toHaveLength(1);
    expect(api.methods.map((m) => m.resource.path)).toContain(findRoute('echo').path);
  });

  it('exposes the admin-key secret, console URL and authorizer log group', () => {
    const { stack, keyStore, authorizer, api } = userStack();
    expect(api.adminKeySecret).toBe(keyStore.adminKeySecret);
    expect(api.authorizerLogGroup).toBe(authorizer.logGroup);
    expect(stack.resolve(authorizer.logGroup.logGroupName)).toEqual(
      stack.resolve(authorizer.function.logGroup.logGroupName),
    );
    expect(JSON.stringify(stack.resolve(api.consoleUrl))).toMatch(/\/console"\]\]\}$/);
    expect(JSON.stringify(stack.resolve(api.openApiUrl))).toMatch(/\/v1\/openapi\.json"\]\]\}$/);
  });

  it(
    'maps the authorizer’s retry_after and RateLimit fields to headers on the ACCESS_DENIED gateway response',
    SYNTH_TIMEOUT,
    () => {
      const { app, stack } = userStack();
      const responses = Object.values(
        synthesize(app, stack).template.findResources('AWS::ApiGateway::GatewayResponse'),
      )
        .map(propsOf)
        .filter((r) => r.ResponseType === 'ACCESS_DENIED');
      expect(responses).toHaveLength(1);
      expect(responses[0]?.ResponseParameters).toMatchObject({
        'gatewayresponse.header.retry-after': 'context.authorizer.retry_after',
        'gatewayresponse.header.ratelimit': 'context.authorizer.ratelimit',
        'gatewayresponse.header.ratelimit-policy': 'context.authorizer.ratelimit_policy',
      });
    },
  );
});
