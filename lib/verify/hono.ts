/**
 * `latchkey/verify/hono`: Hono middleware that verifies every request it sees and sets the caller
 * (`c.get('caller')`); a refused request is answered with latchkey's error body, status and headers and
 * never reaches your handler. The body is read through Hono's request, which keeps it: your handler can
 * still call `c.req.json()`, `c.req.text()` or `c.req.arrayBuffer()` (not `c.req.raw`'s own readers).
 *
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from 'latchkey/verify';
 * import { latchkey, type LatchkeyVariables } from 'latchkey/verify/hono';
 *
 * const app = new Hono<{ Variables: LatchkeyVariables }>();
 * app.use(latchkey(createVerifier({ routes })));
 * app.get('/orders/:id', (c) => c.json({ org: c.get('caller').orgId }));
 * ```
 *
 * Hono is a peer dependency: this module imports only its types.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { forwardedFor } from './headers';
import type { VerifyRefusal } from './refusal';
import type { VerifiedCaller } from './types';
import type { Verifier } from './verifier';

/** The variables the middleware sets: `caller`. */
export interface LatchkeyVariables {
  caller: VerifiedCaller;
}

export interface LatchkeyHonoOptions {
  /** Called with every refusal before it is answered: log `reason` and `keyId` here (never the headers). */
  readonly onRefused?: (refusal: VerifyRefusal) => void;
  /**
   * How many proxies you run in front of the app and trust to append to `X-Forwarded-For` (a load
   * balancer: 1). Set, the source address for `allowed_cidrs` is that entry of the header, never the
   * socket's; leave it unset when clients reach the app directly, or they can claim any address.
   * @default 0 - the socket's peer address (Node's `@hono/node-server`: `c.env.incoming.socket`)
   */
  readonly trustForwardedFor?: number;
  /**
   * The source address, from whatever your runtime offers (Hono's `getConnInfo(c).remote.address`).
   * Takes precedence over both defaults.
   */
  readonly sourceIp?: (c: Context) => string | undefined;
}

/** The peer address `@hono/node-server` exposes through its bindings, if this is that server. */
function nodeSocketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}

/** The URL's path exactly as received: no normalising, no decoding, no query. */
function rawPathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1) return '/';
  const end = url.indexOf('?', start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
}

/** The URL's query exactly as received, without its `?` ('' when none). */
function rawQueryOf(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return '';
  const end = url.indexOf('#', start);
  return end === -1 ? url.slice(start + 1) : url.slice(start + 1, end);
}

export function latchkey(
  verifier: Verifier,
  options: LatchkeyHonoOptions = {},
): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async (c, next) => {
    const hasBody = c.req.raw.body !== null;
    const result = await verifier.verify({
      method: c.req.method,
      path: rawPathOf(c.req.url),
      query: rawQueryOf(c.req.url),
      headers: c.req.raw.headers,
      body: hasBody ? new Uint8Array(await c.req.arrayBuffer()) : null,
      ...optional(
        options.sourceIp
          ? options.sourceIp(c)
          : options.trustForwardedFor
            ? forwardedFor(c.req.raw.headers, options.trustForwardedFor)
            : nodeSocketAddress(c),
      ),
    });
    if (!result.allowed) {
      options.onRefused?.(result);
      return c.json(result.body, result.status, { ...result.headers });
    }
    c.set('caller', result.caller);
    await next();
    return undefined;
  };
}

const optional = (sourceIp: string | undefined) => (sourceIp === undefined ? {} : { sourceIp });
