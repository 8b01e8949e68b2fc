/**
 * The console's serving module (lib/console/serve.ts) as a pure function, and the committed asset
 * bundle against a fresh build of lib/console/app, so the shipped console is always
 * the one in the sources.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, GENERATED_ASSETS, generatedJson } from '#console/build';
import { BUILT_CONSOLE_ASSETS, CONSOLE_CSP, serveConsole } from '#console/serve';

const ASSETS = { 'index.html': '<!doctype html>', 'app.js': 'x()', 'app.css': 'a{}' };

describe('serveConsole', () => {
  it('serves the page at /console and the assets beside it, with content types and cache rules', () => {
    const page = serveConsole('GET', '/console', ASSETS);
    expect(page).toMatchObject({ status: 200, body: '<!doctype html>' });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(serveConsole('GET', '/console/app.js', ASSETS).headers['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(serveConsole('GET', '/console/app.css', ASSETS).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect(serveConsole('HEAD', '/console/app.js', ASSETS)).toMatchObject({ status: 200, body: '' });
  });

  it('answers everything else with 404, 405 or a relative redirect, always with the security headers', () => {
    const answers = [
      ['GET', '/console/nope.js', 404],
      ['GET', '/console/index.html', 404],
      ['GET', '/console/../v1/keys', 404],
      ['GET', '/console/app.js/x', 404],
      ['GET', '/console/constructor', 404],
      ['GET', '/consoles', 404],
      ['POST', '/console', 405],
      ['GET', '/console/', 308],
    ] as const;
    for (const [method, path, status] of answers) {
      const res = serveConsole(method, path, { ...ASSETS, 'index.html': ASSETS['index.html'] });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(serveConsole('GET', '/console/', ASSETS).headers.location).toBe('../console');
    expect(serveConsole('PUT', '/console', ASSETS).headers.allow).toBe('GET, HEAD');
  });

  it('ships a page with relative asset URLs and no inline script or style, small when compressed', () => {
    const html = BUILT_CONSOLE_ASSETS['index.html'] ?? '';
    expect(html).toContain('<script type="module" src="console/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="console/app.css">');
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    expect(BUILT_CONSOLE_ASSETS['app.js']).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|document\.cookie/,
    );
    const gzipped = Object.values(BUILT_CONSOLE_ASSETS).reduce((n, body) => n + gzipSync(body).length, 0);
    expect(gzipped).toBeLessThan(30 * 1024);
  });
});

describe('the committed console bundle', () => {
  it('equals a fresh build of lib/console/app', async () => {
    const fresh = generatedJson(await buildConsoleAssets());
    // On failure: npm run build:console, and commit lib/console/assets.generated.json.
    expect(readFileSync(GENERATED_ASSETS, 'utf8') === fresh).toBe(true);
  }, 60_000);
});
