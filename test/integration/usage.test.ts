import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { noRefusals, type RefusalCounts } from '#core/outcomes';
import { signRequest } from '#core/signer';
import { keyPk, SORT_KEYS, usageDayAttribute, usagePk } from '#core/table';
import { DynamoUsageHistory } from '#lambda/dynamo/usage-history';
import { createUsageRollUpHandler } from '#lambda/handlers/management';
import { itemSize } from '../helpers/item-size';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { withWrongSecret } from '../helpers/tokens';

/**
 * `GET /v1/keys/{id}/usage` through the local gateway on DynamoDB Local, with a clock the test moves
 * across UTC days: counts equal the requests allowed (bearer and signed), refusals are not counted,
 * exactly N entries with zeros, the roll-up moves counters without changing the answer, history
 * survives revocation, visibility and validation, and the key item's size after a busy day.
 */
const DAY = 86_400_000;
let nowMs = Date.parse('2026-03-10T09:00:00Z');
// Exact verification: on a frozen clock a busy key's counts would otherwise wait in memory for the
// hot-key bound (test/reliability/hot-keys.test.ts covers that path).
const lk = useLatchkey({ now: () => nowMs, settings: { LATCHKEY_VERIFY_MODE: 'exact' } });

type Usage = { key_id: string; days: { date: string; calls: number; refused: RefusalCounts }[] };
/** A usage entry: its calls, and refusals by outcome (every other outcome 0). */
const day = (date: string, calls: number, refused: Partial<RefusalCounts> = {}) => ({
  date,
  calls,
  refused: { ...noRefusals(), ...refused },
});

const bearer = (token: string) => lk.call('GET', '/v1/echo/ping', { token });
const signed = (token: string) => {
  const h = signRequest({ token, method: 'GET', path: '/v1/echo/ping', timestamp: Math.floor(nowMs / 1000) });
  return lk.call('GET', '/v1/echo/ping', { authorization: h.authorization });
};
const usage = (id: string, query = '') =>
  lk.call<Usage>('GET', `/v1/keys/${id}/usage${query}`, { token: lk.admin });
const nextMinute = () => {
  nowMs += 60_000;
};

async function keyItem(id: string) {
  const out = await lk.local.runtime.dynamo.send(
    new GetItemCommand({
      TableName: lk.local.tableName,
      Key: { pk: { S: keyPk(id) }, sk: { S: SORT_KEYS.key } },
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}

async function historyItems(id: string) {
  const out = await lk.local.runtime.dynamo.send(
    new QueryCommand({
      TableName: lk.local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: usagePk(id) } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => [i.sk?.S, Number(i.calls?.N), Number(i.ttl?.N)] as const);
}

const counterNames = (item: Record<string, unknown>) => Object.keys(item).filter((k) => k.startsWith('u_'));

describe('counts', () => {
  it('equal the requests allowed, bearer and signed; refused requests are not counted', async () => {
    const k = await createKey(lk.call, lk.admin, { rate_limit_per_minute: 5 });
    for (let i = 0; i < 3; i++) expect((await bearer(k.token)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await signed(k.token)).status).toBe(200);
    const limited = await bearer(k.token); // over the limit of 5 this minute
    expect(limited.status).toBe(403);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await bearer(withWrongSecret(k.token))).status).toBe(401); // wrong secret
    nextMinute();
    expect((await bearer(k.token)).status).toBe(200);

    const res = await usage(k.id);
    expect(res.status).toBe(200);
    expect(res.body.key_id).toBe(k.id);
    expect(res.body.days).toHaveLength(30);
    expect(res.body.days.at(-1)).toEqual(day('2026-03-10', 6, { rate_limited: 1 }));
    expect(res.body.days[0]?.date).toBe('2026-02-09');
    expect(res.body.days.slice(0, -1).every((d) => d.calls === 0)).toBe(true);
    const key = await lk.call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(key.body.key.calls).toBe(6);
  });

  it('a revoked key is refused, and counted as revoked, not as a call', async () => {
    const k = await createKey(lk.call, lk.admin);
    await bearer(k.token);
    await lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin });
    expect((await bearer(k.token)).status).toBe(401);
    expect((await usage(k.id, '?days=1')).body.days).toEqual([day('2026-03-10', 1, { revoked: 1 })]);
  });
});

