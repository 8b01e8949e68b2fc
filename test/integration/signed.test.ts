import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { signRequest } from '#core/signer';
import { formatToken, newKeyId } from '#core/token';
import type { LocalMode } from '#local/local-mode';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { REFERENCE_CLIENTS, runReferenceClient } from '../helpers/reference-clients';

/**
 * ARMOR-PSK signed requests end to end through the local gateway, against DynamoDB Local: every
 * rejection reason, clients written from the protocol reference in shell (openssl) and Python, the replay race,
 * the DynamoDB calls per path, and no token or signature in any log line.
 */
let local: LocalMode;
let call: Call;
let admin: string;
let ddbCalls: string[] = [];
const logged: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (originalWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  local = await startTestLatchkey();
  call = client(local.url);
  admin = local.adminKey;
  onDynamoCommand(local.runtime.dynamo, (name) => ddbCalls.push(name));
});
afterAll(async () => {
  process.stdout.write = originalWrite;
  await local.stop();
});

type ErrorBody = { error: { code: string; message: string; request_id: string } };
const secretsSeen: string[] = [];

interface SignedOptions {
  body?: string;
  sendBody?: string;
  nonce?: string;
  timestamp?: number;
  method?: string;
  path?: string;
  authorization?: string;
  contentDigest?: string | null;
}

/** Signs (method, path, body) with `token`, then sends what `overrides` say (to tamper with it). */
async function signed(token: string, method: string, path: string, o: SignedOptions = {}) {
  const headers = signRequest({
    token,
    method,
    path: path.split('?')[0] as string,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
  });
  secretsSeen.push(token, headers.authorization.split(':')[1] as string);
  const h: Record<string, string> = {};
  const digest = o.contentDigest === undefined ? headers.contentDigest : o.contentDigest;
  if (digest) h['content-digest'] = digest;
  const body = o.sendBody ?? o.body;
  return call<Record<string, unknown>>(o.method ?? method, o.path ?? path, {
    authorization: o.authorization ?? headers.authorization,
    headers: h,
    ...(body !== undefined ? { rawBody: body } : {}),
  });
}

function expectUnauthorized(res: { status: number; body: unknown }) {
  expect(res.status).toBe(401);
  expect((res.body as ErrorBody).error).toMatchObject({
    code: 'unauthorized',
    message: UNAUTHORIZED_MESSAGE,
  });
}

describe('accepted', () => {
  it('a GET without a body, and a POST with a body and Content-Digest', async () => {
    const k = await createKey(call, admin);
    const get = await signed(k.token, 'GET', '/v1/echo/items?page=2');
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ method: 'GET', query: { page: '2' }, principal: { key_id: k.id } });
    const post = await signed(k.token, 'POST', '/v1/echo/items', { body: '{"sku":"A-1","qty":2}' });
    expect(post.status).toBe(200);
    expect(post.body).toMatchObject({ method: 'POST', body: '{"sku":"A-1","qty":2}' });
  });

  it('management routes accept signed requests too, body included', async () => {
    const k = await createKey(call, admin, { roles: ['admin'] });
    const res = await signed(k.token, 'POST', '/v1/keys', {
      body: JSON.stringify({ name: 'signed create' }),
    });
    expect(res.status).toBe(201);
    expect((await signed(k.token, 'GET', '/v1/whoami')).body).toMatchObject({
      principal: 'key',
      key: { id: k.id },
    });
  });

  it('the scheme name is case-insensitive', async () => {
    const k = await createKey(call, admin);
    const headers = signRequest({ token: k.token, method: 'GET', path: '/v1/whoami' });
    const res = await call('GET', '/v1/whoami', {
      authorization: headers.authorization.replace('ARMOR-PSK', 'armor-psk'),
    });
    expect(res.status).toBe(200);
  });
});

