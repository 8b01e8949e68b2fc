/**
 * `tsx examples/express/server.ts`: the Express orders API on http://127.0.0.1:3000 (PORT overrides),
 * verifying against the table and secrets named by LATCHKEY_TABLE_NAME and LATCHKEY_SIGNING_SECRET_ID
 * (what `keyStore.grantVerifyTo(role)` gives a container), with the AWS credentials of the environment.
 */
import { createVerifier } from 'latchkey/verify';
import { createApp, ROUTES } from './app';

const port = Number(process.env.PORT ?? 3000);
createApp(createVerifier({ routes: ROUTES })).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
