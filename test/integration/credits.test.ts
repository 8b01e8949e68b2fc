/**
 * Per-key credits end to end through the local gateway against DynamoDB Local, on a clock the test
 * moves: 50 concurrent calls against a balance of 20 allow exactly 20 (bearer, signed, and bounded mode
 * with the key hot), the rest refused `credits_exhausted` (403 on the REST API) with nothing spent or
 * counted; lazy refill across a UTC period boundary (add, replace, max); concurrent top-ups; credits set,
 * changed and removed by PATCH; audit events for every change and for the low and exhausted crossings;
 * and a key without credits still verified by one DynamoDB call.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CREDITS_EXHAUSTED_MESSAGE } from '#core/errors';
import { signRequest } from '#core/signer';
import { keyPk, SORT_KEYS } from '#core/table';
import type { ApiCredits, AuditEvent } from '#core/wire';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { LatchkeyClient, LatchkeyError } from '#sdk/index';
import { authorizerEvent, httpAuthorizerEvent } from '../helpers/authorizer-event';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type TestLatchkey, useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { expectRefusal } from '../helpers/refusals';
import { localVerifier } from '../helpers/verify';

type ErrorBody = { error: { code: string; message: string } };
type Key = { id: string; calls: number; credits: ApiCredits | null };

let nowMs = Date.parse('2026-03-31T23:50:00Z');
const clock = () => nowMs;
const exact = useLatchkey({ now: clock, settings: { LATCHKEY_VERIFY_MODE: 'exact' } });
const bounded = useLatchkey({ now: clock, settings: { LATCHKEY_VERIFY_MODE: 'bounded' } });
// Routes of your own with a cost, as protect(…, { cost }) writes them for the authorizer.
const costed = useLatchkey({
  now: clock,
  settings: {
    LATCHKEY_VERIFY_MODE: 'exact',
    LATCHKEY_APPLICATION_ROUTES: JSON.stringify([
      { method: 'POST', path: '/reports', cost: 5 },
      { method: 'GET', path: '/reports' },
    ]),
  },
});

let ddbCalls: string[] = [];
beforeAll(() => {
  onDynamoCommand(exact.local.runtime.dynamo, (name) => ddbCalls.push(name));
});

const bearer = (t: TestLatchkey, token: string) => t.call<ErrorBody>('GET', '/v1/echo/ping', { token });
const signed = (t: TestLatchkey, token: string) => {
  const h = signRequest({
    token,
    method: 'GET',
    path: '/v1/echo/ping',
    timestamp: Math.floor(nowMs / 1000),
  });
  return t.call<ErrorBody>('GET', '/v1/echo/ping', { authorization: h.authorization });
};
const keyOf = async (t: TestLatchkey, id: string) =>
  (await t.call<{ key: Key }>('GET', `/v1/keys/${id}`, { token: t.admin })).body.key;
const auditOf = async (t: TestLatchkey, id: string) =>
  (
    await t.call<{ events: AuditEvent[] }>('GET', `/v1/audit?key_id=${id}&limit=100`, { token: t.admin })
  ).body.events.reverse();

async function storedBalance(t: TestLatchkey, id: string): Promise<number | null> {
  const out = await t.local.runtime.dynamo.send(
    new GetItemCommand({
      TableName: t.local.tableName,
      Key: { pk: { S: keyPk(id) }, sk: { S: SORT_KEYS.key } },
      ConsistentRead: true,
    }),
  );
  const n = out.Item?.cr_rem?.N;
  return n === undefined ? null : Number(n);
}

/** 50 calls at once; the statuses, counted. */
async function burst(call: () => Promise<{ status: number; body: ErrorBody }>) {
  const results = await Promise.all(Array.from({ length: 50 }, call));
  const allowed = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 403 && r.body.error.code === 'credits_exhausted');
  return { allowed, refused: refused.length, other: 50 - allowed - refused.length };
}

