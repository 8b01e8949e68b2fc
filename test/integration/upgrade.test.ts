/**
 * Upgrades keep keys working: the items a previous release wrote (test/fixtures/upgrade/v0.1.0.json,
 * written by that release's code with test/fixtures/upgrade/capture.ts) are loaded into a fresh table,
 * with that release's admin key and signing secret, and the current code must read, verify and keep
 * counting them. The fixture is never regenerated: new attributes this code adds must be optional on
 * read, and every expectation here is the capture script's own story of those keys.
 *
 * The handlers' clock starts at the capture's time (so grace periods and day counters mean what they
 * meant then). Only the `ttl` attribute is moved forward by the time since the capture: DynamoDB Local
 * deletes expired items in real time, and the code never relies on TTL (it compares expiry itself).
 */
import { readFileSync } from 'node:fs';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { TABLE_SCHEMA } from '#core/table';
import { useLatchkey } from '../helpers/latchkey';

interface Made {
  id: string;
  token: string;
}
interface Fixture {
  release: string;
  captured_at: string;
  admin_key: string;
  signing_secret: string;
  keys: Record<
    | 'plain'
    | 'signed'
    | 'withMetadata'
    | 'inNetwork'
    | 'outOfNetwork'
    | 'disabled'
    | 'revoked'
    | 'expiring'
    | 'rotating'
    | 'successor'
    | 'hot',
    Made
  >;
  items: Array<Record<string, AttributeValue>>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/upgrade/v0.1.0.json', import.meta.url), 'utf8'),
) as Fixture;
const { keys } = fixture;
const capturedAt = Date.parse(fixture.captured_at);
const DAY_MS = 86_400_000;
/** The capture's day and the two before it, as the usage history names them. */
const day = (back: number) => new Date(capturedAt - back * DAY_MS).toISOString().slice(0, 10);

let offsetMs = 0;
const startedAt = Date.now();
const clock = () => capturedAt + (Date.now() - startedAt) + offsetMs;

// The capture's deployment settings besides its data (plans are configuration, not items).
const t = useLatchkey({
  now: clock,
  adminKey: fixture.admin_key,
  signingSecret: fixture.signing_secret,
  settings: { LATCHKEY_PLANS: JSON.stringify({ starter: 3, pro: 50 }) },
});

beforeAll(async () => {
  const ttlShift = Math.ceil((Date.now() - capturedAt) / 1000);
  const items = fixture.items.map((item) => {
    const ttl = item[TABLE_SCHEMA.ttlAttribute]?.N;
    return ttl === undefined
      ? item
      : { ...item, [TABLE_SCHEMA.ttlAttribute]: { N: String(Number(ttl) + ttlShift) } };
  });
  // One item at a time: small requests, each inside the client's short timeout on a loaded machine.
  for (const Item of items)
    await t.local.runtime.dynamo.send(new PutItemCommand({ TableName: t.local.tableName, Item }));
});

const bearer = (k: Made) => ({ authorization: `Bearer ${k.token}` });
const signed = (k: Made, method: string, path: string, body?: string) => {
  const h = signRequest({
    token: k.token,
    method,
    path,
    ...(body === undefined ? {} : { body }),
    timestamp: Math.floor(clock() / 1000),
  }).headers;
  return body === undefined
    ? { headers: { ...h } }
    : { headers: { ...h, 'content-type': 'application/json' }, rawBody: body };
};
const admin = () => ({ token: t.admin });
const echo = '/v1/echo/upgrade';

interface KeyView {
  id: string;
  name: string;
  description: string | null;
  calls: number;
  status: string;
  enabled: boolean;
  org_id: string;
  roles: string[];
  rate_limit_per_minute: number;
  metadata: Record<string, string>;
  allowed_cidrs: string[];
}
const getKey = async (k: Made) => {
  const res = await t.call<{ key: KeyView }>('GET', `/v1/keys/${k.id}`, admin());
  expect(res.status).toBe(200);
  return res.body.key;
};
const usage = async (k: Made) => {
  const res = await t.call<{ days: Array<{ date: string; calls: number }> }>(
    'GET',
    `/v1/keys/${k.id}/usage?days=7`,
    admin(),
  );
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.days.filter((d) => d.calls > 0).map((d) => [d.date, d.calls]));
};

