import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LatchkeyClient, signRequest } from '#sdk/index';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

/**
 * The local gateway at its edges: header and query names that are Object.prototype's own, client
 * errors Node answers before any handler (an oversized header, a bad request line, CONNECT), a Host
 * that is not loopback, and binary bodies, which reach the handlers base64-encoded as on API Gateway,
 * so a signed body's digest is checked over its exact bytes. And signRequest's `headers`, spread as
 * they are into a plain `fetch`.
 */
const lk = useLatchkey();

interface Raw {
  status: number;
  body: string;
}

/** Sends raw bytes to the gateway and reads the answer until the server closes or the body is complete. */
function raw(request: string): Promise<Raw> {
  const { port } = new URL(lk.local.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(data)?.[1];
      if (end >= 0 && length !== undefined && data.length >= end + 4 + Number(length)) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(request);
  });
}

function errorShape(body: string): { code: string; message: string; request_id: string } {
  const parsed = JSON.parse(body) as { error: { code: string; message: string; request_id: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'request_id']);
  return parsed.error;
}

describe('names from Object.prototype', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    '%s as a header and a query parameter',
    async (name) => {
      const { port } = new URL(lk.local.url);
      const answer = await raw(
        `GET /v1/echo/x?${name}=1&${name}=2 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Authorization: Bearer ${lk.admin}\r\n${name}: a\r\n${name}: b\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status, answer.body).toBe(200);
      const echoed = JSON.parse(answer.body) as { query: Record<string, string> };
      expect(Object.hasOwn(echoed.query, name)).toBe(true);
    },
  );
});

describe('client errors have the error body', () => {
  it('an oversized header: 431', async () => {
    const answer = await raw(
      `GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(errorShape(answer.body).code).toBe('invalid_request');
  });

  it('a bad request line: 400', async () => {
    const answer = await raw('NOT AN HTTP REQUEST\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(errorShape(answer.body).code).toBe('invalid_request');
  });

  it('CONNECT: no route', async () => {
    const answer = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(answer.status).toBe(404);
    expect(errorShape(answer.body).code).toBe('not_found');
  });
});

describe('request targets that cannot be parsed', () => {
  it.each(['//[', '//[::1', '//:99999/x', '/\\[/', '//%zz'])(
    '%s: 400 invalid_request, no credential needed',
    async (target) => {
      const answer = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(answer.status, answer.body).toBe(400);
      const error = errorShape(answer.body);
      expect(error.code).toBe('invalid_request');
      expect(error.request_id).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});

describe('Host', () => {
  it('answers only loopback Host values (DNS rebinding)', async () => {
    const { port } = new URL(lk.local.url);
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example', '10.0.0.1']) {
      const answer = await raw(
        `GET /v1/whoami HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${lk.admin}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status, host).toBe(421);
      expect(errorShape(answer.body).code).toBe('invalid_request');
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
      const answer = await raw(
        `GET /v1/whoami HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${lk.admin}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status, host).toBe(200);
    }
  });
});

describe('binary bodies', () => {
  it('a signed binary body is accepted; other bytes that decode to the same text are refused', async () => {
    const { token: raw_key } = await createKey(lk.call, lk.admin, { name: 'binary', roles: ['member'] });
    const app = new LatchkeyClient({ baseUrl: lk.local.url, key: raw_key, sign: true, retries: 0 });
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    const ok = await app.fetch('/v1/echo/blob', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(ok.status, await ok.clone().text()).toBe(200);

    // 0xff and 0xfe both decode to U+FFFD: a signature over one must not accept the other.
    const path = '/v1/echo/blob';
    const signed = signRequest({ token: raw_key, method: 'POST', path, body: Uint8Array.from([0xff]) });
    const swapped = await fetch(`${lk.local.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: signed.authorization,
        'content-digest': signed.contentDigest ?? '',
        'content-type': 'application/octet-stream',
      },
      body: Uint8Array.from([0xfe]),
    });
    expect(swapped.status).toBe(401);
  });
});

describe("signRequest's headers in a plain fetch", () => {
  it('spread into fetch, they sign a GET and a POST with a body', async () => {
    const { token } = await createKey(lk.call, lk.admin, { name: 'spread', roles: ['member'] });
    const get = signRequest({ token, method: 'GET', path: '/v1/echo/spread' });
    const got = await fetch(`${lk.local.url}/v1/echo/spread`, { headers: { ...get.headers } });
    expect(got.status, await got.clone().text()).toBe(200);

    const body = '{"sku":"A-1"}';
    const post = signRequest({ token, method: 'POST', path: '/v1/echo/spread', body });
    const posted = await fetch(`${lk.local.url}/v1/echo/spread`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...post.headers },
      body,
    });
    expect(posted.status, await posted.clone().text()).toBe(200);
    expect(((await posted.json()) as { body: string }).body).toBe(body);
  });
});
