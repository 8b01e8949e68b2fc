/**
 * `npm run -s admin-key`: prints local mode's admin key, read through the Secrets Manager API of
 * the local endpoint exactly as an operator reads the deployed one.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ADMIN_KEY_SECRET_NAME } from '../lib/local/local-mode';

const port = Number(process.env.LATCHKEY_SECRETS_PORT || Number(process.env.PORT || 8787) + 1);
const client = new SecretsManagerClient({
  endpoint: `http://127.0.0.1:${port}`,
  region: process.env.AWS_REGION || 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

client
  .send(new GetSecretValueCommand({ SecretId: ADMIN_KEY_SECRET_NAME }))
  .then((out) => process.stdout.write(`${out.SecretString ?? ''}\n`))
  .catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `latchkey: could not read the admin key from http://127.0.0.1:${port} (is \`npm start\` running?): ${reason}\n`,
    );
    process.exit(1);
  });
