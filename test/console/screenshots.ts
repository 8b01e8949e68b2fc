/**
 * `npm run screenshots`: regenerates the console's pictures in docs/images/ from a real run — an
 * in-memory local mode with its own DynamoDB Local, a few keys created, used, disabled, revoked and
 * rotated through the API, and the console in Chromium signed in with the admin key: the keys page at
 * 1280×800 (light), the same in dark mode with a row's Actions menu open, the create dialog, a key's
 * detail page, an organization's first-run state, and the keys page at 360 px. Nothing is drawn by hand.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
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
    credits: {
      remaining: 5000,
      refill: { amount: 1000, every: 'month', day: 15, mode: 'add', max: 5000 },
      low_threshold: 500,
    },
  });
  const ops = await createKey(call, admin, {
    name: 'ops-console',
    description: 'Operators, daily use',
    roles: ['admin'],
  });
  const old = await createKey(call, admin, { name: 'legacy-sync', roles: ['member'] });
  for (let i = 0; i < 7; i++) await call('GET', '/v1/whoami', { token: billing.token });
  for (let i = 0; i < 3; i++) await call('GET', '/v1/whoami', { token: ops.token });
  // Refusals on its chart, stacked by outcome: a while disabled, and a route its role does not cover.
  await call('PATCH', `/v1/keys/${billing.id}`, { token: admin, body: { enabled: false } });
  for (let i = 0; i < 2; i++) await call('GET', '/v1/whoami', { token: billing.token });
  await call('PATCH', `/v1/keys/${billing.id}`, { token: admin, body: { enabled: true } });
  await call('GET', '/v1/orgs', { token: billing.token });
  await call('DELETE', `/v1/keys/${old.id}`, { token: admin });
  const paused = await createKey(call, admin, { name: 'staging-smoke', roles: ['viewer'] });
  await call('PATCH', `/v1/keys/${paused.id}`, { token: admin, body: { enabled: false } });
  // A rotation in its grace period: the old key reads "Rotating", linked to its successor.
  const partner = await createKey(call, admin, { name: 'partner-feed', roles: ['member'] });
  await call('POST', `/v1/keys/${partner.id}/rotate`, {
    token: admin,
    body: { grace_period_seconds: 86_400 },
  });

  mkdirSync(out, { recursive: true });
  const shoot = async (
    name: string,
    options: { width: number; height: number; colorScheme: 'light' | 'dark' },
    act: (page: Page) => Promise<void>,
  ) => {
    const { width, height, colorScheme } = options;
    const context = await browser.newContext({ viewport: { width, height }, colorScheme });
    const page = await context.newPage();
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Admin key or API key').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('row', { name: /billing-worker/ }).waitFor();
    await act(page);
    await page.screenshot({ path: join(out, name), fullPage: true });
    await context.close();
  };
  const desktop = { width: 1280, height: 800, colorScheme: 'light' } as const;
  await shoot('console-keys.png', desktop, async () => {});
  await shoot('console-keys-dark.png', { ...desktop, colorScheme: 'dark' }, async (page) => {
    await page
      .getByRole('row', { name: /ops-console/ })
      .getByRole('button', { name: 'Actions' })
      .click();
    await page.getByRole('menu').waitFor();
  });
  await shoot('console-create.png', desktop, async (page) => {
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('reporting-service');
    await dialog.getByRole('button', { name: '90 days' }).click();
  });
  await shoot('console-key-detail.png', desktop, async (page) => {
    await page.getByRole('link', { name: 'billing-worker' }).click();
    await page.getByRole('heading', { name: 'billing-worker', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.waitForFunction(
      () =>
        !(globalThis as { document?: { querySelector(s: string): unknown } }).document?.querySelector(
          '[aria-busy="true"]',
        ),
    );
  });
  await call('PUT', '/v1/orgs/acme', { token: admin, body: { max_keys: 20 } });
  await shoot('console-first-run.png', desktop, async (page) => {
    await page.getByRole('combobox', { name: 'Organization' }).selectOption('acme');
    await page.getByRole('textbox', { name: 'Create a first key with curl' }).waitFor();
  });
  await shoot('console-keys-360.png', { width: 360, height: 800, colorScheme: 'light' }, async () => {});

  process.stdout.write(`screenshots written to ${out}\n`);
} finally {
  await browser.close();
  await server.stop();
  await latchkey.stop();
}