describe('every rejection is the same 401', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<[string, (token: string, other: string) => Promise<{ status: number; body: unknown }>]> =
    [
      ['stale timestamp (301 s old)', (t) => signed(t, 'GET', '/v1/whoami', { timestamp: now() - 301 })],
      ['future timestamp (301 s ahead)', (t) => signed(t, 'GET', '/v1/whoami', { timestamp: now() + 301 })],
      [
        'replayed request',
        async (t) => {
          const headers = signRequest({ token: t, method: 'GET', path: '/v1/whoami' });
          expect((await call('GET', '/v1/whoami', { authorization: headers.authorization })).status).toBe(
            200,
          );
          return call('GET', '/v1/whoami', { authorization: headers.authorization });
        },
      ],
      [
        'nonce reused for another request',
        async (t) => {
          const nonce = 'fedcba9876543210fedcba9876543210';
          expect((await signed(t, 'GET', '/v1/whoami', { nonce })).status).toBe(200);
          return signed(t, 'GET', '/v1/echo/other', { nonce });
        },
      ],
      [
        'signature replayed with the path/nonce boundary shifted',
        async (t) => {
          const nonce = 'abcdef0123456789abcdef0123456789';
          const headers = signRequest({ token: t, method: 'GET', path: '/v1/echo/foo', nonce });
          expect((await call('GET', '/v1/echo/foo', { authorization: headers.authorization })).status).toBe(
            200,
          );
          // The compatible profile (the default) takes the 31-character nonce; the signature record refuses it.
          return call('GET', '/v1/echo/fooa', {
            authorization: headers.authorization.replace(`:${nonce}:`, `:${nonce.slice(1)}:`),
          });
        },
      ],
      ['tampered method', (t) => signed(t, 'GET', '/v1/echo/x', { method: 'DELETE' })],
      ['tampered path', (t) => signed(t, 'GET', '/v1/echo/x', { path: '/v1/echo/y' })],
      ['tampered body', (t) => signed(t, 'POST', '/v1/echo/x', { body: '{"qty":1}', sendBody: '{"qty":9}' })],
      [
        'tampered digest',
        (t) =>
          signed(t, 'POST', '/v1/echo/x', {
            body: '{"qty":1}',
            sendBody: '{"qty":9}',
            contentDigest: `sha-512=:${createHash('sha512').update('{"qty":9}').digest('base64')}:`,
          }),
      ],
      [
        'body without Content-Digest',
        (t) => signed(t, 'POST', '/v1/echo/x', { body: '{"qty":1}', contentDigest: null }),
      ],
      ['body sent, signed as empty', (t) => signed(t, 'POST', '/v1/echo/x', { sendBody: '{"qty":1}' })],
      [
        'malformed Content-Digest',
        (t) => signed(t, 'GET', '/v1/echo/x', { contentDigest: 'sha-512=:nope:' }),
      ],
      [
        'signed with another key',
        async (t, other) => {
          const keyId = t.split('_')[1] as string;
          const headers = signRequest({ token: other, method: 'GET', path: '/v1/whoami' });
          return call('GET', '/v1/whoami', {
            authorization: headers.authorization.replace(/ARMOR-PSK [^:]+/, `ARMOR-PSK ${keyId}`),
          });
        },
      ],
      ['unknown key id', () => signed(formatToken('lk', newKeyId(), randomBase62(43)), 'GET', '/v1/whoami')],
      [
        'nonce with a colon',
        (t) =>
          signed(t, 'GET', '/v1/whoami', {
            authorization: `${signRequest({ token: t, method: 'GET', path: '/v1/whoami' }).authorization}:x`,
          }),
      ],
      [
        'nonce too long',
        (t) => {
          const h = signRequest({ token: t, method: 'GET', path: '/v1/whoami' });
          const [head, sig, , ts] = h.authorization.split(':') as [string, string, string, string];
          return call('GET', '/v1/whoami', { authorization: `${head}:${sig}:${'n'.repeat(129)}:${ts}` });
        },
      ],
      [
        'nonce with a space',
        (t) => {
          const h = signRequest({ token: t, method: 'GET', path: '/v1/whoami' });
          const [head, sig, , ts] = h.authorization.split(':') as [string, string, string, string];
          return call('GET', '/v1/whoami', { authorization: `${head}:${sig}:a b:${ts}` });
        },
      ],
      [
        'empty nonce',
        (t) => {
          const h = signRequest({ token: t, method: 'GET', path: '/v1/whoami' });
          const [head, sig, , ts] = h.authorization.split(':') as [string, string, string, string];
          return call('GET', '/v1/whoami', { authorization: `${head}:${sig}::${ts}` });
        },
      ],
    ];

  it.each(cases)('%s', async (_name, attempt) => {
    const k = await createKey(call, admin);
    const other = await createKey(call, admin);
    expectUnauthorized(await attempt(k.token, other.token));
  });

  it('revoked and expired keys', async () => {
    const revoked = await createKey(call, admin);
    await call('DELETE', `/v1/keys/${revoked.id}`, { token: admin });
    expectUnauthorized(await signed(revoked.token, 'GET', '/v1/whoami'));
    const expiring = await createKey(call, admin, { expires_at: new Date(Date.now() + 1000).toISOString() });
    expect((await signed(expiring.token, 'GET', '/v1/whoami')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expectUnauthorized(await signed(expiring.token, 'GET', '/v1/whoami'));
  });
});

describe('clients written from the protocol reference (docs/protocol.md §2)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'latchkey-clients-'));
  it.each(REFERENCE_CLIENTS)('%s: GET without a body and POST with one are accepted', async (script) => {
    const k = await createKey(call, admin);
    const get = runReferenceClient(script, k.token, ['GET', '/v1/echo/from-client']);
    const res = await call('GET', '/v1/echo/from-client', { authorization: get.authorization });
    expect(res.status).toBe(200);
    const bodyFile = join(tmp, `${script}.json`);
    writeFileSync(bodyFile, '{"hello":"wörld"}');
    const post = runReferenceClient(script, k.token, ['POST', '/v1/echo/from-client', bodyFile]);
    expect(post.contentDigest).toMatch(/^sha-512=:[A-Za-z0-9+/]{86}==:$/);
    const res2 = await call('POST', '/v1/echo/from-client', {
      authorization: post.authorization,
      headers: { 'content-digest': post.contentDigest as string },
      rawBody: '{"hello":"wörld"}',
    });
    expect(res2.status).toBe(200);
    expect(res2.body).toMatchObject({ body: '{"hello":"wörld"}' });
  });
});

