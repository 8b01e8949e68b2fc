/**
 * `npm start`: latchkey on this machine. DynamoDB Local (AWS's own), a local Secrets Manager
 * endpoint and a local API Gateway running the same authorizer and handlers as the deployed stack.
 */
import { resolve } from 'node:path';
import { LocalSetupError } from '../lib/local/dynamodb-local';
import { ADMIN_KEY_SECRET_NAME, startLocalMode } from '../lib/local/local-mode';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalSetupError(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = portFrom('PORT', 8787);
  const secretsPort = portFrom('LATCHKEY_SECRETS_PORT', port + 1);
  const dynamodbPort = portFrom('LATCHKEY_DYNAMODB_PORT', port + 2);
  const dataDir = resolve(process.env.LATCHKEY_DATA_DIR || '.latchkey');
  const settings = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[0].startsWith('LATCHKEY_') &&
        e[1] !== undefined &&
        !['LATCHKEY_ADMIN_KEY', 'LATCHKEY_DATA_DIR'].includes(e[0]),
    ),
  );
  const local = await startLocalMode({
    dataDir,
    port,
    secretsPort,
    dynamodbPort,
    settings,
    ...(process.env.LATCHKEY_ADMIN_KEY ? { adminKey: process.env.LATCHKEY_ADMIN_KEY } : {}),
    portEnvNames: { gateway: 'PORT', secrets: 'LATCHKEY_SECRETS_PORT', dynamodb: 'LATCHKEY_DYNAMODB_PORT' },
  });

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`DynamoDB Local:           ${local.dynamodbEndpoint} (data in ${dataDir}/dynamodb)`);
  out(`Secrets Manager endpoint: ${local.secretsEndpoint} (secrets in ${dataDir}/secrets.json)`);
  if (local.adminKeyGenerated) {
    out(`Admin key (generated now, shown once here): ${local.adminKey}`);
  }
  out(
    `Admin key is stored as secret ${ADMIN_KEY_SECRET_NAME}; read it with: npm run -s admin-key ` +
      `(or aws secretsmanager get-secret-value --endpoint-url ${local.secretsEndpoint} --secret-id ${ADMIN_KEY_SECRET_NAME} --query SecretString --output text)`,
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
