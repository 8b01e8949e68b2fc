/**
 * An orders API on Hono, every route behind latchkey's verifier: a refused request is answered by the
 * middleware (401, 403, 404, 429, 503 in latchkey's error body); the handlers see only verified callers.
 * `server.ts` serves it; the test suite serves it against local mode's DynamoDB.
 */
import { Hono } from 'hono';
import type { Verifier, VerifierRoute } from 'latchkey/verify';
import { type LatchkeyVariables, latchkey } from 'latchkey/verify/hono';

/** Who may call what: reads need api:read, creating an order orders:write. */
export const ROUTES: VerifierRoute[] = [
  { method: 'GET', path: '/orders/{id}' },
  { method: 'POST', path: '/orders', permission: 'api:write' },
];

export function createApp(verifier: Verifier) {
  const app = new Hono<{ Variables: LatchkeyVariables }>();
  app.use(latchkey(verifier));
  app.get('/orders/:id', (c) => {
    const caller = c.get('caller');
    return c.json({ id: c.req.param('id'), org: caller.orgId, scheme: caller.scheme });
  });
  app.post('/orders', async (c) => {
    // The body the client signed (checked against its Content-Digest by the middleware).
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.json({ org: c.get('caller').orgId, bytes: bytes.byteLength }, 201);
  });
  return app;
}
