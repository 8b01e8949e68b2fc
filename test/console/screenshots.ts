/**
 * `npm run screenshots`: regenerates docs/images/console-keys.png and docs/images/console-key-detail.png
 * from a real run — an in-memory local mode with its own DynamoDB Local, a few keys created and used
 * through the API, and the console in Chromium signed in with the admin key. Nothing is drawn by hand.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, startConsoleServer } from './harness';

// Quiet handler logs; the logger reads its level when local mode's modules load.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { startLocalMode } = await import('#local/local-mode');
const { client, createKey } = await import('../helpers/local');

const out = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'docs/images');

const latchkey = await startLocalMode({ dataDir: null, port: 0 });
const server = await startConsoleServer(latchkey.url);
const browser = await launchChromium();
try {
  const call = client(latchkey.url);
  const admin = latchkey.adminKey;
  const day = 86_400_000;
  await createKey(call, admin, {
    name: 'nightly-export',
    description: 'Warehouse export job',
    roles: ['viewer'],
  });
  const billing = await createKey(call, admin, {
    name: 'billing-worker',
    description: 'Invoices and payment webhooks',
    roles: ['member'],
    rate_limit_per_minute: 120,
    expires_at: new Date(Date.now() + 90 * day).toISOString(),
  });
  const ops = await createKey(call, admin, {
    name: 'ops-console',
    description: 'Operators, daily use',
    roles: ['admin'],
  });
  const old = await createKey(call, admin, { name: 'legacy-sync', roles: ['member'] });
  for (let i = 0; i < 7; i++) await call('GET', '/v1/whoami', { token: billing.token });
  for (let i = 0; i < 3; i++) await call('GET', '/v1/whoami', { token: ops.token });
  await call('DELETE', `/v1/keys/${old.id}`, { token: admin });
  const paused = await createKey(call, admin, { name: 'staging-smoke', roles: ['viewer'] });
  await call('PATCH', `/v1/keys/${paused.id}`, { token: admin, body: { enabled: false } });

  mkdirSync(out, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${server.url}/console`);
  await page.getByLabel('Admin key or API key').fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('row', { name: /billing-worker/ }).waitFor();
  await page.screenshot({ path: join(out, 'console-keys.png'), fullPage: true });
  await page.getByRole('link', { name: 'billing-worker' }).click();
  await page.getByRole('heading', { name: 'billing-worker', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  await page.waitForFunction(
    () =>
      !(globalThis as { document?: { querySelector(s: string): unknown } }).document?.querySelector(
        '[aria-busy="true"]',
      ),
  );
  await page.screenshot({ path: join(out, 'console-key-detail.png'), fullPage: true });
  await context.close();
  process.stdout.write(`screenshots written to ${out}\n`);
} finally {
  await browser.close();
  await server.stop();
  await latchkey.stop();
}
