import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOT_KEY_RATE } from '#core/hot-keys';
import type { LocalMode } from '#local/local-mode';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { API_TYPES } from '../helpers/refusals';
import {
  type Answer,
  clockInFreshWindow,
  FLEET_BURST,
  FLEET_BURST_LIMITS,
  Fleet,
  fleetBurst,
  ItemThroughput,
  offer,
  summarize,
} from './hot-key-sim';
import { sleep } from './support';

/** How many answers were `answer`, in a run's figures. */
function summarizeCount(
  figures: { rate_limited: number; unauthorized: number; refused: number },
  answer: Answer,
): number {
  if (answer === 'rate_limited' || answer === 'unauthorized' || answer === 'refused') return figures[answer];
  throw new Error(`no count for ${answer}`);
}

/**
 * One key past DynamoDB's per-item throughput, over several simulated authorizer instances
 * (test/reliability/hot-key-sim.ts): the item limit is simulated at 1:25 scale (40 writes a second
 * instead of about 1,000) inside the SDK's retries, against DynamoDB Local. `exact` mode shows today's
 * cliff; `bounded` mode must answer every request, keep revocation, disabling and outages within the
 * bound, and hold a rate limit across instances. The instances are sent each API type's authorizer
 * event in turn (a REST API's, then an HTTP API's payload 2.0).
 */
const ITEM_WRITES_PER_SECOND = 40;
const BOUND_MS = 1000;

