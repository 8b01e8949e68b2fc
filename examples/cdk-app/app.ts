// A CDK app of your own on latchkey's constructs (`npx cdk deploy` here, after `npm install`): a shop API
// whose /orders routes are behind the latchkey authorizer with permissions of its own role matrix,
// latchkey's management API and console on the same REST API, and the outputs an operator needs. No
// sample /v1/echo route: LatchkeyApi leaves it out unless `sampleRoutes: true`. The package test
// (test/sdk/pack.test.ts) synthesizes this app from the packed tarball.
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LatchkeyApi, LatchkeyAuthorizer, LatchkeyKeyStore } from 'latchkey/cdk';

const app = new App();
const stack = new Stack(app, 'Shop');

const keyStore = new LatchkeyKeyStore(stack, 'Keys');
const latchkey = new LatchkeyAuthorizer(stack, 'Auth', { keyStore });

// One function serves the orders routes; it reads the caller with latchkey/integration.
const orders = new nodejs.NodejsFunction(stack, 'Orders', {
  entry: fileURLToPath(new URL('./handlers/orders.ts', import.meta.url)),
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  logGroup: new logs.LogGroup(stack, 'OrdersLogs', { retention: logs.RetentionDays.ONE_MONTH }),
  bundling: { format: nodejs.OutputFormat.ESM, minify: true },
});
const integration = new apigateway.LambdaIntegration(orders);

const api = new apigateway.RestApi(stack, 'ShopApi', { deployOptions: { stageName: 'prod' } });
const ordersResource = api.root.addResource('orders');
latchkey.protect(ordersResource, 'GET', integration, { permission: 'orders:read' });
latchkey.protect(ordersResource, 'POST', integration, { permission: 'orders:write' });
latchkey.protect(ordersResource.addResource('{id}'), 'GET', integration, { permission: 'orders:read' });

// latchkey's management API (/v1/keys, …), console and error bodies on the same REST API. Keys get
// their permissions from this matrix; a permission no role grants would fail the synth.
const latchkeyApi = new LatchkeyApi(stack, 'Latchkey', {
  keyStore,
  authorizer: latchkey,
  existingRestApi: api,
  roleMatrix: {
    admin: ['keys:read', 'keys:write', 'orders:read', 'orders:write'],
    manager: ['orders:read', 'orders:write'],
    clerk: ['orders:read'],
  },
  defaultRole: 'clerk',
});

new CfnOutput(stack, 'ApiUrl', { value: api.url });
new CfnOutput(stack, 'ConsoleUrl', { value: latchkeyApi.consoleUrl });
new CfnOutput(stack, 'AdminKeySecretArn', { value: latchkeyApi.adminKeySecret.secretArn });
new CfnOutput(stack, 'AuthorizerLogGroupName', { value: latchkeyApi.authorizerLogGroup.logGroupName });
