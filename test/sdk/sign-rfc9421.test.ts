/**
 * `LatchkeyClient` and `latchkey request` signing with RFC 9421, seen from the receiving end: a loopback
 * HTTP server records each request as it arrives, and the `http-message-signatures` package (an
 * independent implementation) verifies it — HMAC with a token (`sign: 'rfc9421'`, `--sign rfc9421`) and
 * Ed25519 with a public-key key's private key (`privateKey`, `--private-key`). Retries sign afresh; no
 * Authorization header travels with an RFC 9421 signature.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier, httpbis } from 'http-message-signatures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatchkeyClient } from '#sdk/index';
import { runCli } from '../helpers/cli';

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const TOKEN = `lk_${KEY_ID}_${'s'.repeat(43)}abcdef`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
/** Status codes to answer with, in turn (then 200). */
const answers: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Verifies a recorded request with the package, requiring latchkey's components and parameters. */
function verified(request: Seen, verify: ReturnType<typeof createVerifier>, alg: string) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === 'string') headers[name] = value;
  return httpbis.verifyMessage(
    {
      keyLookup: async (params) => (params.keyid === KEY_ID ? { id: KEY_ID, algs: [alg], verify } : null),
      requiredFields: ['@method', '@authority', '@path', '@query'],
      requiredParams: ['created', 'nonce', 'keyid', 'alg', 'tag'],
      tolerance: 5,
    },
    { method: request.method, url: `http://${request.headers.host}${request.url}`, headers },
  );
}

const last = (): Seen => seen.at(-1) as Seen;

describe('LatchkeyClient', () => {
  it("sign: 'rfc9421' with a token: HMAC over method, authority, path (stage included), query and digest", async () => {
    const client = new LatchkeyClient({ baseUrl: base, key: TOKEN, sign: 'rfc9421', retries: 0 });
    expect(client.signMode).toBe('rfc9421');
    await client.fetch('/v1/echo/orders?page=2', { method: 'POST', body: '{"qty":2}' });
    const request = last();
    expect(request.url).toBe('/prod/v1/echo/orders?page=2');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['content-digest']).toMatch(/^sha-256=:/);
    expect(request.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@authority" "@path" "@query" "content-digest"\);created=\d+;nonce="[0-9a-f]{32}";keyid="3hQx9TmP2wLk8ZrA";alg="hmac-sha256";tag="latchkey"$/,
    );
    await expect(
      verified(request, createVerifier(Buffer.from(TOKEN), 'hmac-sha256'), 'hmac-sha256'),
    ).resolves.toBe(true);
  });

  it('a public-key key signs with its Ed25519 private key, and every retry afresh', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const client = new LatchkeyClient({
      baseUrl: base,
      keyId: KEY_ID,
      privateKey,
      retries: 1,
      retryDelayMs: 0,
    });
    expect(client.signMode).toBe('rfc9421');
    answers.push(503);
    const before = seen.length;
    await client.fetch('/v1/echo/items');
    const attempts = seen.slice(before);
    expect(attempts).toHaveLength(2);
    const verify = createVerifier(publicKey, 'ed25519');
    for (const attempt of attempts) await expect(verified(attempt, verify, 'ed25519')).resolves.toBe(true);
    expect(attempts[0]?.headers.signature).not.toBe(attempts[1]?.headers.signature);
    expect(attempts[0]?.headers['signature-input']).toContain('alg="ed25519"');
  });

  it.each([
    [{ key: TOKEN, privateKey: 'x', keyId: KEY_ID }, /either key or privateKey/],
    [{ privateKey: generateKeyPairSync('ed25519').privateKey }, /keyId .* is required with a privateKey/],
    [{ privateKey: generateKeyPairSync('ed25519').privateKey, keyId: KEY_ID, sign: true }, /RFC 9421 only/],
    [
      { keyId: KEY_ID, privateKey: generateKeyPairSync('x25519').privateKey },
      /must be an Ed25519 private key/,
    ],
    [{ key: 'admin-key-value', sign: 'rfc9421' }, /sign: 'rfc9421' needs an API-key token/],
  ] as const)('refuses %#: a TypeError when the client is made', (options, message) => {
    expect(() => new LatchkeyClient({ baseUrl: base, ...options })).toThrow(message);
  });
});

describe('latchkey request', () => {
  it('--sign rfc9421 signs with the token (HMAC)', async () => {
    const env = { LATCHKEY_URL: base, LATCHKEY_KEY: TOKEN };
    const result = await runCli(['request', 'GET', '/v1/echo/x?a=1', '--sign', 'rfc9421'], env);
    expect(result.code).toBe(0);
    const request = last();
    expect(request.headers.authorization).toBeUndefined();
    await expect(
      verified(request, createVerifier(Buffer.from(TOKEN), 'hmac-sha256'), 'hmac-sha256'),
    ).resolves.toBe(true);
  });

  it('--sign alone is still ARMOR-PSK', async () => {
    const result = await runCli(['request', 'GET', '/v1/echo/x', '--sign'], {
      LATCHKEY_URL: base,
      LATCHKEY_KEY: TOKEN,
    });
    expect(result.code).toBe(0);
    expect(last().headers.authorization).toMatch(/^ARMOR-PSK /);
    expect(last().headers.signature).toBeUndefined();
  });

  it('--private-key FILE --key-id ID signs with Ed25519, no token needed', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const file = join(mkdtempSync(join(tmpdir(), 'latchkey-pk-')), 'signer.pem');
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const result = await runCli(
      [
        'request',
        'POST',
        '/v1/echo/orders',
        '--data',
        '{"qty":1}',
        '--private-key',
        file,
        '--key-id',
        KEY_ID,
      ],
      { LATCHKEY_URL: base },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    await expect(verified(last(), createVerifier(publicKey, 'ed25519'), 'ed25519')).resolves.toBe(true);
  });

  it('--private-key without --key-id is a usage error that names it', async () => {
    const result = await runCli(['request', 'GET', '/v1/echo/x', '--private-key', '/nonexistent'], {
      LATCHKEY_URL: base,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--key-id');
  });
});