describe.each(API_TYPES)('%s API', (apiType) => {
  /** What a refused credential and a key over its limit answer: an HTTP API's refusals do not say why. */
  const denied: Answer = apiType === 'http' ? 'refused' : 'unauthorized';
  const limited: Answer = apiType === 'http' ? 'refused' : 'rate_limited';
  let local: LocalMode;
  let call: Call;

  beforeAll(async () => {
    local = await startTestLatchkey({ apiType });
    call = client(local.url, { apiType });
  });
  afterAll(() => local.stop());

  const bearer = (token: string) => () => `Bearer ${token}`;

  describe('one key at three times its item throughput', () => {
    it('bounded: every request answered, no 503, a fraction of the writes', { timeout: 60_000 }, async () => {
      const items = new ItemThroughput(ITEM_WRITES_PER_SECOND);
      const fleet = new Fleet({
        runtime: local.runtime,
        dynamodbIdentity: local.dynamodbIdentity,
        apiType,
        mode: 'bounded',
        items,
      });
      const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
      const served = await offer(fleet, ITEM_WRITES_PER_SECOND * 3, 4000, bearer(k.token));
      const figures = summarize(served);
      expect(figures.status_503, JSON.stringify(figures)).toBe(0);
      expect(figures.allowed).toBe(figures.offered);
      // A hot key costs about one write per instance per half bound, not one per request.
      expect(items.wru / figures.offered, JSON.stringify({ wru: items.wru, ...figures })).toBeLessThan(0.3);
      // Every allowed call is counted exactly once: an instance writes what it counted when it next looks
      // for due work after the bound (on any request; here one with another key on every instance).
      // Twice, in case a write is throttled (its counts are then kept for the next).
      // Unlimited, so that one call on each of up to 32 instances, twice, is never refused for its rate.
      const other = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
      for (let round = 0; round < 2; round++) {
        await sleep(BOUND_MS + 100);
        expect(await fleet.onEach(`Bearer ${other.token}`)).not.toContain(denied);
      }
      await sleep(500);
      const key = await call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, {
        token: local.adminKey,
      });
      // Exactly, unless a write timed out on a loaded machine: the SDK retries it, and if the first attempt
      // was applied its calls count twice (in exact mode as well).
      const extra = key.body.key.calls - figures.allowed;
      expect(extra).toBeGreaterThanOrEqual(0);
      if (items.timedOutWrites === 0) expect(extra).toBe(0);
      else
        expect(extra, `${items.timedOutWrites} writes timed out`).toBeLessThanOrEqual(
          items.timedOutWrites * 120,
        );
    });

    it('exact: the cliff — throttled writes become 503s (fail closed)', { timeout: 60_000 }, async () => {
      const items = new ItemThroughput(ITEM_WRITES_PER_SECOND);
      const fleet = new Fleet({
        runtime: local.runtime,
        dynamodbIdentity: local.dynamodbIdentity,
        apiType,
        mode: 'exact',
        items,
      });
      const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
      const figures = summarize(await offer(fleet, ITEM_WRITES_PER_SECOND * 3, 4000, bearer(k.token)));
      expect(items.throttled).toBeGreaterThan(0);
      expect(figures.status_503, JSON.stringify(figures)).toBeGreaterThan(0);
      expect(figures.allowed + figures.status_503).toBe(figures.offered);
    });
  });

  describe('bounded: a change reaches every instance within the bound', () => {
    const cases = [
      {
        change: 'revoke',
        apply: (id: string) => call('DELETE', `/v1/keys/${id}`, { token: local.adminKey }),
      },
      {
        change: 'disable',
        apply: (id: string) =>
          call('PATCH', `/v1/keys/${id}`, { token: local.adminKey, body: { enabled: false } }),
      },
    ];
    it.each(cases)(
      '$change mid-traffic: the last allowed request arrives within the bound',
      { timeout: 60_000 },
      async ({ apply }) => {
        const items = new ItemThroughput(ITEM_WRITES_PER_SECOND);
        const fleet = new Fleet({
          runtime: local.runtime,
          dynamodbIdentity: local.dynamodbIdentity,
          apiType,
          mode: 'bounded',
          items,
        });
        const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
        const started = performance.now();
        let changedAt = Number.POSITIVE_INFINITY;
        const change = (async () => {
          await sleep(1500);
          expect((await apply(k.id)).status).toBe(200);
          changedAt = performance.now() - started;
        })();
        const served = await offer(fleet, 60, 3500, bearer(k.token), started);
        await change;
        const allowedAfter = served.filter((s) => s.answer === 'allow' && s.at >= changedAt);
        const lag = Math.max(0, ...allowedAfter.map((s) => s.at - changedAt));
        expect(lag, `last allowed ${lag.toFixed(0)} ms after the change`).toBeLessThanOrEqual(BOUND_MS);
        const late = served.filter((s) => s.at > changedAt + BOUND_MS);
        expect(late.length).toBeGreaterThan(20);
        expect(late.every((s) => s.answer === denied)).toBe(true);
        // The key really was on the hot path before the change (else this proves nothing).
        expect(served.filter((s) => s.at < 1400).every((s) => s.answer === 'allow')).toBe(true);
        expect(HOT_KEY_RATE).toBeLessThan(60);
      },
    );
  });

  describe('bounded: rate limits', () => {
    it('600 a minute offered 300 a second: overshoot within 5%', { timeout: 60_000 }, async () => {
      // Start one second into a fresh minute window (a clock offset), so the run stays inside one window.
      const items = new ItemThroughput(1000);
      const fleet = new Fleet({
        runtime: local.runtime,
        dynamodbIdentity: local.dynamodbIdentity,
        apiType,
        mode: 'bounded',
        items,
        now: clockInFreshWindow(),
      });
      const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 600 });
      const figures = summarize(await offer(fleet, 300, 3000, bearer(k.token)));
      const shown = JSON.stringify({
        ...figures,
        instances: fleet.size,
        timedOutWrites: items.timedOutWrites,
      });
      expect(figures.status_503, shown).toBe(0);
      expect(figures.allowed, shown).toBeLessThanOrEqual(630);
      // Calls leased by a write that timed out (it may have been applied), or by an instance that then
      // gets few requests, are lost to the window rather than allowed twice. On a loaded machine the slow
      // answers start many instances and spread the load thin (564 of 600 seen once); with a
      // few, the window is used up within 5 %.
      if (items.timedOutWrites === 0 && fleet.size <= 4)
        expect(figures.allowed, shown).toBeGreaterThanOrEqual(570);
      expect(figures.allowed + summarizeCount(figures, limited)).toBe(figures.offered);
    });

    // Security finding N1: each instance spent a share of the window's budget before it saw the others'
    // counts. Before leases this scenario allowed 1,285 calls at 600 (+114 %) and up to +174 % at 1,200.
    it.each(FLEET_BURST_LIMITS)(
      '%i a minute, %s instances, a trickle then a burst from all at once: overshoot within 5%'.replace(
        '%s',
        String(FLEET_BURST.instances),
      ),
      { timeout: 60_000 },
      async (limit) => {
        const items = new ItemThroughput(1000);
        const fleet = new Fleet({
          runtime: local.runtime,
          dynamodbIdentity: local.dynamodbIdentity,
          apiType,
          mode: 'bounded',
          items,
          now: clockInFreshWindow(),
        });
        const k = await createKey(call, local.adminKey, { rate_limit_per_minute: limit });
        const figures = await fleetBurst(fleet, `Bearer ${k.token}`, FLEET_BURST);
        const shown = JSON.stringify({ ...figures, timedOutWrites: items.timedOutWrites });
        expect(figures.instances).toBeGreaterThanOrEqual(10);
        // Behind an HTTP API the limit's refusals are the only ones this key can get (its token is good).
        expect(figures.unauthorized, shown).toBe(0);
        expect(figures.status_503, shown).toBe(0);
        // The burst reached the limit (else this proves nothing), and the limit held.
        expect(summarizeCount(figures, limited), shown).toBeGreaterThan(0);
        expect(figures.burst.allowed, shown).toBeGreaterThan(limit / 2);
        expect(figures.allowed, shown).toBeLessThanOrEqual(limit * 1.05);
        // A lease write that timed out may have been applied: its calls are lost to the window rather than
        // allowed twice. Without one, the window's budget is spent.
        if (items.timedOutWrites === 0) expect(figures.allowed, shown).toBeGreaterThanOrEqual(limit * 0.95);
        // `calls` counts the allowed requests only, once each instance has written what it counted.
        // Unlimited, so that one call on each of up to 32 instances, twice, is never refused for its rate.
        const other = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
        for (let round = 0; round < 2; round++) {
          await sleep(BOUND_MS + 100);
          expect(await fleet.onEach(`Bearer ${other.token}`)).not.toContain(denied);
        }
        await sleep(500);
        const key = await call<{ key: { calls: number } }>('GET', `/v1/keys/${k.id}`, {
          token: local.adminKey,
        });
        if (items.timedOutWrites === 0) expect(key.body.key.calls, shown).toBe(figures.allowed);
      },
    );
  });

  describe('bounded: a dependency outage longer than the bound', () => {
    it('allows nothing once the copy is older than the bound (503), and recovers', {
      timeout: 60_000,
    }, async () => {
      const items = new ItemThroughput(ITEM_WRITES_PER_SECOND);
      const fleet = new Fleet({
        runtime: local.runtime,
        dynamodbIdentity: local.dynamodbIdentity,
        apiType,
        mode: 'bounded',
        items,
      });
      const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 100_000 });
      const started = performance.now();
      const outage = { from: 1500, to: 4000 };
      const switcher = (async () => {
        await sleep(outage.from);
        items.outage = true;
        await sleep(outage.to - outage.from);
        items.outage = false;
      })();
      const served = await offer(fleet, 60, 5500, bearer(k.token), started);
      await switcher;
      // Arrivals from one bound into the outage until shortly before its end (a request that arrives at the
      // very end may be answered after recovery, by a retry that then succeeds).
      const during = served.filter((s) => s.at >= outage.from + BOUND_MS && s.at < outage.to - 600);
      expect(during.length).toBeGreaterThan(40);
      expect(during.filter((s) => s.answer === 'allow')).toEqual([]);
      expect(during.every((s) => s.answer === 'unavailable')).toBe(true);
      expect(served.filter((s) => s.at < outage.from).every((s) => s.answer === 'allow')).toBe(true);
      const after = served.filter((s) => s.at >= outage.to + 500);
      expect(after.length).toBeGreaterThan(30);
      expect(after.every((s) => s.answer === 'allow')).toBe(true);
    });
  });
});