describe(`keys written by ${fixture.release}`, () => {
  it('every live token still verifies, bearer and ARMOR-PSK signed', async () => {
    for (const k of [
      keys.plain,
      keys.signed,
      keys.withMetadata,
      keys.inNetwork,
      keys.rotating,
      keys.successor,
      keys.hot,
    ]) {
      expect((await t.call('GET', echo, bearer(k))).status, k.id).toBe(200);
    }
    for (const k of [keys.signed, keys.plain, keys.successor]) {
      expect((await t.call('GET', `${echo}?page=2`, signed(k, 'GET', `${echo}?page=2`))).status, k.id).toBe(
        200,
      );
    }
    // POST needs api:write, which the rotated key's role (viewer) does not have.
    const body = '{"sku":"B-2","qty":1}';
    for (const k of [keys.signed, keys.plain])
      expect((await t.call('POST', echo, signed(k, 'POST', echo, body))).status, k.id).toBe(200);
  });

  it('disabled, revoked and expired keys still refuse; an allowlist still holds', async () => {
    for (const k of [keys.disabled, keys.revoked, keys.expiring]) {
      expect((await t.call('GET', echo, bearer(k))).status, k.id).toBe(401);
      expect((await t.call('GET', echo, signed(k, 'GET', echo))).status, k.id).toBe(401);
    }
    const outside = await t.call<{ error: { code: string } }>('GET', echo, bearer(keys.outOfNetwork));
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('ip_not_allowed');
  });

  it('records read as written: names, metadata, allowlists, orgs, roles, statuses', async () => {
    const meta = await getKey(keys.withMetadata);
    expect(meta).toMatchObject({
      name: 'with metadata',
      description: 'metadata edited',
      org_id: 'acme',
      rate_limit_per_minute: 120,
      metadata: { tier: 'gold', customer: 'c-1042', seats: '12' },
    });
    expect((await getKey(keys.inNetwork)).allowed_cidrs.sort()).toEqual([
      '10.0.0.0/8',
      '127.0.0.0/8',
      '::1/128',
    ]);
    expect(await getKey(keys.disabled)).toMatchObject({
      enabled: false,
      status: 'disabled',
      org_id: 'globex',
    });
    expect((await getKey(keys.revoked)).status).toBe('revoked');
    expect((await getKey(keys.expiring)).status).toBe('expired');
    expect(await getKey(keys.rotating)).toMatchObject({ status: 'rotating', roles: ['viewer'] });
    expect(await getKey(keys.successor)).toMatchObject({
      status: 'active',
      roles: ['viewer'],
      org_id: 'acme',
    });
    expect((await getKey(keys.signed)).rate_limit_per_minute).toBe(600);
  });

  it('lists every key, and by status', async () => {
    const listed: string[] = [];
    for (const org of ['default', 'acme', 'globex']) {
      const page = await t.call<{ keys: Array<{ id: string }> }>(
        'GET',
        `/v1/keys?limit=100&org_id=${org}`,
        admin(),
      );
      expect(page.status).toBe(200);
      listed.push(...page.body.keys.map((k) => k.id));
    }
    expect(listed.sort()).toEqual(
      Object.values(keys)
        .map((k) => k.id)
        .sort(),
    );
    for (const [status, k] of [
      ['revoked', keys.revoked],
      ['disabled', keys.disabled],
      ['expired', keys.expiring],
      ['rotating', keys.rotating],
    ] as const) {
      const res = await t.call<{ keys: Array<{ id: string }> }>(
        'GET',
        `/v1/keys?status=${status}&org_id=${(await getKey(k)).org_id}`,
        admin(),
      );
      expect(
        res.body.keys.map((x) => x.id),
        status,
      ).toContain(k.id);
    }
  });

  it('organizations keep their plan, limit and key counts', async () => {
    const acme = await t.call('GET', '/v1/orgs/acme', admin());
    expect(acme.body).toMatchObject({ org_id: 'acme', plan: 'pro', max_keys: 50, active_keys: 2 });
    const globex = await t.call('GET', '/v1/orgs/globex', admin());
    expect(globex.body).toMatchObject({ org_id: 'globex', max_keys: 5, active_keys: 1 });
  });

  it('the audit trail is there, newest first', async () => {
    const revoked = await t.call<{ events: Array<{ type: string; key_id: string }> }>(
      'GET',
      `/v1/audit?key_id=${keys.revoked.id}`,
      admin(),
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.events.map((e) => e.type)).toEqual(['key.revoked', 'key.created']);
    const rotating = await t.call<{ events: Array<{ type: string }> }>(
      'GET',
      `/v1/audit?key_id=${keys.rotating.id}`,
      admin(),
    );
    expect(rotating.body.events.map((e) => e.type)).toContain('key.rotated');
    const acme = await t.call<{ events: Array<{ type: string }> }>('GET', '/v1/audit?org_id=acme', admin());
    expect(acme.body.events.map((e) => e.type)).toContain('org.updated');
  });

  it('counters and usage history are intact and keep counting', async () => {
    // The capture: 3 calls the first day, 2 the second, 1 on its own day; the first test above added 3
    // today (one bearer, two signed).
    const plain = await getKey(keys.plain);
    expect(plain.calls).toBe(6 + 3);
    expect(await usage(keys.plain)).toEqual({ [day(2)]: 3, [day(1)]: 2, [day(0)]: 1 + 3 });
    // The hot key's 25 calls, written by its bounded-mode instance's flush, and one more here.
    expect((await getKey(keys.hot)).calls).toBe(25 + 1);
    expect(await usage(keys.hot)).toEqual({ [day(0)]: 26 });
    // Signed-only use: 2 the first day and 1 the second, then 3 here (one bearer, two signed).
    expect(await usage(keys.signed)).toEqual({ [day(2)]: 2, [day(1)]: 1, [day(0)]: 3 });
    await t.call('GET', echo, bearer(keys.plain));
    expect((await getKey(keys.plain)).calls).toBe(10);
  });

  it('writes work on old keys: re-enable, revoke, and the grace period ends on time', async () => {
    expect(
      (await t.call('PATCH', `/v1/keys/${keys.disabled.id}`, { ...admin(), body: { enabled: true } })).status,
    ).toBe(200);
    expect((await t.call('GET', echo, bearer(keys.disabled))).status).toBe(200);
    expect((await t.call('DELETE', `/v1/keys/${keys.inNetwork.id}`, admin())).status).toBe(200);
    expect((await t.call('GET', echo, bearer(keys.inNetwork))).status).toBe(401);
    // The rotation's grace (one day from the capture's day, 10:00) is over a day later.
    offsetMs = DAY_MS;
    expect((await t.call('GET', echo, bearer(keys.rotating))).status).toBe(401);
    expect((await t.call('GET', echo, bearer(keys.successor))).status).toBe(200);
    const created = await t.call('POST', '/v1/keys', {
      ...admin(),
      body: { name: 'after upgrade', org_id: 'acme' },
    });
    expect(created.status).toBe(201);
  });
});
