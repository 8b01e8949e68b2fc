// A Lambda Function URL verified by latchkey in the function itself (`npx cdk deploy` here, after
// `npm install`): no API Gateway and no authorizer invocation — the function runs latchkey/verify, which
// answers 401/403/404/429/503 itself and hands the handler the caller. `grantVerify` gives the function
// the authorizer's data access, the signing secret and the variables that name them. The test suite
// (test/infra/function-url-example.test.ts) synthesizes this app.
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LatchkeyKeyStore } from 'latchkey/cdk';

const app = new App();
const stack = new Stack(app, 'OrdersUrl');

// The key table and secrets. Issue keys with a LatchkeyApi on the same key store (another stack, or
// `latchkey keys create` against it); this function only verifies them.
const keyStore = new LatchkeyKeyStore(stack, 'Keys');

const orders = new nodejs.NodejsFunction(stack, 'Orders', {
  entry: fileURLToPath(new URL('./handlers/orders.ts', import.meta.url)),
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  memorySize: 512,
  logGroup: new logs.LogGroup(stack, 'OrdersLogs', { retention: logs.RetentionDays.ONE_MONTH }),
  // The AWS SDK v3 clients are in the Lambda runtime: left out of the bundle.
  bundling: { format: nodejs.OutputFormat.ESM, minify: true, externalModules: ['@aws-sdk/*'] },
});
keyStore.grantVerify(orders);

// latchkey verifies every request in the function: the URL itself needs no IAM auth.
const url = orders.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

new CfnOutput(stack, 'OrdersUrl', { value: url.url });
