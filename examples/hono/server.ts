/**
 * `tsx examples/hono/server.ts`: the Hono orders API on http://127.0.0.1:3000 (PORT overrides), verifying
 * against the table and secrets named by LATCHKEY_TABLE_NAME and LATCHKEY_SIGNING_SECRET_ID (what
 * `keyStore.grantVerifyTo(role)` gives a container), with the AWS credentials of the environment.
 */
import { serve } from '@hono/node-server';
import { createVerifier } from 'latchkey/verify';
import { createApp, ROUTES } from './app';

const app = createApp(createVerifier({ routes: ROUTES }));
const port = Number(process.env.PORT ?? 3000);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
  process.stdout.write(`listening on http://127.0.0.1:${info.port}\n`);
});
