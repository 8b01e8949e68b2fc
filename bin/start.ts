/**
 * `npm start`: latchkey on this machine. DynamoDB Local (AWS's own), a local Secrets Manager
 * endpoint and a local API Gateway running the same authorizer and handlers as the deployed stack.
 */

import { findRoute } from '../lib/core/routes';
import {
  ADMIN_KEY_SECRET_NAME,
  DYNAMODB_EXPOSURE_NOTICE,
  DYNAMODB_PROFILE,
  LOCAL_ENV,
  LOCAL_PROFILE,
  LOCAL_REGION,
  localDataDir,
  localDataPaths,
  localPorts,
} from '../lib/local/constants';
import { LocalSetupError } from '../lib/local/errors';
import { startLocalMode } from '../lib/local/local-mode';

/** LATCHKEY_* variables that configure local mode itself rather than the handlers. */
const LOCAL_ONLY_ENV: readonly string[] = [LOCAL_ENV.adminKey, LOCAL_ENV.dataDir];

async function main(): Promise<void> {
  // The AWS SDK's notice about Node versions it will stop supporting is for developers of latchkey,
  // not for people running it (docs/operations.md "Node.js versions"); set before any SDK client is built.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const ports = localPorts(process.env);
  const dataDir = localDataDir(process.env);
  const paths = localDataPaths(dataDir);
  const settings = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[0].startsWith('LATCHKEY_') && e[1] !== undefined && !LOCAL_ONLY_ENV.includes(e[0]),
    ),
  );
  const adminKey = process.env[LOCAL_ENV.adminKey];
  const local = await startLocalMode({
    dataDir,
    port: ports.gateway,
    secretsPort: ports.secrets,
    dynamodbPort: ports.dynamodb,
    settings,
    ...(adminKey ? { adminKey } : {}),
    portEnvNames: {
      gateway: LOCAL_ENV.gatewayPort,
      secrets: LOCAL_ENV.secretsPort,
      dynamodb: LOCAL_ENV.dynamodbPort,
    },
  });

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `DynamoDB Local:           ${local.dynamodbEndpoint} (data in ${paths.dynamodb}; the key table is in the database of ` +
      `the credential in ${paths.dynamodbCredentials}, mode 0600, profile ${DYNAMODB_PROFILE})`,
  );
  out(DYNAMODB_EXPOSURE_NOTICE);
  out(`Secrets Manager endpoint: ${local.secretsEndpoint} (secrets in ${paths.secrets})`);
  out(
    `It accepts only requests signed with this run's credential: ${paths.credentials} (mode 0600, profile ${LOCAL_PROFILE})`,
  );
  if (local.adminKeyGenerated) {
    out(`Admin key (generated now, shown once here): ${local.adminKey}`);
  }
  out(
    `Admin key is stored as secret ${ADMIN_KEY_SECRET_NAME}; read it with: npm run -s admin-key ` +
      `(or AWS_SHARED_CREDENTIALS_FILE=${paths.credentials} aws --profile ${LOCAL_PROFILE} secretsmanager get-secret-value ` +
      `--endpoint-url ${local.secretsEndpoint} --region ${LOCAL_REGION} --secret-id ${ADMIN_KEY_SECRET_NAME} --query SecretString --output text)`,
  );
  out(`latchkey console: ${local.url}${findRoute('console').path}`);
  out(`latchkey OpenAPI document: ${local.url}${findRoute('getOpenApi').path}`);
  out(
    `CLI: export LATCHKEY_URL=${local.url}; node_modules/.bin/latchkey whoami ` +
      '(about 0.25 s a call; `npx latchkey` adds npm start-up, 1.5-2.8 s)',
  );
  out(`latchkey listening on ${local.url}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    out('latchkey: shutting down');
    await local.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof LocalSetupError) {
    process.stderr.write(`latchkey: ${error.message}\n`);
  } else {
    process.stderr.write(
      `latchkey: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