describe('the management API checks a signed body against its Content-Digest itself', () => {
  it('a signed POST /v1/keys with a swapped body is 401, and no key is created', async () => {
    const org = 'digest-management';
    const caller = await createKey(call, admin, { org_id: org, roles: ['admin'] });
    const signedBody = JSON.stringify({ name: 'as signed' });
    const swapped = await signed(caller.token, 'POST', '/v1/keys', {
      body: signedBody,
      sendBody: JSON.stringify({ name: 'swapped', roles: ['admin'] }),
    });
    expectUnauthorized(swapped);
    const keys = await call<{ keys: Array<{ id: string }> }>('GET', `/v1/keys?org_id=${org}`, {
      token: admin,
    });
    expect(keys.body.keys.map((k) => k.id)).toEqual([caller.id]);
    // The same request with the body it was signed over is created.
    const genuine = await signed(caller.token, 'POST', '/v1/keys', { body: signedBody });
    expect(genuine.status).toBe(201);
  });
});

describe('replay race', () => {
  it('20 identical signed requests sent at once: exactly one passes', async () => {
    const k = await createKey(call, admin);
    const headers = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/race' });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('GET', '/v1/echo/race', { authorization: headers.authorization }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
  });
});

describe('DynamoDB calls per path', () => {
  it('signed: one read and one transactional write; a bad signature or stale timestamp writes nothing', async () => {
    const k = await createKey(call, admin);
    ddbCalls = [];
    expect((await signed(k.token, 'GET', '/v1/echo/count')).status).toBe(200);
    expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);

    ddbCalls = [];
    expect((await signed(k.token, 'GET', '/v1/echo/count', { path: '/v1/echo/other' })).status).toBe(401);
    expect(ddbCalls).toEqual(['GetItemCommand']);

    ddbCalls = [];
    expect((await signed(k.token, 'GET', '/v1/echo/count', { timestamp: 1 })).status).toBe(401);
    expect(ddbCalls).toEqual([]);
  });

  it('bearer: one conditional write; malformed: none', async () => {
    const k = await createKey(call, admin);
    ddbCalls = [];
    expect((await call('GET', '/v1/echo/count', { token: k.token })).status).toBe(200);
    expect(ddbCalls).toEqual(['UpdateItemCommand']);
    ddbCalls = [];
    expect(
      (
        await call('GET', '/v1/echo/count', {
          token: `${k.token.slice(0, -1)}${k.token.endsWith('0') ? '1' : '0'}`,
        })
      ).status,
    ).toBe(401);
    expect((await call('GET', '/v1/echo/count', { authorization: 'ARMOR-PSK nonsense' })).status).toBe(401);
    expect(ddbCalls).toEqual([]);
  });
});

describe('usage', () => {
  it('counts bearer and signed calls and records last use', async () => {
    const k = await createKey(call, admin);
    await call('GET', '/v1/echo/u', { token: k.token });
    await signed(k.token, 'GET', '/v1/echo/u');
    await signed(k.token, 'POST', '/v1/echo/u', { body: 'x' });
    await call('GET', '/v1/echo/u', { token: formatToken('lk', k.id, randomBase62(43)) }); // refused: not counted
    const got = await call<{ key: { calls: number; last_used_at: string } }>('GET', `/v1/keys/${k.id}`, {
      token: admin,
    });
    expect(got.body.key.calls).toBe(3);
    expect(Date.now() - Date.parse(got.body.key.last_used_at)).toBeLessThan(60_000);
  });
});

describe('log hygiene', () => {
  it('no token or signature used in this file appears in any log line', () => {
    const lines = logged
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(20);
    for (const secret of secretsSeen) {
      for (const line of lines) expect(line.includes(secret)).toBe(false);
    }
  });
});
