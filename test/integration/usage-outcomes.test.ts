/**
 * Usage by outcome through the local gateway on DynamoDB Local: each refusal of a key whose credential
 * matched is counted once under its outcome (bearer and signed, REST and HTTP API mode), junk counts
 * nothing and writes nothing, an allowed bearer request is still one DynamoDB call, the roll-up moves
 * refusal counters exactly once, a failed or slow count never changes or holds up the refusal, and the
 * key item stays under 1 KB with refusal counters on it.
 */
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { noRefusals, type RefusalCounts, refusalDayAttribute } from '#core/outcomes';
import { signRequest } from '#core/signer';
import { keyPk, SORT_KEYS, usageDayAttribute, usagePk } from '#core/table';
import { formatToken, parseToken, SECRET_LENGTH } from '#core/token';
import { DynamoUsageHistory } from '#lambda/dynamo/usage-history';
import { logger } from '#lambda/runtime/logger';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { itemSize } from '../helpers/item-size';
import { type TestLatchkey, useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { withBadChecksum, withWrongSecret } from '../helpers/tokens';

type UsageDay = { date: string; calls: number; refused: RefusalCounts };

const DAY = 86_400_000;
let nowMs = Date.parse('2026-09-10T09:00:30Z');
const clock = () => nowMs;
const rest = useLatchkey({ now: clock, settings: { LATCHKEY_VERIFY_MODE: 'exact' } });
const http = useLatchkey({ now: clock, apiType: 'http', settings: { LATCHKEY_VERIFY_MODE: 'exact' } });

let ddbCalls: string[] = [];
beforeAll(() => {
  onDynamoCommand(rest.local.runtime.dynamo, (name) => ddbCalls.push(name));
});

const bearer = (t: TestLatchkey, token: string, method = 'GET') => t.call(method, '/v1/echo/ping', { token });
const signed = (t: TestLatchkey, token: string, method = 'GET') => {
  const h = signRequest({ token, method, path: '/v1/echo/ping', timestamp: Math.floor(nowMs / 1000) });
  return t.call(method, '/v1/echo/ping', { authorization: h.authorization });
};
const today = async (t: TestLatchkey, id: string): Promise<UsageDay> => {
  const res = await t.call<{ days: UsageDay[] }>('GET', `/v1/keys/${id}/usage?days=1`, { token: t.admin });
  expect(res.status).toBe(200);
  return res.body.days[0] as UsageDay;
};
const expected = (calls: number, refused: Partial<RefusalCounts>) => ({
  calls,
  refused: { ...noRefusals(), ...refused },
});
const patch = (t: TestLatchkey, id: string, body: Record<string, unknown>) =>
  t.call('PATCH', `/v1/keys/${id}`, { token: t.admin, body });

async function keyItem(t: TestLatchkey, id: string) {
  const out = await t.local.runtime.dynamo.send(
    new GetItemCommand({
      TableName: t.local.tableName,
      Key: { pk: { S: keyPk(id) }, sk: { S: SORT_KEYS.key } },
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}
const refusalCounters = (item: Record<string, unknown>) =>
  Object.keys(item).filter((k) => k.startsWith('o_'));

/** Every outcome a request can be refused with here, each produced once with `send`; calls allowed: 2. */
async function refuseOnceEach(t: TestLatchkey, send: typeof bearer) {
  const k = await createKey(t.call, t.admin, {
    rate_limit_per_minute: 2,
    expires_at: new Date(nowMs + 3_600_000).toISOString(),
  });
  expect((await send(t, k.token)).status).toBe(200);
  expect((await send(t, k.token)).status).toBe(200);
  expect((await send(t, k.token)).status).toBe(403); // rate_limited
  nowMs += 60_000;
  expect((await patch(t, k.id, { allowed_cidrs: ['10.0.0.0/8'] })).status).toBe(200);
  expect((await send(t, k.token)).status).toBe(403); // network
  expect((await patch(t, k.id, { allowed_cidrs: null, enabled: false })).status).toBe(200);
  expect((await send(t, k.token)).status).toBe(t.local.apiType === 'http' ? 403 : 401); // disabled
  expect((await patch(t, k.id, { enabled: true })).status).toBe(200);
  nowMs += 3_600_000;
  expect((await send(t, k.token)).status).toBe(t.local.apiType === 'http' ? 403 : 401); // expired
  nowMs -= 3_600_000;
  const viewer = await createKey(t.call, t.admin, { roles: ['viewer'] });
  expect((await send(t, viewer.token, 'POST')).status).toBe(403); // forbidden: viewers may not write
  expect((await send(t, viewer.token)).status).toBe(200);
  await t.call('DELETE', `/v1/keys/${viewer.id}`, { token: t.admin });
  expect((await send(t, viewer.token)).status).toBe(t.local.apiType === 'http' ? 403 : 401); // revoked
  return { key: k, viewer };
}

describe.each([
  ['bearer', bearer],
  ['signed', signed],
] as const)('each outcome is counted once (%s)', (_scheme, send) => {
  it.each([
    ['REST', rest],
    ['HTTP API', http],
  ])('%s mode', async (_mode, t) => {
    nowMs = Date.parse('2026-09-10T09:00:30Z');
    const { key, viewer } = await refuseOnceEach(t, send);
    expect(await today(t, key.id)).toMatchObject(
      expected(2, { rate_limited: 1, network: 1, disabled: 1, expired: 1 }),
    );
    // The forbidden call is moved from calls to forbidden: the viewer was allowed once, refused twice.
    expect(await today(t, viewer.id)).toMatchObject(expected(1, { forbidden: 1, revoked: 1 }));
    const shown = await t.call<{ key: { calls: number } }>('GET', `/v1/keys/${viewer.id}`, {
      token: t.admin,
    });
    expect(shown.body.key.calls).toBe(1);
  });
});

describe('junk counts nothing and writes nothing', () => {
  it('bad checksum, unknown key id, wrong secret for a real key id, bad signature', async () => {
    nowMs = Date.parse('2026-09-11T09:00:30Z');
    const k = await createKey(rest.call, rest.admin);
    const prefix = parseToken(k.token, k.token.slice(0, k.token.indexOf('_')))?.prefix ?? '';
    const revoked = await createKey(rest.call, rest.admin);
    await rest.call('DELETE', `/v1/keys/${revoked.id}`, { token: rest.admin });
    const cases: [string, () => Promise<{ status: number }>, string[]][] = [
      ['bad checksum', () => bearer(rest, withBadChecksum(k.token)), []],
      [
        'unknown key id',
        () => bearer(rest, formatToken(prefix, randomBase62(k.id.length), randomBase62(SECRET_LENGTH))),
        ['UpdateItemCommand'],
      ],
      ['wrong secret', () => bearer(rest, withWrongSecret(k.token)), ['UpdateItemCommand']],
      [
        'bad signature',
        () => {
          const h = signRequest({
            token: k.token,
            method: 'GET',
            path: '/v1/echo/other',
            timestamp: Math.floor(nowMs / 1000),
          });
          return rest.call('GET', '/v1/echo/ping', { authorization: h.authorization });
        },
        ['GetItemCommand'],
      ],
      [
        'wrong secret, revoked key',
        () => bearer(rest, withWrongSecret(revoked.token)),
        // The refused use-write only: a revoked key is counted only for its own secret.
        ['UpdateItemCommand'],
      ],
    ];
    for (const [name, send, calls] of cases) {
      ddbCalls = [];
      expect((await send()).status, name).toBe(401);
      expect(ddbCalls, name).toEqual(calls);
    }
    expect(refusalCounters(await keyItem(rest, k.id))).toEqual([]);
    expect(refusalCounters(await keyItem(rest, revoked.id))).toEqual([]);
    expect(await today(rest, k.id)).toMatchObject(expected(0, {}));
  });

  it('an allowed bearer request is still exactly one DynamoDB call; a refused one, one more', async () => {
    const k = await createKey(rest.call, rest.admin, { rate_limit_per_minute: 1 });
    nowMs = Date.parse('2026-09-11T10:00:30Z');
    ddbCalls = [];
    expect((await bearer(rest, k.token)).status).toBe(200);
    expect(ddbCalls).toEqual(['UpdateItemCommand']);
    ddbCalls = [];
    expect((await bearer(rest, k.token)).status).toBe(403);
    expect(ddbCalls).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
  });
});

describe('the roll-up', () => {
  it('moves refusal counters with the calls, exactly once, even when a count lands mid-roll-up', async () => {
    nowMs = Date.parse('2026-09-20T12:00:30Z');
    const k = await createKey(rest.call, rest.admin, { rate_limit_per_minute: 1 });
    expect((await bearer(rest, k.token)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await bearer(rest, k.token)).status).toBe(403);
    const stale = await keyItem(rest, k.id);
    expect(refusalCounters(stale)).toEqual([refusalDayAttribute('rate_limited', '2026-09-20')]);
    // One more refusal after the roll-up's read: its condition fails, it reads again, moves 4 once.
    expect((await bearer(rest, k.token)).status).toBe(403);
    nowMs += DAY;
    const history = new DynamoUsageHistory({
      client: rest.local.runtime.dynamo,
      tableName: rest.local.tableName,
      retentionSeconds: rest.local.config.retentionSeconds,
    });
    await history.rollUpKey(k.id, '2026-09-21', stale);
    const item = await keyItem(rest, k.id);
    expect(refusalCounters(item)).toEqual([]);
    expect(item[usageDayAttribute('2026-09-20')]).toBeUndefined();
    const out = await rest.local.runtime.dynamo.send(
      new QueryCommand({
        TableName: rest.local.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: usagePk(k.id) } },
        ConsistentRead: true,
      }),
    );
    expect(out.Items?.map((i) => [i.sk?.S, i.calls?.N, i.rate_limited?.N])).toEqual([
      ['2026-09-20', '1', '4'],
    ]);
    // Read twice (the second read rolls nothing more up): the same answer.
    for (let i = 0; i < 2; i++) {
      const res = await rest.call<{ days: UsageDay[] }>('GET', `/v1/keys/${k.id}/usage?days=2`, {
        token: rest.admin,
      });
      expect(res.body.days.map((d) => [d.calls, d.refused.rate_limited])).toEqual([
        [1, 4],
        [0, 0],
      ]);
    }
  });

  it('a day with refusals and no calls rolls up, and the daily scan finds it', async () => {
    nowMs = Date.parse('2026-09-25T12:00:30Z');
    const k = await createKey(rest.call, rest.admin);
    await patch(rest, k.id, { enabled: false });
    for (let i = 0; i < 2; i++) await bearer(rest, k.token);
    nowMs += DAY;
    const history = new DynamoUsageHistory({
      client: rest.local.runtime.dynamo,
      tableName: rest.local.tableName,
      retentionSeconds: rest.local.config.retentionSeconds,
    });
    expect((await history.rollUpAll(nowMs)).keys).toBeGreaterThanOrEqual(1);
    expect(refusalCounters(await keyItem(rest, k.id))).toEqual([]);
    const res = await rest.call<{ days: UsageDay[] }>('GET', `/v1/keys/${k.id}/usage?days=2`, {
      token: rest.admin,
    });
    expect(res.body.days[0]).toMatchObject(expected(0, { disabled: 2 }));
  });
});

describe('fail closed', () => {
  const faulty = useLatchkey({ now: clock, settings: { LATCHKEY_VERIFY_MODE: 'exact' } });
  let fault: 'fail' | 'slow' | null = null;
  beforeAll(() => {
    // The count write is the UpdateItem that ADDs an o_ counter: fail it or hold it, nothing else.
    faulty.local.runtime.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (fault !== null && input.UpdateExpression?.startsWith('ADD #o')) {
          if (fault === 'fail') throw Object.assign(new Error('injected'), { name: 'InternalServerError' });
          await new Promise((resolve) => setTimeout(resolve, 3_000));
        }
        return next(args);
      },
      { step: 'initialize', name: 'refusalCountFault' },
    );
  });

  it.each(['fail', 'slow'] as const)(
    'a count write that is %s leaves the refusal as it was',
    async (mode) => {
      nowMs = Date.parse('2026-09-12T09:00:30Z');
      const k = await createKey(faulty.call, faulty.admin, { rate_limit_per_minute: 1 });
      expect((await bearer(faulty, k.token)).status).toBe(200);
      await patch(faulty, k.id, { enabled: false });
      fault = mode;
      const warn = logger.warn;
      const warned: unknown[] = [];
      logger.warn = (...args: unknown[]) => void warned.push(args[0]);
      try {
        const started = performance.now();
        const res = await bearer(faulty, k.token);
        const ms = performance.now() - started;
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
        // Answered after at most the bounded wait (100 ms), not the 3 s the write takes.
        expect(ms).toBeLessThan(1_500);
        expect(warned).toContain('refusal count not written');
      } finally {
        logger.warn = warn;
        fault = null;
      }
    },
  );
});

