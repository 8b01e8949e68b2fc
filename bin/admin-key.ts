/**
 * `npm run -s admin-key`: prints local mode's admin key, read through the Secrets Manager API of
 * the local endpoint exactly as an operator reads the deployed one, signed with the credential the
 * running `npm start` wrote to its data folder (LATCHKEY_DATA_DIR, default .latchkey/credentials).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  ADMIN_KEY_SECRET_NAME,
  LOCAL_REGION,
  localDataDir,
  localDataPaths,
  localSecretsEndpoint,
} from '../lib/local/constants';
import { readCredentialFile } from '../lib/local/secrets/credential';

async function main(): Promise<void> {
  // The AWS SDK's notice about Node versions it will stop supporting is for developers of latchkey,
  // not for people running it (docs/operations.md "Node.js versions"); set before any SDK client is built.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Inside main: a bad PORT or LATCHKEY_SECRETS_PORT is reported like any other failure.
  const endpoint = localSecretsEndpoint(process.env);
  const file = localDataPaths(localDataDir(process.env)).credentials;
  const credentials = readCredentialFile(file);
  if (!credentials) throw new Error(`cannot read the local credential ${file} (is \`npm start\` running?)`);
  const client = new SecretsManagerClient({
    endpoint,
    region: process.env.AWS_REGION || LOCAL_REGION,
    credentials,
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: ADMIN_KEY_SECRET_NAME }));
    process.stdout.write(`${out.SecretString ?? ''}\n`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`could not read the admin key from ${endpoint} (is \`npm start\` running?): ${reason}`);
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`latchkey: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
