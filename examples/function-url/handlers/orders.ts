// The orders function behind its Function URL: latchkey/verify checks the key (bearer or signed, the
// signed body against its Content-Digest), the rate limit and the route's permission before the handler
// runs; a refused request gets latchkey's error response and never reaches it.
import { createVerifier } from 'latchkey/verify';
import { withLatchkey } from 'latchkey/verify/lambda';

// Built once per cold start, from the variables grantVerify set.
const verifier = createVerifier({
  routes: [
    { method: 'GET', path: '/orders/{id}' },
    { method: 'POST', path: '/orders', permission: 'api:write' },
  ],
});

export const handler = withLatchkey(
  verifier,
  async (event, _context, caller) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: event.rawPath, org: caller.orgId, key: caller.keyId }),
  }),
  // Log why a request was refused (never its headers: they hold the credential).
  { onRefused: (refusal) => console.warn(JSON.stringify({ reason: refusal.reason, key_id: refusal.keyId })) },
);
