/**
 * The console in real Chromium (Debian's package, driven by playwright-core), against local mode
 * in-process and served on the same origin as the API by the console's own serving module. Everything
 * a person does goes through accessible names: sign in, create and copy the once-only token, list and
 * search, rotate, revoke through the dialog, credits (create, add, edit, remove), a hostile key name,
 * reload and idle sign-out paths, the organization page, security headers on every console response, axe-core and a 360 px viewport.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '#console/serve';
import type { LocalMode } from '#local/local-mode';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { type ConsoleServer, launchChromium, startConsoleServer } from './harness';

const run = promisify(execFile);
let latchkey: LocalMode;
let server: ConsoleServer;
let browser: Browser;
let call: Call;
const contexts: BrowserContext[] = [];
/** Browser dialogs (alert/confirm/prompt) and CSP reports: both must stay empty. */
const browserDialogs: string[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  latchkey = await startTestLatchkey({ settings: { LATCHKEY_PLANS: '{"starter": 3, "enterprise": null}' } });
  call = client(latchkey.url);
  server = await startConsoleServer(latchkey.url);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await latchkey?.stop();
});

async function openConsole(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    browserDialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  await page.goto(`${server.url}/console`);
  return page;
}

async function signIn(page: Page, credential: string): Promise<void> {
  await page.getByLabel('Admin key or API key').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a key row's "Actions" menu and chooses one of its items. */
async function rowAction(page: Page, name: RegExp, action: string): Promise<void> {
  const row = page.getByRole('row', { name });
  await row.getByRole('button', { name: 'Actions' }).click();
  await row.getByRole('menuitem', { name: action, exact: true }).click();
}

async function seriousViolations(page: Page): Promise<string[]> {
  // evaluate() runs through the DevTools protocol, so the page's CSP stays in force for the page itself.
  await page.evaluate(axe.source);
  const result = (await page.evaluate('axe.run(document)')) as {
    violations: { id: string; impact: string; nodes: unknown[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
}

/** Runs a shell command the console offers to copy, with the given variables; resolves to its stdout. */
async function shell(command: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run('sh', ['-c', command], { env: { PATH: process.env.PATH, ...env } });
  return stdout;
}

async function whoamiStatus(token: string): Promise<number> {
  return (await call('GET', '/v1/whoami', { token })).status;
}

describe('the web console', () => {
  it('serves the page and its assets with the security headers, and 404s unknown assets', async () => {
    const page = await fetch(`${server.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('src="console/app.js"');
    expect(html).not.toMatch(/<script>|<style|style=/);
    const js = await fetch(`${server.url}/console/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const css = await fetch(`${server.url}/console/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await fetch(`${server.url}/console/nope.js`);
    expect(missing.status).toBe(404);
    const slash = await fetch(`${server.url}/console/`, { redirect: 'manual' });
    expect(slash.status).toBe(308);
    expect(new URL(slash.headers.get('location') ?? '', `${server.url}/console/`).pathname).toBe('/console');
    for (const res of [page, js, css, missing, slash]) {
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('refuses a wrong credential with the API message and request id, then signs in the admin', async () => {
    const page = await openConsole();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Admin key or API key').fill('lk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Request ID' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/A valid API key or admin key is required\..*HTTP 401/);
    await signIn(page, latchkey.adminKey);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    expect(await page.getByLabel('Admin key or API key').count()).toBe(0);
  });

  it('creates a key, shows its token once, copies it, and the token works', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('billing-worker');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const tokenField = page.getByRole('textbox', { name: 'New token', exact: true });
    await tokenField.waitFor();
    const token = await tokenField.inputValue();
    expect(token).toMatch(/^lk_/);
    expect(await tokenField.getAttribute('readonly')).not.toBeNull();
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied').waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).toBe(token);
    expect(await whoamiStatus(copied)).toBe(200);
    await page.getByRole('row', { name: /billing-worker/ }).waitFor();
    // Leaving the page drops the token from the page.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'New token', exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(token);
  });

  it('registers a public-key key from an Ed25519 public key: no token revealed, the key page shows it', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x as string;
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('ed-signer');
    await dialog
      .getByLabel('Public key (Ed25519)')
      .fill(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('row', { name: /ed-signer/ }).waitFor();
    expect(await page.getByRole('textbox', { name: 'New token', exact: true }).count()).toBe(0);
    await page.getByRole('link', { name: 'ed-signer' }).click();
    const details = page.getByRole('region', { name: 'Details' });
    await details.waitFor();
    expect(await details.textContent()).toContain('Signature algorithmed25519');
    expect(await details.textContent()).toContain(`Public key (Ed25519)${raw}`);
    await page
      .locator('[aria-busy]')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('says in plain words to store a new token, and takes it away once that key is revoked', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('reveal-then-revoke');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const token = await page.getByRole('textbox', { name: 'New token', exact: true }).inputValue();
    await page.getByRole('status').filter({ hasText: 'Created “reveal-then-revoke”.' }).waitFor();
    const reveal = page.getByRole('region', { name: /New key “reveal-then-revoke”/ });
    expect(await reveal.textContent()).toContain('cannot show it again');
    expect(await page.locator('body').textContent()).not.toContain('raw_key');
    await rowAction(page, /reveal-then-revoke/, 'Revoke');
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('status').filter({ hasText: 'Revoked “reveal-then-revoke”.' }).waitFor();
    await page.getByText('The new token for “reveal-then-revoke” was revoked; it no longer works.').waitFor();
    expect(await page.getByRole('textbox', { name: 'New token', exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(token);
  });

  it("keeps the create dialog's buttons and its error on screen at 1280×800", async () => {
    const page = await openConsole({ width: 1280, height: 800 });
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('fits-on-screen');
    await dialog.getByLabel('Metadata').fill('not a pair');
    const inView = async (box: { y: number; height: number } | null) =>
      box !== null && box.y >= 0 && box.y + box.height <= 800;
    const create = dialog.getByRole('button', { name: 'Create', exact: true });
    expect(await inView(await create.boundingBox())).toBe(true);
    await create.click();
    const error = dialog.getByRole('alert').filter({ hasText: 'Metadata line 1' });
    await error.waitFor();
    expect(await inView(await error.boundingBox())).toBe(true);
    expect(await inView(await create.boundingBox())).toBe(true);
  });

  it('shows the time of an expiry less than a day away, the date of a later one', async () => {
    const soon = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await createKey(call, latchkey.adminKey, { name: 'expires-soon', expires_at: soon });
    await createKey(call, latchkey.adminKey, { name: 'expires-later', expires_at: later });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    const cell = (name: string) =>
      page.getByRole('row', { name: new RegExp(name) }).locator('td[data-label="Expires"]');
    await cell('expires-soon').waitFor();
    expect(await cell('expires-soon').textContent()).toBe(`${soon.slice(0, 16).replace('T', ' ')} UTC`);
    expect(await cell('expires-later').textContent()).toBe(later.slice(0, 10));
  });

  it('lines up the filter row: the organization, status and search labels share one baseline', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    const top = async (text: string) =>
      (await page.locator('.filters label', { hasText: text }).boundingBox())?.y;
    const org = await top('Organization');
    expect(org).toBeDefined();
    expect(await top('Status')).toBe(org);
    expect(await top('Search by name or key id')).toBe(org);
  });

  it('lists keys with the contract columns, searches by name, and passes axe', async () => {
    await createKey(call, latchkey.adminKey, { name: 'search-alpha' });
    await createKey(call, latchkey.adminKey, { name: 'search-beta', description: 'second one' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    for (const name of [
      'Name',
      'Token prefix',
      'Roles',
      'Status',
      'Created',
      'Calls',
      'Last used',
      'Expires',
    ]) {
      await page.getByRole('columnheader', { name, exact: true }).waitFor();
    }
    await page.getByRole('row', { name: /search-beta/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Search by name or key id').fill('alpha');
    await page.getByRole('row', { name: /search-beta/ }).waitFor({ state: 'detached' });
    expect(await page.getByRole('row', { name: /search-alpha/ }).count()).toBe(1);
  });

  it('searches names on the server, finding a key past the first page, and ids without the secret', async () => {
    const org = 'search-deep';
    await call('PUT', `/v1/orgs/${org}`, { token: latchkey.adminKey, body: { max_keys: null } });
    const needle = await createKey(call, latchkey.adminKey, { name: 'deep-needle', org_id: org });
    for (let i = 0; i < 55; i++) await createKey(call, latchkey.adminKey, { name: `hay-${i}`, org_id: org });
    const page = await openConsole();
    const sent: string[] = [];
    page.on('request', (request) => sent.push(request.url()));
    await signIn(page, latchkey.adminKey);
    const picker = page.getByRole('combobox', { name: 'Organization' });
    await picker.selectOption(org);
    await page.getByRole('row', { name: /hay-54/ }).waitFor();
    expect(await page.getByRole('row', { name: /deep-needle/ }).count()).toBe(0);
    const box = page.getByLabel('Search by name or key id');
    await box.fill('needle');
    await page.getByRole('row', { name: /deep-needle/ }).waitFor();
    expect(await page.getByRole('row').count()).toBe(2); // the header and the one match
    expect(sent.some((url) => /\/v1\/keys\?.*name=needle/.test(url))).toBe(true);
    // Case-sensitive, as the hint says.
    await box.fill('NEEDLE');
    await page.getByText('No keys match.').waitFor();
    // A pasted full token is looked up by its key id; its secret never leaves the page.
    await box.fill(needle.token);
    await page.getByRole('row', { name: /deep-needle/ }).waitFor();
    const secret = needle.token.split('_').slice(2).join('_');
    expect(sent.some((url) => url.includes(secret))).toBe(false);
    expect(sent.some((url) => url.endsWith(`/v1/keys/${needle.id}`))).toBe(true);
    // So is anything shaped like the admin key.
    await box.fill(latchkey.adminKey);
    await page.getByText(/looks like a secret/).waitFor();
    expect(sent.some((url) => url.includes(latchkey.adminKey))).toBe(false);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('row', { name: /hay-54/ }).waitFor();
    expect(await box.inputValue()).toBe('');
  });

  it('shows an empty organization the curl that creates its first key, then the curl that tries it', async () => {
    const org = 'first-run';
    await call('PUT', `/v1/orgs/${org}`, { token: latchkey.adminKey, body: { max_keys: 5 } });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('combobox', { name: 'Organization' }).selectOption(org);
    const first = page.getByRole('textbox', { name: 'Create a first key with curl' });
    await first.waitFor();
    const command = await first.inputValue();
    expect(command).toContain(`'${server.url}/v1/keys'`);
    expect(command).toContain('"org_id":"first-run"');
    expect(command).toContain('$LATCHKEY_KEY');
    expect(command).not.toContain(latchkey.adminKey);
    await page.getByRole('button', { name: 'Copy command' }).click();
    expect(String(await page.evaluate('navigator.clipboard.readText()'))).toBe(command);
    expect(await seriousViolations(page)).toEqual([]);
    // The command works as copied, given the admin key in LATCHKEY_KEY.
    const created = JSON.parse(await shell(command, { LATCHKEY_KEY: latchkey.adminKey })) as {
      key: { name: string; org_id: string };
    };
    expect(created.key).toMatchObject({ name: 'my-first-key', org_id: org });

    // After "Create key", the reveal shows the next step: a call with the new token.
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('first-run-console');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const token = await page.getByRole('textbox', { name: 'New token', exact: true }).inputValue();
    const next = await page.getByRole('textbox', { name: 'Next: try the new key with curl' }).inputValue();
    expect(next).toContain(`'${server.url}/v1/whoami'`);
    expect(next).not.toContain(token);
    const who = JSON.parse(await shell(next, { API_KEY: token })) as { key: { name: string } };
    expect(who.key.name).toBe('first-run-console');
  });

  it('rotates a key: a new token is revealed and the old one stops at once with "Now"', async () => {
    const old = await createKey(call, latchkey.adminKey, { name: 'rotate-me' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await rowAction(page, /rotate-me/, 'Rotate');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: /Rotate “rotate-me”/ }).waitFor();
    await dialog.getByLabel('Now').check();
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    const fresh = await page.getByRole('textbox', { name: 'New token', exact: true }).inputValue();
    await page.getByText('The old token has stopped working.').waitFor();
    expect(fresh).not.toBe(old.token);
    expect(await whoamiStatus(fresh)).toBe(200);
    expect(await whoamiStatus(old.token)).toBe(401);
  });

  it('shows a rotated key as Rotating (linked to its successor) or Rotated, offering only Revoke', async () => {
    const inGrace = await createKey(call, latchkey.adminKey, { name: 'rotation-grace' });
    const over = await createKey(call, latchkey.adminKey, { name: 'rotation-over' });
    const successors: Record<string, string> = {};
    for (const [key, grace] of [
      [inGrace, 3600],
      [over, 0],
    ] as const) {
      const res = await call<{ key: { id: string } }>('POST', `/v1/keys/${key.id}/rotate`, {
        token: latchkey.adminKey,
        body: { grace_period_seconds: grace },
      });
      expect(res.status).toBe(201);
      successors[key.id] = res.body.key.id;
    }
    const page = await openConsole();
    // The rotation statuses are the API contract's; an API that does not report them yet is answered
    // as the contract says (fields it already reports are kept as they are).
    await page.route(/\/v1\/keys\?/, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { keys: Record<string, unknown>[] };
      for (const key of body.keys) {
        const id = key.id as string;
        const successor = successors[id];
        if (!successor) continue;
        key.rotated_to ??= successor;
        if (key.status !== 'rotating' && key.status !== 'rotated') {
          key.status = id === inGrace.id ? 'rotating' : 'rotated';
        }
      }
      await route.fulfill({ response, json: body });
    });
    await signIn(page, latchkey.adminKey);
    const rotating = page
      .getByRole('row', { name: /rotation-grace/ })
      .filter({ has: page.getByText('Rotating', { exact: true }) });
    const rotated = page
      .getByRole('row', { name: /rotation-over/ })
      .filter({ has: page.getByText('Rotated', { exact: true }) });
    await rotating.waitFor();
    await rotated.waitFor();
    for (const row of [rotating, rotated]) {
      expect(await row.getByRole('button').count()).toBe(1);
      await row.getByRole('button', { name: 'Actions' }).click();
      expect(await row.getByRole('menuitem').allTextContents()).toEqual(['Revoke']);
      await page.keyboard.press('Escape');
    }
    expect(await page.getByLabel('Status').locator('option').allTextContents()).toEqual(
      expect.arrayContaining(['Rotating', 'Rotated']),
    );
    await rotating.getByRole('link', { name: /replaced by/ }).click();
    await page.waitForURL(new RegExp(`#/keys/${successors[inGrace.id]}$`));
    await page.getByRole('heading', { name: 'rotation-grace', level: 1 }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('revokes a key through a dialog that names it; the key then gets 401', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'revoke-me' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    const row = page.getByRole('row', { name: /revoke-me/ });
    await rowAction(page, /revoke-me/, 'Revoke');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Revoke “revoke-me”?' }).waitFor();
    // Cancel is the default for a destructive dialog.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('Revoked').waitFor();
    expect(await whoamiStatus(key.token)).toBe(401);
  });

  it("puts a row's actions in one keyboard-operable Actions menu of what the key's status allows", async () => {
    const active = await createKey(call, latchkey.adminKey, { name: 'menu-active' });
    const paused = await createKey(call, latchkey.adminKey, { name: 'menu-disabled' });
    await call('PATCH', `/v1/keys/${paused.id}`, { token: latchkey.adminKey, body: { enabled: false } });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    const row = page.getByRole('row', { name: /menu-active/ });
    await row.waitFor();
    // One narrow button per row (Edit, Rotate, Disable and Revoke side by side took about 290 px).
    expect(await row.getByRole('button').count()).toBe(1);
    const button = row.getByRole('button', { name: 'Actions for menu-active' });
    expect((await button.boundingBox())?.width).toBeLessThan(120);
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    const menu = row.getByRole('menu');
    expect(await menu.count()).toBe(0);
    const focused = () => page.evaluate('document.activeElement.textContent');
    await button.focus();
    await page.keyboard.press('Enter');
    await menu.waitFor();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual([
      'Edit',
      'Rotate',
      'Disable',
      'Revoke',
    ]);
    expect(await focused()).toBe('Edit');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Rotate');
    await page.keyboard.press('End');
    expect(await focused()).toBe('Revoke');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Edit');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Revoke');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await focused()).toContain('Actions');
    // ArrowUp opens on the last item; choosing one runs it, and its dialog returns focus to the button.
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Revoke');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Revoke “menu-active”?' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await focused()).toContain('Actions');
    expect(await whoamiStatus(active.token)).toBe(200);
    // A disabled key offers Enable instead of Rotate and Disable; a click outside closes its menu.
    const pausedRow = page.getByRole('row', { name: /menu-disabled/ });
    await pausedRow.getByRole('button', { name: 'Actions' }).click();
    expect(await pausedRow.getByRole('menuitem').allTextContents()).toEqual(['Edit', 'Enable', 'Revoke']);
    await page.getByRole('heading', { name: 'Keys', level: 1 }).click();
    await pausedRow.getByRole('menu').waitFor({ state: 'hidden' });
  });

  it('edits a key: the dialog lists the change before saving, and the API holds it after', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'edit-me' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await rowAction(page, /edit-me/, 'Edit');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Rate limit per minute').fill('120');
    await dialog.getByLabel('Metadata').fill('plan=pro');
    await dialog.getByText('Rate limit: 60 → 120/min').waitFor();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = await call<{ key: { rate_limit_per_minute: number; metadata: Record<string, string> } }>(
      'GET',
      `/v1/keys/${key.id}`,
      { token: latchkey.adminKey },
    );
    expect(after.body.key.rate_limit_per_minute).toBe(120);
    expect(after.body.key.metadata).toEqual({ plan: 'pro' });
  });

  it('sets allowed networks in the edit dialog and shows them on the key page', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'networks-me' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await rowAction(page, /networks-me/, 'Edit');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Allowed networks').fill('2001:DB8::/32\n10.0.0.0/8');
    await dialog.getByText('Allowed networks: changed').waitFor();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = await call<{ key: { allowed_cidrs: string[] } }>('GET', `/v1/keys/${key.id}`, {
      token: latchkey.adminKey,
    });
    expect(after.body.key.allowed_cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    await page.getByRole('link', { name: 'networks-me' }).click();
    const details = page.getByRole('region', { name: 'Details' });
    await details.getByText('2001:db8::/32').waitFor();
    expect(await details.textContent()).toContain('10.0.0.0/8');
  });

  it('creates a key with credits, shows them, adds credits, changes the refill and removes them', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const create = page.getByRole('dialog');
    await create.getByLabel('Key name').fill('credits-me');
    await create.getByLabel('Starting balance').fill('500');
    await create.getByLabel('Refill', { exact: true }).selectOption({ label: 'Every month' });
    await create.getByLabel('Refill amount').fill('1000');
    await create.getByLabel('Refill day of the month').fill('15');
    await create.getByLabel('Refill cap').fill('5000');
    await create.getByLabel('Low threshold').fill('50');
    await create.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('textbox', { name: 'New token', exact: true }).waitFor();
    const listed = await call<{ keys: { id: string; credits: unknown }[] }>(
      'GET',
      '/v1/keys?name=credits-me',
      {
        token: latchkey.adminKey,
      },
    );
    const id = listed.body.keys[0]?.id ?? '';
    expect(listed.body.keys[0]?.credits).toMatchObject({
      remaining: 500,
      refill: { amount: 1000, every: 'month', day: 15, mode: 'add', max: 5000 },
      low_threshold: 50,
    });

    await page.getByRole('link', { name: 'credits-me' }).click();
    const credits = page.getByRole('region', { name: 'Credits' });
    await credits.getByText('500 credits').waitFor();
    const shown = await credits.textContent();
    expect(shown).toContain('1,000 every month on day 15, added up to 5,000');
    expect(shown).toMatch(/Next refill\d{4}-\d{2}-15 00:00 UTC/);
    expect(shown).toContain('Below 50');
    await page
      .locator('[aria-busy]')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Add credits' }).click();
    const add = page.getByRole('dialog');
    await add.getByText('Balance now: 500 credits.').waitFor();
    await add.getByLabel('Credits to add').fill('1.5');
    await add.getByRole('button', { name: 'Add credits' }).click();
    await add
      .getByRole('alert')
      .getByText('Credits to add: enter a whole number from 1 to 1,000,000,000,000.')
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await add.getByLabel('Credits to add').fill('250');
    await add.getByRole('button', { name: 'Add credits' }).click();
    await add.waitFor({ state: 'detached' });
    await page.getByText('Added 250 credits to “credits-me”: the balance is now 750.').waitFor();
    await credits.getByText('750 credits').waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog');
    await edit.getByLabel('Refill mode').selectOption({ label: 'Replace the balance' });
    await edit.getByText('Credits: refill or threshold changed').waitFor();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await credits.getByText('1,000 every month on day 15, replacing the balance').waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await edit.getByLabel('Balance', { exact: true }).fill('');
    await edit.getByText('Credits: removed (unlimited)').waitFor();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await credits.getByText(/^Unlimited/).waitFor();
    expect(await page.getByRole('button', { name: 'Add credits' }).count()).toBe(0);
    const after = await call<{ key: { credits: unknown } }>('GET', `/v1/keys/${id}`, {
      token: latchkey.adminKey,
    });
    expect(after.body.key.credits).toBeNull();
  });

  it('offers expiry presets (30 days, 90 days, Never) beside the date field, in create and edit', async () => {
    const page = await openConsole({ width: 1280, height: 800 });
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key name').fill('preset-90');
    const presets = dialog.getByRole('group', { name: 'Expiry presets' });
    expect(await presets.getByRole('button').allTextContents()).toEqual(['30 days', '90 days', 'Never']);
    // Beside the date field: on the same line.
    const fieldBox = await dialog.getByLabel('Expires (UTC)').boundingBox();
    const presetBox = await presets.getByRole('button', { name: '90 days' }).boundingBox();
    expect(fieldBox && presetBox && Math.abs(fieldBox.y - presetBox.y)).toBeLessThan(8);
    await presets.getByRole('button', { name: '90 days' }).click();
    const before = Date.now();
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const listed = await call<{ keys: { id: string; expires_at: string | null }[] }>(
      'GET',
      '/v1/keys?name=preset-90',
      { token: latchkey.adminKey },
    );
    const created = listed.body.keys[0];
    const ninety = before + 90 * 86_400_000;
    expect(Math.abs(Date.parse(created?.expires_at ?? '') - ninety)).toBeLessThan(3 * 60_000);

    await rowAction(page, /preset-90/, 'Edit');
    const edit = page.getByRole('dialog');
    await edit.getByRole('button', { name: '30 days' }).click();
    await edit.getByText(/^Expires: .* → \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/).waitFor();
    await edit.getByRole('button', { name: 'Never' }).click();
    await edit.getByText(/^Expires: .* → never$/).waitFor();
    expect(await edit.getByLabel('Expires (UTC)').inputValue()).toBe('');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    const after = await call<{ key: { expires_at: string | null } }>('GET', `/v1/keys/${created?.id}`, {
      token: latchkey.adminKey,
    });
    expect(after.body.key.expires_at).toBeNull();
  });

  it('renames a key without touching its seconds-precise expiry (no expiry change in the audit)', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    expiresAt.setUTCSeconds(30, 500);
    const key = await createKey(call, latchkey.adminKey, {
      name: 'keep-expiry',
      expires_at: expiresAt.toISOString(),
    });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await rowAction(page, /keep-expiry/, 'Edit');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('keep-expiry-renamed');
    await dialog.getByText('Name: keep-expiry → keep-expiry-renamed').waitFor();
    expect(await dialog.getByText(/^Expires:/).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = await call<{ key: { name: string; expires_at: string } }>('GET', `/v1/keys/${key.id}`, {
      token: latchkey.adminKey,
    });
    expect(after.body.key.name).toBe('keep-expiry-renamed');
    expect(after.body.key.expires_at).toBe(expiresAt.toISOString());
    const audit = await call<{ events: { type: string; changes: Record<string, unknown> }[] }>(
      'GET',
      `/v1/audit?key_id=${key.id}`,
      { token: latchkey.adminKey },
    );
    const updates = audit.body.events.filter((e) => e.type === 'key.updated');
    expect(updates.map((e) => Object.keys(e.changes))).toEqual([['name']]);
  });

  it('disables a key behind a dialog (then 401) and enables it again (then 200)', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'pause-me' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    const row = page.getByRole('row', { name: /pause-me/ });
    await rowAction(page, /pause-me/, 'Disable');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: /Disable “pause-me”/ }).waitFor();
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('Disabled').waitFor();
    expect(await whoamiStatus(key.token)).toBe(401);
    // The badge's icon is drawn, not a font glyph (Debian's fonts have no ⏸ and showed an empty box).
    const badge = row.locator('.badge-disabled');
    expect(await badge.locator('svg path').count()).toBe(1);
    // (The test code is type-checked without the DOM library; the function runs in the page.)
    const before = await badge.evaluate(
      (el) =>
        (
          globalThis as unknown as { getComputedStyle: (e: unknown, p: string) => { content: string } }
        ).getComputedStyle(el, '::before').content,
    );
    expect(before).toBe('none');
    await rowAction(page, /pause-me/, 'Enable');
    await row.getByText('Active').waitFor();
    expect(await whoamiStatus(key.token)).toBe(200);
  });

  it("shows a key's 30-day chart with a text alternative, and its audit trail", async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'charted' });
    for (let i = 0; i < 3; i++) expect(await whoamiStatus(key.token)).toBe(200);
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'charted', exact: true }).click();
    const chart = page.getByRole('img', { name: /3 calls/ });
    await chart.waitFor();
    await page.getByRole('button', { name: 'Show as table' }).click();
    const table = page.getByRole('table', { name: /calls/i });
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBe(31);
    await page.getByText('key.created').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("stacks a key's refusals by outcome on its chart, with a legend and the same numbers in the table", async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'refused-chart', rate_limit_per_minute: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await whoamiStatus(key.token));
    // Two allowed, three over the limit (unless the minute turned between them: then more allowed).
    const allowed = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 403).length;
    expect(allowed + limited).toBe(5);
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'refused-chart', exact: true }).click();
    const chart = page.getByRole('img', {
      name: new RegExp(`${allowed} calls .*; ${limited} refused \\(rate limited ${limited}\\)`),
    });
    await chart.waitFor();
    const legend = page.getByRole('list', { name: 'Chart legend' });
    await legend.getByText('Refused: Rate limited').waitFor();
    await page.getByRole('button', { name: 'Show as table' }).click();
    const table = page.getByRole('table', { name: /calls/i });
    await table.getByRole('columnheader', { name: 'Refused: Rate limited' }).waitFor();
    const today = table.getByRole('row').last();
    expect(await today.getByRole('cell').allTextContents()).toEqual([String(allowed), String(limited)]);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('renders a hostile key name as text and runs nothing', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const key = await createKey(call, latchkey.adminKey, {
      name: hostile,
      description: '<script>alert(2)</script>',
    });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: hostile, exact: true }).waitFor();
    await page.getByText('<script>alert(2)</script>', { exact: true }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    await page.getByRole('link', { name: hostile, exact: true }).click();
    await page.getByRole('heading', { name: hostile, level: 1 }).waitFor();
    expect(page.url()).toContain(`#/keys/${key.id}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(browserDialogs).toEqual([]);
  });

  it('shows every field of a key on its detail page, which passes axe', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'detail-me', description: 'for detail' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'detail-me' }).click();
    await page.getByRole('heading', { name: 'detail-me', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Calls, last 30 days' }).waitFor();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    const details = page.getByRole('region', { name: 'Details' });
    expect(await details.textContent()).toContain(key.id);
    expect(await details.textContent()).toContain('for detail');
    await page
      .locator('[aria-busy]')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('keeps the page the operator moved to when a slow answer for the previous page arrives', async () => {
    const key = await createKey(call, latchkey.adminKey, { name: 'slow-detail' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'slow-detail' }).waitFor();
    // Hold the key's own answer (a success) and another key's (a 404) until the operator has moved on.
    const missing = 'A'.repeat(16);
    for (const [id, label] of [
      [key.id, 'the key'],
      [missing, 'a missing key'],
    ]) {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let arrived = () => {};
      const held = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const url = `${server.url}/v1/keys/${id}`;
      await page.route(url, async (route) => {
        arrived();
        await released;
        await route.continue();
      });
      await page.evaluate(`location.hash = '#/keys/${id}'`);
      await held;
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
      const answered = page.waitForResponse(url);
      release();
      expect((await answered).status(), label).toBe(id === key.id ? 200 : 404);
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
      expect(await page.getByRole('heading', { level: 1 }).allTextContents(), label).toEqual(['Activity']);
      expect(await page.getByRole('alert').filter({ hasText: /\S/ }).count(), label).toBe(0);
      expect(page.url(), label).toMatch(/#\/activity$/);
      await page.unroute(url);
    }
  });

  it('shows and changes the organization key limit (admin)', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByRole('heading', { name: 'default', level: 2 }).waitFor();
    await page.getByLabel('Key limit').fill('500');
    await page.getByRole('button', { name: 'Save limit' }).click();
    await page.getByText(/ of 500 keys \(\d+%\)/).waitFor();
    const org = await call<{ max_keys: number }>('GET', '/v1/orgs/default', { token: latchkey.adminKey });
    expect(org.body.max_keys).toBe(500);
  });

  it("chooses the organization's plan from the deployment's plans", async () => {
    await createKey(call, latchkey.adminKey, { name: 'plan-org key', org_id: 'plan-org' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByRole('combobox', { name: 'Organization' }).selectOption('plan-org');
    await page.getByRole('heading', { name: 'plan-org', level: 2 }).waitFor();
    const plan = page.getByRole('combobox', { name: 'Plan' });
    expect(await plan.locator('option').allTextContents()).toEqual([
      'Choose a plan',
      'starter (3 keys)',
      'enterprise (unlimited)',
    ]);
    await plan.selectOption('starter');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the plan of plan-org.' }).waitFor();
    await page.getByText('1 of 3 keys (33%)').waitFor();
    const org = await call<{ plan: string; max_keys: number }>('GET', '/v1/orgs/plan-org', {
      token: latchkey.adminKey,
    });
    expect(org.body).toMatchObject({ plan: 'starter', max_keys: 3 });
    expect(await page.getByRole('combobox', { name: 'Plan' }).inputValue()).toBe('starter');
    expect(await seriousViolations(page)).toEqual([]);
    // A deployment without plans shows no plan field at all.
    await page.route(/\/v1\/plans$/, (route) => route.fulfill({ json: { plans: {} } }));
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByText('This deployment defines no plans').waitFor();
    expect(await page.getByLabel('Plan').count()).toBe(0);
  });

  it('lists every organization in the picker for the admin key, and shows the one picked', async () => {
    await createKey(call, latchkey.adminKey, { name: 'dropdown-a key', org_id: 'dropdown-a' });
    await createKey(call, latchkey.adminKey, { name: 'dropdown-b key', org_id: 'dropdown-b' });
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    const picker = page.getByRole('combobox', { name: 'Organization' });
    await picker.locator('option', { hasText: 'dropdown-b' }).waitFor({ state: 'attached' });
    const listed = await picker.locator('option').allTextContents();
    expect(listed).toEqual(expect.arrayContaining(['default', 'dropdown-a', 'dropdown-b']));
    expect(listed).toEqual([...listed].sort());
    expect(await picker.inputValue()).toBe('default');
    await picker.selectOption('dropdown-b');
    await page.getByRole('row', { name: /dropdown-b key/ }).waitFor();
    expect(await page.getByRole('row', { name: /dropdown-a key/ }).count()).toBe(0);
    expect(await page.getByRole('caption').textContent()).toContain('organization dropdown-b');
    // The Organization page keeps the pick.
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByRole('heading', { name: 'dropdown-b', level: 2 }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Organization' }).inputValue()).toBe('dropdown-b');
    // A key-scoped session has no picker.
    const scoped = await createKey(call, latchkey.adminKey, { name: 'no-picker', roles: ['admin'] });
    const other = await openConsole();
    await signIn(other, scoped.token);
    await other.getByRole('row', { name: /no-picker/ }).waitFor();
    expect(await other.getByRole('combobox', { name: 'Organization' }).count()).toBe(0);
  });

  it('picks an organization by id when the API offers no organizations list', async () => {
    await createKey(call, latchkey.adminKey, { name: 'picked-org key', org_id: 'picker-org' });
    const page = await openConsole();
    // A deployment without GET /v1/orgs (or one that refuses it) answers 404 or 403.
    await page.route(/\/v1\/orgs(\?|$)/, (route) =>
      route.fulfill({ status: 404, json: { error: { code: 'not_found', message: 'No route.' } } }),
    );
    await signIn(page, latchkey.adminKey);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    await page.getByRole('textbox', { name: 'Organization' }).fill('picker-org');
    await page.getByRole('button', { name: 'Show keys' }).click();
    await page.getByRole('row', { name: /picked-org key/ }).waitFor();
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByRole('heading', { name: 'picker-org', level: 2 }).waitFor();
  });

  it('shows an API refusal with its message and request id (a key without keys:read)', async () => {
    const member = await createKey(call, latchkey.adminKey, { name: 'member-only', roles: ['member'] });
    const page = await openConsole();
    await signIn(page, member.token);
    const alert = page.getByRole('alert').filter({ hasText: 'Request ID' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/not allowed.*HTTP 403 · forbidden · Request ID: \S+/);
    expect(await alert.textContent()).toContain('This key lacks keys:read');
    expect(await page.getByRole('link', { name: 'Organization' }).count()).toBe(0);
  });

  it('returns to sign-in on a 401 (the session key was revoked) and on "Sign out"', async () => {
    const operator = await createKey(call, latchkey.adminKey, { name: 'operator', roles: ['admin'] });
    const page = await openConsole();
    await signIn(page, operator.token);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    await call('DELETE', `/v1/keys/${operator.id}`, { token: latchkey.adminKey });
    // The next API call (the Activity page's audit list) answers 401.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByLabel('Admin key or API key').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Sign in again' }).waitFor();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key or API key').waitFor();
  });

  it('keeps the credential in memory only: a reload signs out and nothing is stored', async () => {
    const page = await openConsole();
    await signIn(page, latchkey.adminKey);
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    const stored = await page.evaluate(
      '({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, url: location.href })',
    );
    expect(stored).toEqual({
      local: 0,
      session: 0,
      cookie: '',
      url: expect.not.stringContaining(latchkey.adminKey),
    });
    await page.reload();
    await page.getByLabel('Admin key or API key').waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('is usable at 360 px: no horizontal scrolling, rows become cards with their actions', async () => {
    await createKey(call, latchkey.adminKey, { name: 'narrow-screen key' });
    const page = await openConsole({ width: 360, height: 740 });
    await signIn(page, latchkey.adminKey);
    const row = page.getByRole('row', { name: /narrow-screen key/ });
    await row.waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    const menu = row.getByRole('button', { name: 'Actions' });
    const menuBox = await menu.boundingBox();
    expect(menuBox && menuBox.x >= 0 && menuBox.x + menuBox.width <= 360).toBe(true);
    expect(menuBox && menuBox.height >= 44).toBe(true);
    await menu.click();
    const revoke = row.getByRole('menuitem', { name: 'Revoke' });
    const box = await revoke.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
    expect(box && box.height >= 44).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog').getByLabel('Key name').waitFor();
  });

  it('sent the security headers on every console response, and the page broke no CSP rule', () => {
    expect(server.consoleResponses.length).toBeGreaterThan(10);
    for (const res of server.consoleResponses) {
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(cspViolations).toEqual([]);
    expect(browserDialogs).toEqual([]);
  });
});
