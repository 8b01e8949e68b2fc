/**
 * Per-key network allowlists (`allowed_cidrs`) end to end through the local gateway against DynamoDB
 * Local. The gateway reports the socket's peer as `sourceIp`, so a client on 127.0.0.1 (and, on a
 * gateway listening on ::1, a client on ::1) is allowed or refused by lists that include or exclude
 * it: set on create and PATCH (validated, normalised), refused with 403 `ip_not_allowed` and nothing
 * counted, in the bearer path's one write and the signed path's read and write, in REST and HTTP API
 * mode, with IPv4, IPv6, IPv4-mapped IPv6 and the edges of a CIDR.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IP_NOT_ALLOWED_MESSAGE } from '#core/errors';
import { signRequest } from '#core/signer';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type TestLatchkey, useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

type ErrorBody = { error: { code: string; message: string } };
type Key = { id: string; calls: number; allowed_cidrs: string[] };

const lk = useLatchkey();
let ddbCalls: string[] = [];
beforeAll(() => {
  onDynamoCommand(lk.local.runtime.dynamo, (name) => ddbCalls.push(name));
});

const echo = (t: TestLatchkey, token: string) => t.call<ErrorBody>('GET', '/v1/echo/ping', { token });
const signedEcho = (t: TestLatchkey, token: string) => {
  const headers = signRequest({ token, method: 'GET', path: '/v1/echo/ping' });
  return t.call<ErrorBody>('GET', '/v1/echo/ping', { authorization: headers.authorization });
};
const keyOf = async (t: TestLatchkey, id: string) =>
  (await t.call<{ key: Key }>('GET', `/v1/keys/${id}`, { token: t.admin })).body.key;

describe('allowed_cidrs on the management API', () => {
  it('is validated and stored normalised on create, shown on the key, replaced and cleared by PATCH', async () => {
    const k = await createKey(lk.call, lk.admin, {
      allowed_cidrs: ['2001:DB8::/32', '::ffff:10.0.0.0/104', '192.0.2.7', '10.0.0.0/8'],
    });
    const normalised = ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32'];
    expect(k.key.allowed_cidrs).toEqual(normalised);
    expect((await keyOf(lk, k.id)).allowed_cidrs).toEqual(normalised);

    const patched = await lk.call<{ key: Key }>('PATCH', `/v1/keys/${k.id}`, {
      token: lk.admin,
      body: { allowed_cidrs: ['::1'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.key.allowed_cidrs).toEqual(['::1/128']);
    const cleared = await lk.call<{ key: Key }>('PATCH', `/v1/keys/${k.id}`, {
      token: lk.admin,
      body: { allowed_cidrs: null },
    });
    expect(cleared.body.key.allowed_cidrs).toEqual([]);
    expect((await keyOf(lk, k.id)).allowed_cidrs).toEqual([]);

    const plain = await createKey(lk.call, lk.admin);
    expect(plain.key.allowed_cidrs).toEqual([]);
  });

  it.each([
    [['10.0.0.1/8'], 'did you mean 10.0.0.0/8?'],
    [['10.0.0.0/33'], 'prefix length'],
    [['example.com'], 'is not an IPv4 or IPv6 address'],
    [[42], 'each entry must be a CIDR string'],
    ['10.0.0.0/8', 'must be a list'],
    [Array.from({ length: 17 }, (_, i) => `10.0.${i}.0/24`), 'at most 16'],
  ])('%j is a 400 naming allowed_cidrs', async (allowed, hint) => {
    const res = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'x', allowed_cidrs: allowed },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^allowed_cidrs: /);
    expect(res.body.error.message).toContain(hint);
  });
});

describe('a request from 127.0.0.1 (REST API)', () => {
  it.each([
    [['127.0.0.0/8'], 200],
    [['127.0.0.1/32'], 200],
    [['127.0.0.0/31'], 200],
    [['127.0.0.2/31'], 403],
    [['126.255.255.255/32', '127.0.0.2/32'], 403],
    [['::ffff:127.0.0.1'], 200],
    [['::1/128'], 403],
    [['::/0'], 403],
    [['0.0.0.0/0'], 200],
    [['10.0.0.0/8', '127.0.0.1'], 200],
  ])('list %j → %i', async (allowed, status) => {
    const k = await createKey(lk.call, lk.admin, { allowed_cidrs: allowed });
    expect((await echo(lk, k.token)).status).toBe(status);
    expect((await signedEcho(lk, k.token)).status).toBe(status);
  });

  it('outside the list: 403 ip_not_allowed, no call counted, the refusal counted as network', async () => {
    const k = await createKey(lk.call, lk.admin, { allowed_cidrs: ['10.0.0.0/8'] });
    ddbCalls = [];
    const res = await echo(lk, k.token);
    // The refused use-write, then the one write that counts the refusal (usage by outcome).
    expect(ddbCalls).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ip_not_allowed', message: IP_NOT_ALLOWED_MESSAGE });
    ddbCalls = [];
    const signed = await signedEcho(lk, k.token);
    expect(signed.status).toBe(403);
    expect(signed.body.error.code).toBe('ip_not_allowed');
    // The read, then the nonce and signature recorded alone (no use counted), then the refusal counted.
    expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
    const key = await keyOf(lk, k.id);
    expect(key.calls).toBe(0);
    const usage = await lk.call<{ days: { calls: number; refused: { network: number } }[] }>(
      'GET',
      `/v1/keys/${k.id}/usage?days=1`,
      { token: lk.admin },
    );
    expect(usage.body.days[0]).toMatchObject({ calls: 0, refused: { network: 2 } });
  });

  it('a key with no list is used from anywhere, and counted', async () => {
    const k = await createKey(lk.call, lk.admin);
    expect((await echo(lk, k.token)).status).toBe(200);
    expect((await keyOf(lk, k.id)).calls).toBe(1);
  });

  it('a PATCHed list applies from the next request; a credential failure stays the one 401', async () => {
    const k = await createKey(lk.call, lk.admin);
    expect((await echo(lk, k.token)).status).toBe(200);
    await lk.call('PATCH', `/v1/keys/${k.id}`, {
      token: lk.admin,
      body: { allowed_cidrs: ['192.0.2.0/24'] },
    });
    expect((await echo(lk, k.token)).status).toBe(403);
    await lk.call('PATCH', `/v1/keys/${k.id}`, { token: lk.admin, body: { enabled: false } });
    expect((await echo(lk, k.token)).status).toBe(401);
    await lk.call('PATCH', `/v1/keys/${k.id}`, {
      token: lk.admin,
      body: { enabled: true, allowed_cidrs: [] },
    });
    expect((await echo(lk, k.token)).status).toBe(200);
    expect((await keyOf(lk, k.id)).calls).toBe(2);
  });
});

describe('HTTP API mode', () => {
  const http = useLatchkey({ apiType: 'http' });

  it('refuses a request from outside the list with 403 and counts nothing', async () => {
    const inside = await createKey(http.call, http.admin, { allowed_cidrs: ['127.0.0.1'] });
    const outside = await createKey(http.call, http.admin, { allowed_cidrs: ['10.0.0.0/8'] });
    expect((await echo(http, inside.token)).status).toBe(200);
    expect((await echo(http, outside.token)).status).toBe(403);
    expect((await signedEcho(http, outside.token)).status).toBe(403);
    expect((await keyOf(http, outside.id)).calls).toBe(0);
  });
});

describe('a request from ::1 (a gateway on IPv6 loopback)', () => {
  const v6 = useLatchkey({ host: '::1' });

  it.each([
    [['::1/128'], 200],
    [['::/0'], 200],
    [['::/127'], 200],
    [['::2/127'], 403],
    [['2001:db8::/32'], 403],
    [['127.0.0.1/32'], 403],
    [['0.0.0.0/0'], 403],
  ])('list %j → %i (the 129-network condition in one write)', async (allowed, status) => {
    const k = await createKey(v6.call, v6.admin, { allowed_cidrs: allowed });
    expect((await echo(v6, k.token)).status).toBe(status);
    expect((await signedEcho(v6, k.token)).status).toBe(status);
    expect((await keyOf(v6, k.id)).calls).toBe(status === 200 ? 2 : 0);
  });
});
