/**
 * The same orders API on Express, every route behind latchkey's verifier: a refused request is answered
 * by the middleware (401, 403, 404, 429, 503 in latchkey's error body); the handlers see only verified
 * callers (`req.caller`). `express.json` keeps the raw bytes (`keepRawBody`) so that a signed body can be
 * checked against its Content-Digest. `server.ts` serves it; the test suite serves it against local
 * mode's DynamoDB.
 */
import express from 'express';
import type { Verifier, VerifierRoute } from 'latchkey/verify';
import { keepRawBody, latchkey } from 'latchkey/verify/express';

/** Who may call what: reads need api:read, creating an order orders:write. */
export const ROUTES: VerifierRoute[] = [
  { method: 'GET', path: '/orders/{id}' },
  { method: 'POST', path: '/orders', permission: 'api:write' },
];

export function createApp(verifier: Verifier) {
  const app = express();
  app.use(express.json({ verify: keepRawBody }));
  app.use(latchkey(verifier));
  app.get('/orders/:id', (req, res) => {
    res.json({ id: req.params.id, org: req.caller?.orgId, scheme: req.caller?.scheme });
  });
  app.post('/orders', (req, res) => {
    res.status(201).json({ org: req.caller?.orgId, bytes: req.rawBody?.byteLength ?? 0 });
  });
  return app;
}