describe('over days', () => {
  it('exactly N entries, oldest first, zeros included; the roll-up moves counters and the answer is unchanged', async () => {
    nowMs = Date.parse('2026-04-01T23:59:00Z');
    const k = await createKey(lk.call, lk.admin);
    for (let i = 0; i < 2; i++) await bearer(k.token);
    nowMs = Date.parse('2026-04-02T00:00:30Z');
    for (let i = 0; i < 3; i++) await signed(k.token);
    nowMs = Date.parse('2026-04-04T10:00:00Z');
    await bearer(k.token);
    expect(counterNames(await keyItem(k.id)).sort()).toEqual(['u_20260401', 'u_20260402', 'u_20260404']);

    const expected = [
      day('2026-03-31', 0),
      day('2026-04-01', 2),
      day('2026-04-02', 3),
      day('2026-04-03', 0),
      day('2026-04-04', 1),
    ];
    const first = await usage(k.id, '?days=5');
    expect(first.body.days).toEqual(expected);
    // The read rolled the past days off the key item into history; today's counter stays.
    expect(counterNames(await keyItem(k.id))).toEqual(['u_20260404']);
    expect((await historyItems(k.id)).map(([d, c]) => [d, c])).toEqual([
      ['2026-04-01', 2],
      ['2026-04-02', 3],
    ]);
    expect((await usage(k.id, '?days=5')).body.days).toEqual(expected);

    // A day later, the scheduled roll-up moves yesterday's counter; the answer is the same, shifted.
    nowMs += DAY;
    await bearer(k.token);
    const rolled = await createUsageRollUpHandler(lk.local.runtime)();
    expect(rolled.rolled_up_keys).toBeGreaterThanOrEqual(1);
    expect(counterNames(await keyItem(k.id))).toEqual(['u_20260405']);
    expect((await usage(k.id, '?days=6')).body.days).toEqual([...expected, day('2026-04-05', 1)]);
    expect((await usage(k.id, '?days=1')).body.days).toEqual([day('2026-04-05', 1)]);
    expect((await usage(k.id, '?days=90')).body.days).toHaveLength(90);
  });

  it('history survives revocation, and its TTL outlives both 90 days and the key record', async () => {
    nowMs = Date.parse('2026-05-10T12:00:00Z');
    const k = await createKey(lk.call, lk.admin);
    await bearer(k.token);
    await bearer(k.token);
    nowMs += DAY;
    await bearer(k.token);
    expect((await lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin })).status).toBe(200);
    nowMs += 3 * DAY;
    const res = await usage(k.id, '?days=5');
    expect(res.body.days.map((d) => d.calls)).toEqual([2, 1, 0, 0, 0]);
    const keyTtl = Number((await keyItem(k.id)).ttl?.N);
    for (const [day, , ttl] of await historyItems(k.id)) {
      expect(ttl).toBeGreaterThan(keyTtl);
      expect(ttl * 1000).toBeGreaterThanOrEqual(Date.parse(`${day}T00:00:00Z`) + 91 * DAY);
    }
  });

  it('a counter that grows during a roll-up is moved whole, never twice', async () => {
    nowMs = Date.parse('2026-06-01T12:00:00Z');
    const k = await createKey(lk.call, lk.admin);
    for (let i = 0; i < 3; i++) await bearer(k.token);
    const stale = await keyItem(k.id);
    stale[usageDayAttribute('2026-06-01')] = { N: '1' }; // what an earlier read saw
    nowMs += DAY;
    const history = new DynamoUsageHistory({
      client: lk.local.runtime.dynamo,
      tableName: lk.local.tableName,
      retentionSeconds: lk.local.config.retentionSeconds,
    });
    await history.rollUpKey(k.id, '2026-06-02', stale);
    expect((await historyItems(k.id)).map(([d, c]) => [d, c])).toEqual([['2026-06-01', 3]]);
    expect((await usage(k.id, '?days=2')).body.days.map((d) => d.calls)).toEqual([3, 0]);
  });
});

describe('rules', () => {
  it('another organization sees 404; keys:read is needed', async () => {
    nowMs = Date.parse('2026-07-01T12:00:00Z');
    const k = await createKey(lk.call, lk.admin);
    const other = await createKey(lk.call, lk.admin, { roles: ['admin'], org_id: 'other-org' });
    const member = await createKey(lk.call, lk.admin);
    const res = await lk.call('GET', `/v1/keys/${k.id}/usage`, { token: other.token });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'not_found' } });
    expect((await lk.call('GET', `/v1/keys/${k.id}/usage`, { token: member.token })).status).toBe(403);
    const own = await createKey(lk.call, lk.admin, { roles: ['viewer', 'admin'] });
    expect((await lk.call('GET', `/v1/keys/${k.id}/usage`, { token: own.token })).status).toBe(200);
  });

  it.each(['?days=0', '?days=91', '?days=abc', '?days=-1', '?days=1.5', '?days='])(
    '%s is a 400 naming days',
    async (query) => {
      const k = await createKey(lk.call, lk.admin);
      const res = await usage(k.id, query);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('days');
    },
  );

  it('an unknown query parameter is a 400; an unknown key is a 404', async () => {
    const k = await createKey(lk.call, lk.admin);
    expect((await usage(k.id, '?day=3')).status).toBe(400);
    expect((await usage('AAAAAAAAAAAAAAAA')).status).toBe(404);
  });
});

describe('the key item', () => {
  it('stays under 1 KB (1 WRU) at the end of a busy day, with default metadata', async () => {
    nowMs = Date.parse('2026-08-01T23:58:00Z');
    const k = await createKey(lk.call, lk.admin, {
      name: 'nightly export '.repeat(7).slice(0, 100),
      rate_limit_per_minute: 100_000,
    });
    for (let i = 0; i < 20; i++) await bearer(k.token);
    nowMs = Date.parse('2026-08-02T23:59:30Z');
    await Promise.all(Array.from({ length: 40 }, () => bearer(k.token)));
    const item = await keyItem(k.id);
    // Worst case before the nightly roll-up: yesterday's and today's day counters, two minute windows.
    expect(counterNames(item)).toEqual(expect.arrayContaining(['u_20260801', 'u_20260802']));
    const bytes = itemSize(item);
    // Measured: 535 bytes with a 100-character name (the longest) and no description (docs/performance.md).
    expect(bytes, `${bytes} bytes`).toBeLessThan(1024);
  });
});