describe('exact under 50 concurrent calls against a balance of 20', () => {
  it.each([
    ['bearer, exact mode', exact, bearer],
    ['signed, exact mode', exact, signed],
    ['bearer, bounded mode', bounded, bearer],
    ['signed, bounded mode', bounded, signed],
  ] as const)('%s: 20 allowed, 30 credits_exhausted, balance 0', async (_, t, send) => {
    const k = await createKey(t.call, t.admin, {
      rate_limit_per_minute: 1000,
      credits: { remaining: 21 },
    });
    // One call first, as any key's first use on an instance: the authorizer learns the key has credits.
    expect((await send(t, k.token)).status).toBe(200);
    const result = await burst(() => send(t, k.token));
    expect(result).toEqual({ allowed: 20, refused: 30, other: 0 });
    expect(await storedBalance(t, k.id)).toBe(0);
    const key = await keyOf(t, k.id);
    expect(key.credits?.remaining).toBe(0);
    // Refused calls were not counted either.
    expect(key.calls).toBe(21);
  });

  it('refuses with the credits_exhausted body on the REST API, and nothing is spent', async () => {
    const k = await createKey(exact.call, exact.admin, { credits: { remaining: 0 } });
    const res = await bearer(exact, k.token);
    expectRefusal(res, 'rest', 'credits_exhausted');
    expect(res.body.error).toMatchObject({ code: 'credits_exhausted', message: CREDITS_EXHAUSTED_MESSAGE });
    expect(await storedBalance(exact, k.id)).toBe(0);
    expect((await keyOf(exact, k.id)).calls).toBe(0);
  });
});