describe('the key item', () => {
  it('stays under 1 KB with every refusal counter of two days on it', async () => {
    nowMs = Date.parse('2026-09-30T23:59:00Z');
    const k = await createKey(rest.call, rest.admin, {
      name: 'nightly export '.repeat(7).slice(0, 100),
      rate_limit_per_minute: 100_000,
    });
    const store = rest.local.runtime.dynamo;
    for (let i = 0; i < 20; i++) await bearer(rest, k.token);
    // Every outcome on yesterday and today, written as the authorizer writes them.
    const { DynamoUsageStore } = await import('#lambda/dynamo/usage');
    const usage = new DynamoUsageStore({ client: store, tableName: rest.local.tableName });
    for (const day of [nowMs, nowMs + DAY])
      for (const outcome of Object.keys(noRefusals()) as (keyof RefusalCounts)[])
        await usage.recordRefusal({ keyId: k.id, outcome, nowMs: day });
    nowMs += DAY;
    for (let i = 0; i < 20; i++) await bearer(rest, k.token);
    const item = await keyItem(rest, k.id);
    expect(refusalCounters(item)).toHaveLength(14);
    const bytes = itemSize(item);
    // Measured: 765 bytes with a 100-character name, no description and all 14 refusal counters (docs/protocol.md §5.6).
    expect(bytes, `${bytes} bytes`).toBeLessThan(1024);
  });
});
