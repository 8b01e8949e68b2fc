/**
 * Serves the web console: maps a request under `/console` (the path without the API stage) to a
 * `{status, headers, body}` answer with the console's security headers on every response, including
 * errors. `GET /console` is the page; its asset URLs are relative (`console/app.js`), so they resolve
 * to `/console/app.js` locally and to `/<stage>/console/app.js` on an execute-api URL alike, and the
 * page calls the API at `v1/…` relative to the same base. `/console/` redirects to `../console` (also
 * relative) so that a trailing slash cannot shift those URLs. The asset texts come from
 * `assets.generated.json`, written by `npm run build:console` and bundled into whatever imports this
 * module. Pure: no I/O, no environment.
 */
import { findRoute } from '../core/routes';
import generated from './assets.generated.json';

export interface ConsoleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ConsoleAssets = Readonly<Record<string, string>>;

/** The console's page, from the route table. */
export const CONSOLE_PATH = findRoute('console').path;

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** On every console response, success or error. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export const BUILT_CONSOLE_ASSETS: ConsoleAssets = generated;

function answer(status: number, headers: Record<string, string>, body: string): ConsoleResponse {
  return { status, headers: { ...CONSOLE_SECURITY_HEADERS, ...headers }, body };
}

function plain(status: number, text: string, extra: Record<string, string> = {}): ConsoleResponse {
  return answer(
    status,
    { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra },
    text,
  );
}

/** True for `/console` and anything under `/console/`. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * The answer to `method path` (path without stage or query). HEAD answers like GET with an empty body;
 * other methods get 405; unknown names, dot files and nested paths get 404.
 */
export function serveConsole(
  method: string,
  path: string,
  assets: ConsoleAssets = BUILT_CONSOLE_ASSETS,
): ConsoleResponse {
  if (!isConsolePath(path)) return plain(404, 'Not found.\n');
  const verb = method.toUpperCase();
  if (verb !== 'GET' && verb !== 'HEAD') return plain(405, 'Method not allowed.\n', { allow: 'GET, HEAD' });
  const res = resolveAsset(path, assets);
  return verb === 'HEAD' ? { ...res, body: '' } : res;
}

function resolveAsset(path: string, assets: ConsoleAssets): ConsoleResponse {
  if (path === `${CONSOLE_PATH}/`) return plain(308, 'See ../console\n', { location: '../console' });
  // The page is only at /console: at /console/index.html its relative asset URLs would not resolve.
  const name = path === CONSOLE_PATH ? 'index.html' : path.slice(CONSOLE_PATH.length + 1);
  if (name === 'index.html' && path !== CONSOLE_PATH) return plain(404, 'Not found.\n');
  const ext = /^[a-z0-9-]+\.([a-z]+)$/.exec(name)?.[1];
  const body = Object.hasOwn(assets, name) ? assets[name] : undefined;
  const type = ext ? CONTENT_TYPES[ext] : undefined;
  if (body === undefined || type === undefined) return plain(404, 'Not found.\n');
  // The page must never be cached (it is the entry point); assets revalidate each time (they are small
  // and keep their names across builds).
  return answer(
    200,
    { 'content-type': type, 'cache-control': name === 'index.html' ? 'no-store' : 'no-cache' },
    body,
  );
}
