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
import type { MiddlewareHandler } from 'hono';
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
}

/** The URL's path exactly as received: no normalising, no decoding, no query. */
function rawPathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1) return '/';
  const end = url.indexOf('?', start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
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
      headers: c.req.raw.headers,
      body: hasBody ? new Uint8Array(await c.req.arrayBuffer()) : null,
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
