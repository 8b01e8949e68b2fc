/**
 * The public routes over real HTTP through the local gateway, and one request of each status class on
 * every management route: `call` (test/helpers/local.ts) checks each response against the OpenAPI
 * document with Ajv, so a route whose answers drift from the document fails here.
 */
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#core/openapi';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const lk = useLatchkey();

describe('public routes', () => {
  it('GET /v1/openapi.json answers without a credential with the generated document', async () => {
    const res = await lk.call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(openApiDocument());
  });

  it('answers the same with any Authorization header, even a wrong one (no authorizer runs)', async () => {
    const res = await lk.call('GET', '/v1/openapi.json', { token: 'not-a-key' });
    expect(res.status).toBe(200);
  });

  it('GET /console serves the page and its assets with the security headers, without a credential', async () => {
    const page = await lk.call('GET', '/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const missing = await lk.call('GET', '/console/nope.js');
    expect(missing.status).toBe(404);
  });

  it('other methods on public paths are not routes', async () => {
    expect((await lk.call('POST', '/v1/openapi.json', { body: {} })).status).toBe(404);
  });
});

describe('every management route, each status class, checked against the document', () => {
  it('2xx, 400, 401, 403, 404 and 409 answers all match', async () => {
    const { call, admin } = lk;
    const created = await createKey(call, admin, { name: 'doc', org_id: 'docs', roles: ['admin'] });
    const member = await createKey(call, admin, { name: 'member', org_id: 'docs' });
    const statuses = [
      (await call('GET', '/v1/keys?org_id=docs', { token: admin })).status,
      (await call('GET', `/v1/keys/${created.id}`, { token: admin })).status,
      (await call('GET', '/v1/whoami', { token: created.token })).status,
      (await call('PUT', '/v1/orgs/docs', { token: admin, body: { max_keys: 10 } })).status,
      (await call('GET', '/v1/orgs/docs', { token: admin })).status,
      (await call('POST', `/v1/keys/${member.id}/rotate`, { token: admin, body: {} })).status,
      (await call('POST', '/v1/echo/x?q=1', { token: created.token, body: { a: 1 } })).status,
      (await call('DELETE', `/v1/keys/${member.id}`, { token: admin })).status,
      (await call('POST', '/v1/keys', { token: admin, body: { name: '' } })).status,
      (await call('GET', '/v1/keys?limit=0', { token: admin })).status,
      (await call('GET', '/v1/whoami')).status,
      (await call('GET', '/v1/orgs/docs', { token: created.token })).status,
      (await call('GET', '/v1/keys/nope', { token: admin })).status,
      (await call('GET', '/v2/nothing', { token: admin })).status,
      (await call('POST', `/v1/keys/${member.id}/rotate`, { token: admin, body: {} })).status,
      (await call('DELETE', `/v1/keys/${created.id}`, { token: created.token })).status,
    ];
    expect(statuses).toEqual([
      200, 200, 200, 200, 200, 201, 200, 200, 400, 400, 401, 403, 404, 404, 409, 409,
    ]);
  });
});
