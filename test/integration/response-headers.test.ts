/**
 * Every JSON answer the API's Lambdas give, over real HTTP through the local gateway, tells browsers not
 * to sniff it (`X-Content-Type-Options: nosniff`): successes, the key-creation answer that carries
 * `raw_key`, handler errors, the echo integration and the public OpenAPI document; and so does every
 * gateway response (the authorizer's refusals, a route that does not exist).
 */
import { describe, expect, it } from 'vitest';
import { useLatchkey } from '../helpers/latchkey';

const lk = useLatchkey();

describe('X-Content-Type-Options on JSON answers', () => {
  it.each([
    ['create a key (raw_key)', 'POST', '/v1/keys', { name: 'sniff' }, 201],
    ['whoami', 'GET', '/v1/whoami', undefined, 200],
    ['list keys', 'GET', '/v1/keys', undefined, 200],
    ['a key that does not exist', 'GET', '/v1/keys/AAAAAAAAAAAAAAAA', undefined, 404],
    ['an invalid body', 'POST', '/v1/keys', { name: 'x', unknown_field: 1 }, 400],
    ['the echo integration', 'GET', '/v1/echo/anything', undefined, 200],
    ['the OpenAPI document', 'GET', '/v1/openapi.json', undefined, 200],
  ])('%s', async (_name, method, path, body, status) => {
    const res = await lk.call(method, path, { token: lk.admin, body });
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('X-Content-Type-Options on gateway responses', () => {
  it.each([
    ['no credential', 'GET', '/v1/whoami', undefined, 401],
    ['a wrong credential', 'GET', '/v1/whoami', 'Bearer lk_not_a_token', 401],
    ['a route that does not exist', 'GET', '/v1/nowhere', 'Bearer lk_not_a_token', 404],
  ])('%s', async (_name, method, path, authorization, status) => {
    const res = await lk.call(method, path, authorization === undefined ? {} : { authorization });
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
