/**
 * The Hono and Express examples (examples/hono, examples/express), served over real HTTP on loopback
 * with latchkey/verify as built (`latchkey/verify/*` resolve to dist/) against local mode's DynamoDB:
 * bearer and signed requests, binary bodies, and every refusal the middleware answers — 401 (malformed,
 * tampered body, replay, revoked), 403, 404 and 429 with Retry-After — in latchkey's error body.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { SETTINGS } from '#core/settings';
import { signRequest } from '#core/signer';
import type { Verifier } from '#verify/index';
import * as expressExample from '../../examples/express/app';
import * as honoExample from '../../examples/hono/app';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { localVerifier } from '../helpers/verify';

const latchkey = useLatchkey();

interface Running {
  url: string;
  close(): Promise<void>;
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => {
    const ready = () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (server.listening) ready();
    else server.once('listening', ready);
  });

const closing = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const FRAMEWORKS: Record<string, (verifier: Verifier) => Promise<Running>> = {
  hono: async (verifier) => {
    const server = serve({
      fetch: honoExample.createApp(verifier).fetch,
      hostname: '127.0.0.1',
      port: 0,
    }) as Server;
    return { url: await listen(server), close: closing(server) };
  },
  express: async (verifier) => {
    const server = expressExample.createApp(verifier).listen(0, '127.0.0.1');
    return { url: await listen(server), close: closing(server) };
  },
};

describe.each(Object.keys(FRAMEWORKS))('examples/%s over HTTP', (framework) => {
  let verifier: Verifier;
  let running: Running;
  let member: { id: string; token: string };

  beforeAll(async () => {
    verifier = localVerifier(latchkey.local, {
      routes: honoExample.ROUTES,
      env: { [SETTINGS.verifyMode.env]: 'exact' },
    });
    running = await (FRAMEWORKS[framework] as (v: Verifier) => Promise<Running>)(verifier);
    member = await createKey(latchkey.call, latchkey.admin);
  });
  afterAll(async () => {
    await running?.close();
    verifier?.close();
  });

  const send = async (method: string, path: string, headers: Record<string, string>, body?: Uint8Array) => {
    const res = await fetch(`${running.url}${path}`, { method, headers, ...(body ? { body } : {}) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('a bearer key reads an order: 200, the handler sees the caller', async () => {
    const res = await send('GET', '/orders/42', bearer(member.token));
    expect(res).toMatchObject({ status: 200, body: { id: '42', org: 'default', scheme: 'bearer' } });
  });

  it('a signed request with a binary body creates an order: 201, the body as signed', async () => {
    const body = new Uint8Array([0, 0xff, 0x10, 0x80, 0x7f]);
    const signed = signRequest({ token: member.token, method: 'POST', path: '/orders', body });
    const res = await send(
      'POST',
      '/orders',
      { ...signed.headers, 'content-type': 'application/octet-stream' },
      body,
    );
    expect(res).toMatchObject({ status: 201, body: { org: 'default', bytes: 5 } });
  });

  it('refusals never reach the handlers: 401 for a tampered body, a replay, a malformed key', async () => {
    const body = new TextEncoder().encode('{"amount":1}');
    const signed = signRequest({ token: member.token, method: 'POST', path: '/orders', body });
    const headers = { ...signed.headers, 'content-type': 'application/json' };
    const tampered = await send('POST', '/orders', headers, new TextEncoder().encode('{"amount":9}'));
    expect(tampered.status).toBe(401);
    expect(await send('POST', '/orders', headers, body)).toMatchObject({ status: 201 });
    const replayed = await send('POST', '/orders', headers, body);
    const malformed = await send('GET', '/orders/1', bearer(`${member.token}x`));
    for (const res of [tampered, replayed, malformed]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE, request_id: expect.any(String) },
      });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('404 for a route the table does not have; 403 for a key without the permission', async () => {
    expect((await send('DELETE', '/orders/1', bearer(member.token))).body).toMatchObject({
      error: { code: 'not_found' },
    });
    const viewer = await createKey(latchkey.call, latchkey.admin, { roles: ['viewer'] });
    const denied = await send(
      'POST',
      '/orders',
      { ...bearer(viewer.token), 'content-type': 'application/json' },
      new TextEncoder().encode('{}'),
    );
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('429 with Retry-After over the rate limit', async () => {
    const limited = await createKey(latchkey.call, latchkey.admin, { rate_limit_per_minute: 1 });
    expect((await send('GET', '/orders/1', bearer(limited.token))).status).toBe(200);
    const over = await send('GET', '/orders/1', bearer(limited.token));
    if (over.status === 200) return; // a minute boundary crossed between the two: a new window
    expect(over).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('allowed_cidrs: the socket peer (127.0.0.1) decides; a client-sent X-Forwarded-For is not trusted', async () => {
    const inside = await createKey(latchkey.call, latchkey.admin, { allowed_cidrs: ['127.0.0.0/8'] });
    const outside = await createKey(latchkey.call, latchkey.admin, { allowed_cidrs: ['10.0.0.0/8'] });
    expect((await send('GET', '/orders/1', bearer(inside.token))).status).toBe(200);
    const refused = await send('GET', '/orders/1', {
      ...bearer(outside.token),
      'x-forwarded-for': '10.1.2.3',
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'ip_not_allowed' } } });
  });

  it('a revoked key is refused on its next request', async () => {
    const key = await createKey(latchkey.call, latchkey.admin);
    expect((await send('GET', '/orders/1', bearer(key.token))).status).toBe(200);
    await latchkey.call('DELETE', `/v1/keys/${key.id}`, { token: latchkey.admin });
    expect((await send('GET', '/orders/1', bearer(key.token))).status).toBe(401);
  });
});