describe('route cost', () => {
  it('spends the cost the route declares, refuses below it, and 1 elsewhere (REST and HTTP API events)', async () => {
    nowMs = Date.parse('2026-04-01T09:00:00Z');
    const authorize = createAuthorizerHandler(costed.local.runtime);
    const k = await createKey(costed.call, costed.admin, { credits: { remaining: 7 } });
    const rest = async (method: string) => {
      const event = { ...authorizerEvent(`Bearer ${k.token}`, method, '/reports'), resource: '/reports' };
      return (await authorize(event)) as APIGatewayAuthorizerResult;
    };
    const post = await rest('POST');
    expect(post.policyDocument.Statement.some((s) => s.Effect === 'Allow')).toBe(true);
    expect(await storedBalance(costed, k.id)).toBe(2);
    const refused = await rest('POST');
    expect(refused.policyDocument.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
    expect(refused.context).toMatchObject({ error_code: 'credits_exhausted' });
    expect(await storedBalance(costed, k.id)).toBe(2);
    expect((await rest('GET')).context).not.toHaveProperty('error_code', 'credits_exhausted');
    expect(await storedBalance(costed, k.id)).toBe(1);
    const http = (method: string) =>
      authorize(httpAuthorizerEvent(`Bearer ${k.token}`, method, '/reports', `${method} /reports`));
    expect(await http('POST')).toEqual({ isAuthorized: false });
    expect(await storedBalance(costed, k.id)).toBe(1);
    expect(await http('GET')).toMatchObject({ isAuthorized: true });
    expect(await storedBalance(costed, k.id)).toBe(0);
  });
});

describe('latchkey/verify', () => {
  it('spends the route cost and answers credits_exhausted with 429', async () => {
    nowMs = Date.parse('2026-04-01T10:00:00Z');
    const verifier = localVerifier(exact.local, {
      now: clock,
      routes: [{ method: 'POST', path: '/reports', cost: 3 }],
    });
    try {
      const k = await createKey(exact.call, exact.admin, { credits: { remaining: 4 } });
      const post = () =>
        verifier.verify({
          method: 'POST',
          path: '/reports',
          headers: { authorization: `Bearer ${k.token}` },
        });
      expect((await post()).allowed).toBe(true);
      expect(await storedBalance(exact, k.id)).toBe(1);
      const refused = await post();
      expect(refused).toMatchObject({ allowed: false, status: 429, code: 'credits_exhausted' });
      expect(refused.allowed ? null : refused.headers['retry-after']).toBeUndefined();
      expect(await storedBalance(exact, k.id)).toBe(1);
    } finally {
      verifier.close();
    }
  });
});

describe('a key without credits', () => {
  it('is unlimited and verified by one DynamoDB call per bearer request', async () => {
    const k = await createKey(exact.call, exact.admin);
    expect(k.key.credits).toBeNull();
    await bearer(exact, k.token);
    ddbCalls = [];
    for (let i = 0; i < 5; i++) expect((await bearer(exact, k.token)).status).toBe(200);
    expect(ddbCalls).toEqual(Array(5).fill('UpdateItemCommand'));
    expect(await storedBalance(exact, k.id)).toBeNull();
  });

  it('a key with credits, once known, is one DynamoDB call per allowed bearer request too', async () => {
    const k = await createKey(exact.call, exact.admin, { credits: { remaining: 10 } });
    expect((await bearer(exact, k.token)).status).toBe(200);
    ddbCalls = [];
    for (let i = 0; i < 3; i++) expect((await bearer(exact, k.token)).status).toBe(200);
    expect(ddbCalls).toEqual(Array(3).fill('UpdateItemCommand'));
    expect(await storedBalance(exact, k.id)).toBe(6);
  });
});

describe('lazy refill across a period boundary', () => {
  it('daily add: refilled by the first call after 00:00 UTC, once, capped at max', async () => {
    nowMs = Date.parse('2026-03-31T23:50:00Z');
    const k = await createKey(exact.call, exact.admin, {
      credits: { remaining: 2, refill: { amount: 5, every: 'day', mode: 'add', max: 6 } },
    });
    expect(k.key.credits).toMatchObject({ remaining: 2, next_refill_at: '2026-04-01T00:00:00.000Z' });
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect((await bearer(exact, k.token)).status).toBe(403);

    nowMs = Date.parse('2026-04-01T00:00:01Z');
    // The balance shown includes the refill due, before any call applies it.
    expect((await keyOf(exact, k.id)).credits?.remaining).toBe(5);
    expect(await storedBalance(exact, k.id)).toBe(0);
    const results = await Promise.all(Array.from({ length: 8 }, () => bearer(exact, k.token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(await storedBalance(exact, k.id)).toBe(0);
    expect((await keyOf(exact, k.id)).credits?.next_refill_at).toBe('2026-04-02T00:00:00.000Z');

    // add caps at max: 0 + 5 → 5, then a top-up to 7 is kept (above max) and the next refill leaves it.
    await exact.call('POST', `/v1/keys/${k.id}/credits`, { token: exact.admin, body: { add: 7 } });
    nowMs = Date.parse('2026-04-02T08:00:00Z');
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect(await storedBalance(exact, k.id)).toBe(6);
  });

  it('monthly replace on day 31: clamped to 30 April, sets the amount', async () => {
    nowMs = Date.parse('2026-04-10T12:00:00Z');
    const k = await createKey(exact.call, exact.admin, {
      credits: { remaining: 3, refill: { amount: 100, every: 'month', day: 31, mode: 'replace' } },
    });
    expect(k.key.credits).toMatchObject({ next_refill_at: '2026-04-30T00:00:00.000Z' });
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect(await storedBalance(exact, k.id)).toBe(2);
    nowMs = Date.parse('2026-04-30T00:00:00Z');
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect(await storedBalance(exact, k.id)).toBe(99);
    expect((await keyOf(exact, k.id)).credits?.next_refill_at).toBe('2026-05-31T00:00:00.000Z');
  });

  it('signed requests refill too', async () => {
    nowMs = Date.parse('2026-05-01T23:59:00Z');
    const k = await createKey(exact.call, exact.admin, {
      credits: { remaining: 0, refill: { amount: 3, every: 'day', mode: 'replace' } },
    });
    expect((await signed(exact, k.token)).status).toBe(403);
    nowMs = Date.parse('2026-05-02T00:00:30Z');
    expect((await signed(exact, k.token)).status).toBe(200);
    expect(await storedBalance(exact, k.id)).toBe(2);
  });
});

describe('top-up, PATCH and the audit trail', () => {
  it('adds atomically under concurrent top-ups and calls', async () => {
    nowMs = Date.parse('2026-06-01T10:00:00Z');
    const k = await createKey(exact.call, exact.admin, {
      rate_limit_per_minute: 1000,
      credits: { remaining: 100 },
    });
    const topUps = Array.from({ length: 10 }, () =>
      exact.call<{ key: Key }>('POST', `/v1/keys/${k.id}/credits`, { token: exact.admin, body: { add: 5 } }),
    );
    const calls = Array.from({ length: 30 }, () => bearer(exact, k.token));
    const [ups, uses] = await Promise.all([Promise.all(topUps), Promise.all(calls)]);
    expect(ups.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(uses.every((r) => r.status === 200)).toBe(true);
    expect(await storedBalance(exact, k.id)).toBe(100 + 50 - 30);
    const added = (await auditOf(exact, k.id)).filter((e) => e.type === 'key.credits_added');
    expect(added).toHaveLength(10);
    expect(added[0]?.changes).toEqual({ credits_added: { old: null, new: 5 } });
  });

  it('the SDK sets credits, tops them up and tells credits_exhausted apart', async () => {
    nowMs = Date.parse('2026-06-01T11:00:00Z');
    const admin = new LatchkeyClient({ baseUrl: exact.local.url, key: exact.admin, retries: 0 });
    const { key, raw_key } = await admin.createKey({ name: 'sdk', credits: { remaining: 0 } });
    const asKey = new LatchkeyClient({ baseUrl: exact.local.url, key: raw_key, retries: 0 });
    const refused = await asKey.whoami().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LatchkeyError);
    expect((refused as LatchkeyError).isCreditsExhausted).toBe(true);
    expect((refused as LatchkeyError).isRateLimited).toBe(false);
    expect((await admin.addCredits(key.id, 2)).key.credits?.remaining).toBe(2);
    expect((await asKey.whoami()).principal).toBe('key');
    expect((await admin.getKey(key.id)).key.credits?.remaining).toBe(1);
  });

  it('validates the top-up and refuses one for a key without credits', async () => {
    const plain = await createKey(exact.call, exact.admin);
    const none = await exact.call<ErrorBody>('POST', `/v1/keys/${plain.id}/credits`, {
      token: exact.admin,
      body: { add: 5 },
    });
    expect(none.status).toBe(409);
    expect(none.body.error.message).toContain('has no credits');
    for (const body of [{ add: 0 }, { add: 1.5 }, {}, { add: 5, extra: 1 }]) {
      const res = await exact.call<ErrorBody>('POST', `/v1/keys/${plain.id}/credits`, {
        token: exact.admin,
        body,
      });
      expect(res.status).toBe(400);
    }
  });

  it.each([
    [{ remaining: -1 }, 'credits.remaining: must be an integer from 0'],
    [{ remaining: 5, refill: { amount: 5, every: 'week', mode: 'add' } }, 'credits.refill.every'],
    [{ remaining: 5, refill: { amount: 5, every: 'day', day: 3, mode: 'add' } }, 'credits.refill.day'],
    [{ remaining: 5, refill: { amount: 5, every: 'day', mode: 'replace', max: 9 } }, 'credits.refill.max'],
    [{ remaining: 5, refill: { amount: 5, every: 'day', mode: 'add', max: 4 } }, 'at least the amount'],
    [{ remaining: 5, low: 3 }, 'credits.low: unknown field'],
  ])('credits %j is a 400 naming the field', async (credits, message) => {
    const res = await exact.call<ErrorBody>('POST', '/v1/keys', {
      token: exact.admin,
      body: { name: 'x', credits },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it('PATCH sets, changes and removes credits, each in a key.updated event', async () => {
    nowMs = Date.parse('2026-06-02T10:00:00Z');
    const k = await createKey(exact.call, exact.admin);
    const set = await exact.call<{ key: Key }>('PATCH', `/v1/keys/${k.id}`, {
      token: exact.admin,
      body: { credits: { remaining: 1, low_threshold: 1 } },
    });
    expect(set.body.key.credits).toEqual({
      remaining: 1,
      refill: null,
      next_refill_at: null,
      low_threshold: 1,
    });
    // The authorizer learns of the credits from its refused write, and spends.
    nowMs += 1000;
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect((await bearer(exact, k.token)).status).toBe(403);
    nowMs += 1000;
    const removed = await exact.call<{ key: Key }>('PATCH', `/v1/keys/${k.id}`, {
      token: exact.admin,
      body: { credits: null },
    });
    expect(removed.body.key.credits).toBeNull();
    expect((await bearer(exact, k.token)).status).toBe(200);
    expect(await storedBalance(exact, k.id)).toBeNull();

    const events = await auditOf(exact, k.id);
    expect(events.map((e) => e.type)).toEqual([
      'key.created',
      'key.updated',
      'key.credits_low',
      'key.credits_exhausted',
      'key.updated',
    ]);
    expect(events[1]?.changes).toMatchObject({
      credits_remaining: { old: null, new: 1 },
      credits_low_threshold: { old: null, new: 1 },
    });
    expect(events[2]?.changes).toMatchObject({ credits_remaining: { old: 1, new: 0 } });
    expect(events[4]?.changes).toMatchObject({ credits_remaining: { old: 0, new: null } });
  });

  it('writes key.credits_low and key.credits_exhausted once each under concurrent calls', async () => {
    nowMs = Date.parse('2026-06-03T10:00:00Z');
    const k = await createKey(exact.call, exact.admin, {
      rate_limit_per_minute: 1000,
      credits: { remaining: 20, low_threshold: 5 },
    });
    expect(k.key.credits).toMatchObject({ low_threshold: 5 });
    await burst(() => bearer(exact, k.token));
    const kinds = (await auditOf(exact, k.id)).map((e) => e.type);
    expect(kinds.filter((t) => t === 'key.credits_low')).toHaveLength(1);
    expect(kinds.filter((t) => t === 'key.credits_exhausted')).toHaveLength(1);
  });
});
