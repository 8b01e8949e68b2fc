/**
 * `LatchkeyAuthorizer.protect` with a permission of your own: the route and its permission reach the
 * authorizer's environment (the policy it returns), and a permission no role of the role matrix grants
 * fails the synth with the route named.
 */
import { Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { LatchkeyAuthorizer } from '#cdk/authorizer';
import { LatchkeyKeyStore } from '#cdk/key-store';
import { LatchkeyApi } from '#cdk/latchkey-api';
import type { RoleMatrix } from '#core/permissions';
import { propsOf, SYNTH_TIMEOUT, synthesize, testApp } from './support';

const MATRIX: RoleMatrix = {
  admin: ['keys:read', 'keys:write', 'api:read', 'api:write'],
  member: ['api:read', 'api:write'],
  clerk: ['orders:read'],
  manager: ['orders:read', 'orders:write'],
};

/** A shop API with `/orders`, latchkey's routes on it, and the role matrix given to the LatchkeyApi. */
function shop(roleMatrix?: RoleMatrix) {
  const app = testApp();
  const stack = new Stack(app, 'Shop');
  const keyStore = new LatchkeyKeyStore(stack, 'KeyStore');
  const authorizer = new LatchkeyAuthorizer(stack, 'Authorizer', { keyStore });
  const restApi = new apigateway.RestApi(stack, 'ShopApi');
  const orders = restApi.root.addResource('orders');
  const finish = () =>
    new LatchkeyApi(stack, 'Latchkey', { keyStore, authorizer, existingRestApi: restApi, roleMatrix });
  return { app, stack, authorizer, orders, finish };
}

function applicationRoutes(
  template: ReturnType<typeof synthesize>['template'],
  stack: Stack,
  fn: LatchkeyAuthorizer,
) {
  const id = stack.getLogicalId(fn.function.node.defaultChild as never);
  const resource = template.findResources('AWS::Lambda::Function')[id] as Record<string, unknown>;
  const env = (propsOf(resource).Environment as { Variables: Record<string, string> }).Variables;
  return JSON.parse(env.LATCHKEY_APPLICATION_ROUTES ?? '[]');
}

describe('protect with a permission of the role matrix', () => {
  it(
    'writes each route with the permission it requires into the authorizer environment',
    SYNTH_TIMEOUT,
    () => {
      const { app, stack, authorizer, orders, finish } = shop(MATRIX);
      authorizer.protect(orders, 'GET', new apigateway.MockIntegration(), { permission: 'orders:read' });
      authorizer.protect(orders, 'POST', new apigateway.MockIntegration(), { permission: 'orders:write' });
      authorizer.protect(orders.addResource('{id}'), 'GET', new apigateway.MockIntegration());
      finish();
      const { template } = synthesize(app, stack);
      expect(applicationRoutes(template, stack, authorizer)).toEqual([
        { method: 'GET', path: '/orders', permission: 'orders:read' },
        { method: 'POST', path: '/orders', permission: 'orders:write' },
        { method: 'GET', path: '/orders/{id}' },
      ]);
      // the permission is latchkey's business, not a method option API Gateway sees
      const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(propsOf);
      const post = methods.find((m) => m.HttpMethod === 'POST' && JSON.stringify(m).includes('MOCK'));
      expect(post?.AuthorizationType).toBe('CUSTOM');
    },
  );

  it('fails the synth for a permission no role grants, naming the route and the roles', () => {
    const { app, authorizer, orders, finish } = shop(MATRIX);
    authorizer.protect(orders, 'DELETE', new apigateway.MockIntegration(), { permission: 'orders:delete' });
    finish();
    expect(() => app.synth()).toThrow(
      /DELETE \/orders requires orders:delete, which no role of the role matrix grants \(admin, member, clerk, manager\)/,
    );
  });

  it('checks against the default matrix when no LatchkeyApi hands one over', () => {
    const { app, authorizer, orders } = shop();
    authorizer.protect(orders, 'POST', new apigateway.MockIntegration(), { permission: 'orders:write' });
    expect(() => app.synth()).toThrow(/requires orders:write, which no role .*\(admin, member, viewer\)/);
  });

  it(
    'checks against the roleMatrix prop of an authorizer whose API has no LatchkeyApi',
    SYNTH_TIMEOUT,
    () => {
      const app = testApp();
      const stack = new Stack(app, 'Own');
      const keyStore = new LatchkeyKeyStore(stack, 'KeyStore');
      const authorizer = new LatchkeyAuthorizer(stack, 'Authorizer', { keyStore, roleMatrix: MATRIX });
      const api = new apigateway.RestApi(stack, 'Api');
      authorizer.protect(api.root.addResource('orders'), 'POST', new apigateway.MockIntegration(), {
        permission: 'orders:write',
      });
      expect(() => synthesize(app, stack)).not.toThrow();
    },
  );

  it('refuses a permission name that cannot be one at once', () => {
    const { authorizer, orders } = shop(MATRIX);
    for (const permission of ['Orders:write', 'orders', 'keys:delete', 'api:admin']) {
      expect(() => authorizer.protect(orders, 'GET', undefined, { permission }), permission).toThrow(
        new RegExp(`protect: permission "${permission}" must be one of keys:read`),
      );
    }
  });
});

describe('protect with a credit cost', () => {
  it('writes the cost into the routes the authorizer reads, and refuses one that cannot be', () => {
    const { authorizer, orders } = shop(MATRIX);
    authorizer.protect(orders, 'POST', undefined, { cost: 5 });
    authorizer.protect(orders, 'GET');
    expect(authorizer.applicationRoutes).toEqual([
      { method: 'POST', path: '/orders', cost: 5 },
      { method: 'GET', path: '/orders' },
    ]);
    for (const cost of [0, 1.5, 1_000_001]) {
      expect(() => authorizer.protect(orders, 'PUT', undefined, { cost }), String(cost)).toThrow(
        'protect: cost must be an integer from 1 to 1000000',
      );
    }
  });
});
