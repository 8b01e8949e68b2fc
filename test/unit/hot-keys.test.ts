import { describe, expect, it } from 'vitest';
import { sha256Hex } from '#core/crypto';
import { DependencyError, ThrottledError } from '#core/errors';
import {
  chooseSpend,
  type HotKeyStore,
  leaseChange,
  type PendingUsage,
  type Spend,
  type SpendState,
  UNLEASED_CALLS,
  unleasedAllowance,
  type WindowLease,
} from '#core/hot-key-store';
import { HOT_KEY_RATE, HotKeys } from '#core/hot-keys';
import type { KeyRecord } from '#core/model';
import { type KeySnapshot, type RecordUseInput, rateWindowOf } from '#core/usage-store';
import { keyRecord } from '../helpers/records';

/**
 * The hot-key layer's decisions on a clock the test moves, over a store kept in memory: when a key
 * becomes hot, when a copy may be used, when it must be refreshed (and what happens when that fails),
 * and when the layer goes back to the exact write. The same layer against DynamoDB Local, with a
 * simulated per-item limit and several instances, is test/reliability/hot-keys.test.ts.
 */
const TOKEN = 'lk_test_token';
const BOUND = 1000;

class MemoryStore implements HotKeyStore {
  record: KeyRecord;
  windows: Record<number, number> = {};
  log: string[] = [];
  fail: Error | null = null;
  exactFails: Error | null = null;
  /** Usage writes alone fail with this (a throttled item whose consistent reads still pass). */
  addFails: Error | null = null;
  /** Usage writes wait for this first (a write stuck in the SDK's retries). */
  hold: Promise<void> | null = null;

  constructor(record: KeyRecord) {
    this.record = record;
  }

  private snapshot(): KeySnapshot {
    return { record: { ...this.record }, windows: { ...this.windows } };
  }

  async recordUse(input: RecordUseInput) {
    this.log.push('exact');
    if (this.exactFails) throw this.exactFails;
    const used = this.windows[input.window] ?? 0;
    if (input.tokenHash !== this.record.key_hash || used >= this.record.rate_limit_per_minute)
      return { updated: false, record: this.snapshot().record, windows: { ...this.windows } };
    this.windows[input.window] = used + 1;
    this.record.calls += 1;
    return { updated: true, record: this.snapshot().record, windows: { ...this.windows } };
  }
  async recordSignedUse() {
    return { outcome: 'recorded' as const };
  }
  async recordReplay() {
    return 'recorded' as const;
  }
  async readKey() {
    this.log.push('read');
    if (this.fail) throw this.fail;
    return this.snapshot();
  }
  /** As DynamoDB's conditional ADD: a lease that would pass the limit writes nothing. */
  async addUsage(_keyId: string, usage: PendingUsage | null, lease: WindowLease | null) {
    this.log.push(
      lease === null ? `add ${usage?.calls ?? 0}` : `add ${usage?.calls ?? 0} lease ${lease.calls}`,
    );
    if (this.hold) await this.hold;
    if (this.fail) throw this.fail;
    if (this.addFails) throw this.addFails;
    const windows: Record<number, number> = { ...usage?.windows };
    if (lease !== null) windows[lease.window] = (windows[lease.window] ?? 0) + lease.calls;
    if (
      lease !== null &&
      lease.calls > 0 &&
      (lease.limit !== this.record.rate_limit_per_minute ||
        (this.windows[lease.window] ?? 0) + (windows[lease.window] ?? 0) > lease.limit)
    )
      return { snapshot: this.snapshot(), written: false };
    this.record.calls += usage?.calls ?? 0;
    for (const [w, c] of Object.entries(windows))
      this.windows[Number(w)] = (this.windows[Number(w)] ?? 0) + c;
    return { snapshot: this.snapshot(), written: true };
  }
}

function setup(limit = 100_000) {
  let now = Date.parse('2026-11-30T10:00:05Z');
  const store = new MemoryStore({
    ...keyRecord({ id: 'AAAAAAAAAAAAAAAA' }),
    key_hash: sha256Hex(TOKEN),
    rate_limit_per_minute: limit,
    calls: 0,
  });
  /** One authorizer instance's layer over the shared store and clock. */
  const instance = () => {
    const hot = new HotKeys(store, { boundMs: BOUND, now: () => now });
    const use = () =>
      hot.recordUse({
        keyId: store.record.id,
        tokenHash: sha256Hex(TOKEN),
        nowMs: now,
        window: rateWindowOf(now),
      });
    return { hot, use };
  };
  const { hot, use } = instance();
  return {
    store,
    hot,
    use,
    instance,
    window: () => rateWindowOf(now),
    tick: (ms: number) => (now += ms),
    flush: () => new Promise((r) => setTimeout(r, 0)),
  };
}

describe('HotKeys', () => {
  it(`a key stays on the exact write until it is used ${HOT_KEY_RATE} times in a second`, async () => {
    const { store, hot, use, tick } = setup();
    for (let i = 0; i < HOT_KEY_RATE - 1; i++) {
      expect((await use()).updated).toBe(true);
      tick(50);
    }
    expect(hot.isHot(store.record.id)).toBe(false);
    expect(store.log.every((l) => l === 'exact')).toBe(true);
    await use();
    expect(hot.isHot(store.record.id)).toBe(true);
    store.log = [];
    for (let i = 0; i < 20; i++) expect((await use()).updated).toBe(true);
    // No write per request: a few background writes that lease calls of the window (and carry counts).
    expect(store.log.length).toBeLessThanOrEqual(4);
    for (const write of store.log) expect(write).toMatch(/^add \d+ lease \d+$/);
  });

  it('reports each call it answers from memory (the HotKeyMemoryAnswers metric), and no exact write', async () => {
    const { store } = setup();
    let answers = 0;
    const hot = new HotKeys(store, {
      boundMs: BOUND,
      now: () => Date.parse('2026-11-30T10:00:05Z'),
      onMemoryAnswer: () => answers++,
    });
    const use = () =>
      hot.recordUse({
        keyId: store.record.id,
        tokenHash: sha256Hex(TOKEN),
        nowMs: Date.parse('2026-11-30T10:00:05Z'),
        window: rateWindowOf(Date.parse('2026-11-30T10:00:05Z')),
      });
    for (let i = 0; i < HOT_KEY_RATE; i++) await use();
    expect(hot.isHot(store.record.id)).toBe(true);
    const before = answers;
    store.log = [];
    for (let i = 0; i < 20; i++) expect((await use()).updated).toBe(true);
    expect(answers - before).toBe(20);
    expect(store.log).not.toContain('exact');
  });

  it('a throttled exact write makes the key hot and the request is answered from a fresh copy', async () => {
    const { store, hot, use } = setup();
    store.exactFails = new ThrottledError(
      'DynamoDB request throttled: ProvisionedThroughputExceededException',
    );
    const result = await use();
    expect(result.updated).toBe(true);
    expect(hot.isHot(store.record.id)).toBe(true);
    expect(store.log).toEqual(['exact', 'read']);
  });

  it('a copy at the bound is refreshed first; a refresh that fails refuses the request (fail closed)', async () => {
    const { store, use, tick } = setup();
    store.exactFails = new ThrottledError('throttled');
    await use();
    tick(BOUND);
    store.fail = new ThrottledError('DynamoDB request throttled: ProvisionedThroughputExceededException');
    await expect(use()).rejects.toThrow(/throttled/);
    // A throttled write wrote nothing: the calls counted in memory go out with the next refresh (which
    // also leases calls of the window, while the item is throttled).
    store.fail = null;
    expect((await use()).updated).toBe(true);
    expect(store.log.slice(-1)).toEqual([expect.stringMatching(/^add 1( lease \d+)?$/)]);
    expect(store.record.calls).toBe(1);
  });

  it('counts whose write failed otherwise (it may have been applied) are not written twice', async () => {
    const { store, use, tick } = setup();
    store.exactFails = new ThrottledError('throttled');
    await use();
    tick(BOUND);
    store.fail = new DependencyError('DynamoDB request failed: TimeoutError');
    await expect(use()).rejects.toThrow(/TimeoutError/);
    store.fail = null;
    expect((await use()).updated).toBe(true);
    // Nothing of the count goes out again (a throttled key's refresh may lease calls of the window).
    expect(store.log.slice(-1)).toEqual([expect.stringMatching(/^(read|add 0 lease \d+)$/)]);
    expect(store.record.calls).toBe(0);
  });

  it('refused requests do not make a key hot: junk sent with its id leaves it on the exact write', async () => {
    const { store, hot } = setup();
    for (let i = 0; i < 3 * HOT_KEY_RATE; i++) {
      const now = Date.parse('2026-11-30T10:00:05Z') + i * 10;
      const junk = {
        keyId: store.record.id,
        tokenHash: sha256Hex('lk_junk'),
        nowMs: now,
        window: rateWindowOf(now),
      };
      expect((await hot.recordUse(junk)).updated).toBe(false);
    }
    expect(hot.isHot(store.record.id)).toBe(false);
  });

  it('a hot key cools down when its use falls below half the rate', async () => {
    const { store, hot, use, tick } = setup();
    for (let i = 0; i < HOT_KEY_RATE; i++) await use();
    expect(hot.isHot(store.record.id)).toBe(true);
    tick(61_000); // a new minute: the window's average no longer counts the burst
    await use();
    expect(hot.isHot(store.record.id)).toBe(false);
  });

  it('revocation on the item is seen within the bound, and refused from the copy', async () => {
    const { store, use, tick } = setup();
    store.exactFails = new ThrottledError('throttled');
    await use();
    store.record.revoked_at = '2026-11-30T10:00:05.100Z';
    tick(BOUND - 1);
    expect((await use()).updated).toBe(true);
    tick(1);
    const refused = await use();
    expect(refused.updated).toBe(false);
    expect(refused.record?.revoked_at).not.toBeNull();
  });

  it('a wrong secret on a hot key is refused from the copy, counted nowhere', async () => {
    const { store, hot, use } = setup();
    store.exactFails = new ThrottledError('throttled');
    await use();
    const wrong = await hot.recordUse({
      keyId: store.record.id,
      tokenHash: sha256Hex('lk_other'),
      nowMs: Date.parse('2026-11-30T10:00:05Z'),
      window: rateWindowOf(Date.parse('2026-11-30T10:00:05Z')),
    });
    expect(wrong).toEqual({ updated: false, record: expect.objectContaining({ id: store.record.id }) });
    await hot.flushAll();
    expect(store.record.calls).toBe(1);
  });

  it('a hot key with allowed_cidrs is refused from the copy outside them, counted nowhere', async () => {
    const { store, hot } = setup();
    store.record.allowed_cidrs = ['192.0.2.0/24', '2001:db8::/32'];
    store.exactFails = new ThrottledError('throttled');
    const now = Date.parse('2026-11-30T10:00:05Z');
    const from = (sourceIp: string | undefined) =>
      hot.recordUse({
        keyId: store.record.id,
        tokenHash: sha256Hex(TOKEN),
        nowMs: now,
        window: rateWindowOf(now),
        sourceIp,
      });
    expect((await from('192.0.2.255')).updated).toBe(true);
    expect(hot.isHot(store.record.id)).toBe(true);
    expect((await from('2001:db8::7')).updated).toBe(true);
    expect((await from('::ffff:192.0.2.1')).updated).toBe(true);
    for (const outside of ['192.0.3.0', '2001:db9::', '127.0.0.1', undefined]) {
      const refused = await from(outside);
      expect(refused.updated).toBe(false);
      expect(refused.record?.allowed_cidrs).toEqual(store.record.allowed_cidrs);
    }
    await hot.flushAll();
    expect(store.record.calls).toBe(3);
  });

  it('near the rate limit it goes back to the exact write, and refuses at the limit', async () => {
    const { store, hot, use, tick } = setup(40);
    for (let i = 0; i < HOT_KEY_RATE; i++) await use();
    expect(hot.isHot(store.record.id)).toBe(true);
    let allowed = HOT_KEY_RATE;
    for (let i = 0; i < 60; i++) {
      tick(5);
      if ((await use()).updated) allowed++;
    }
    await hot.flushAll();
    expect(allowed).toBe(40);
    expect(store.windows[rateWindowOf(Date.parse('2026-11-30T10:00:05Z'))]).toBe(40);
    expect(store.log).toContain('exact');
  });
});

describe('lease arithmetic (hot-key-store)', () => {
  it.each([
    { held: 0, need: 20, free: 1000, limit: 1000, change: 20, why: 'a shortfall is leased' },
    { held: 8, need: 20, free: 1000, limit: 1000, change: 12, why: 'a lease is topped up to the need' },
    { held: 0, need: 200, free: 1000, limit: 1000, change: 50, why: 'at most a twentieth of the limit' },
    { held: 0, need: 200, free: 100, limit: 1000, change: 25, why: 'at most a quarter of what is free' },
    { held: 0, need: 200, free: 19, limit: 1000, change: 0, why: 'under 5 calls is not worth a write' },
    { held: 0, need: 4, free: 1000, limit: 1000, change: 0, why: 'nor is a need under 5' },
    { held: 20, need: 20, free: 0, limit: 1000, change: 0, why: 'a lease that covers the need stays' },
    { held: 30, need: 10, free: 0, limit: 1000, change: -20, why: 'a surplus goes back' },
    { held: 30, need: 0, free: 500, limit: 1000, change: -30, why: 'no need: all of it goes back' },
  ])('leaseChange($held, $need, $free, $limit) = $change: $why', ({ held, need, free, limit, change }) => {
    expect(leaseChange(held, need, free, limit)).toBe(change);
  });

  it.each([
    { limit: 19, allowance: 0 },
    { limit: 60, allowance: 3 },
    { limit: 600, allowance: 5 },
    { limit: 1200, allowance: 6 },
    { limit: 100_000, allowance: 500 },
  ])('unleasedAllowance($limit) = $allowance', ({ limit, allowance }) => {
    expect(unleasedAllowance(limit)).toBe(allowance);
  });

  const state = (over: Partial<SpendState>): SpendState => ({
    held: 0,
    unleased: 0,
    free: 1000,
    limit: 1000,
    need: 40,
    throttled: false,
    nearLimit: 21,
    ...over,
  });
  it.each<{ over: Partial<SpendState>; spend: Spend; why: string }>([
    { over: { held: 1, free: 0 }, spend: 'lease', why: 'a lease held is spent, whatever the copy shows' },
    { over: { free: 0 }, spend: 'refuse', why: 'the copy shows the window used up' },
    { over: { free: 3, unleased: 3 }, spend: 'refuse', why: 'unleased calls count as used' },
    { over: { unleased: 4 }, spend: 'unleased', why: 'a few unleased calls while a lease is on its way' },
    { over: { unleased: UNLEASED_CALLS }, spend: 'wait', why: 'no more: wait for the lease' },
    { over: { free: 500 }, spend: 'wait', why: 'none once half the window is used' },
    { over: { free: 500, need: 0 }, spend: 'exact', why: 'a key used too little here to lease' },
    { over: { free: 500, need: 0, unleased: 1 }, spend: 'wait', why: 'unleased calls are written first' },
    { over: { free: 19, limit: 19, need: 0 }, spend: 'exact', why: 'a limit under 20 allows none unleased' },
    { over: { free: 12, need: 40 }, spend: 'exact', why: 'too little free for a lease: the exact write' },
    {
      over: { throttled: true, free: 500, unleased: 500 },
      spend: 'refuse',
      why: 'throttled: the limit holds',
    },
    { over: { throttled: true, free: 30, unleased: 8 }, spend: 'unleased', why: 'throttled: no wait' },
    { over: { throttled: true, free: 30, unleased: 9 }, spend: 'exact', why: 'throttled, near the limit' },
  ])('chooseSpend: $spend when $why', ({ over, spend }) => {
    expect(chooseSpend(state(over))).toBe(spend);
  });
});

describe('HotKeys: leases', () => {
  /** `n` instances each make the key hot with quick calls (the key's own rate then keeps it hot). */
  async function hotFleet(n: number, limit: number) {
    const t = setup(limit);
    const fleet = Array.from({ length: n }, () => t.instance());
    let allowed = 0;
    for (const member of fleet) {
      for (let i = 0; i < 12; i++) if ((await member.use()).updated) allowed++;
      t.tick(1);
    }
    for (const member of fleet) expect(member.hot.isHot(t.store.record.id)).toBe(true);
    return { ...t, fleet, allowed };
  }

  it.each([600, 1200])(
    '%i a minute: ten instances with a trickle then a burst never pass the limit together',
    async (limit) => {
      const { store, fleet, tick, window, ...t } = await hotFleet(10, limit);
      let allowed = t.allowed;
      for (let second = 0; second < 5; second++) {
        for (const member of fleet) {
          if ((await member.use()).updated) allowed++;
          tick(100);
        }
      }
      // Then all flat out, one call each in turn every millisecond, well past the limit.
      for (let round = 0; round < 2 * limit; round++) {
        for (const member of fleet) if ((await member.use()).updated) allowed++;
        tick(1);
      }
      await Promise.all(fleet.map((member) => member.hot.flushAll()));
      expect(allowed).toBeLessThanOrEqual(limit);
      expect(allowed).toBeGreaterThanOrEqual(limit * 0.95);
      // Every allowed call counted once, and the leases not used went back.
      expect(store.record.calls).toBe(allowed);
      expect(store.windows[window()]).toBe(allowed);
    },
  );

  it('a throttled item: no request waits for a write, and the counts kept go out once writes pass', async () => {
    const { store, hot, use, tick, window } = setup();
    store.exactFails = new ThrottledError('throttled');
    store.addFails = new ThrottledError('throttled');
    let release = () => {};
    store.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    expect((await use()).updated).toBe(true);
    // Every usage write is stuck in its retries; requests within the bound are answered all the same.
    const blocked = Symbol('blocked');
    for (let i = 0; i < 50; i++) {
      tick(5);
      const answer = await Promise.race([use(), new Promise((r) => setTimeout(() => r(blocked), 20))]);
      expect(answer).toEqual(expect.objectContaining({ updated: true }));
    }
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.record.calls).toBe(0);
    // Writes pass again (the exact write is still throttled): the 51 calls go out, exactly once.
    store.addFails = null;
    store.hold = null;
    tick(BOUND);
    for (let i = 0; i < 100; i++) {
      tick(2);
      expect((await use()).updated).toBe(true);
    }
    await hot.flushAll();
    expect(store.record.calls).toBe(151);
    expect(store.windows[window()]).toBe(151);
  });

  it('a lease the window has no room for writes nothing; its counts go with the next write, once', async () => {
    const { store, hot, use, tick, window } = setup(1000);
    for (let i = 0; i < HOT_KEY_RATE; i++) await use();
    expect(hot.isHot(store.record.id)).toBe(true);
    // Other instances lease all but 15 of the window, unseen by this one's copy.
    store.windows[window()] = 985;
    let allowed = HOT_KEY_RATE;
    for (let i = 0; i < 40; i++) {
      tick(5);
      if ((await use()).updated) allowed++;
    }
    await hot.flushAll();
    expect(store.log.some((l) => /lease \d+$/.test(l))).toBe(true);
    expect(store.windows[window()]).toBe(1000);
    expect(allowed).toBe(HOT_KEY_RATE + 15);
    expect(store.record.calls).toBe(allowed);
  });

  it('a lowered limit is applied within the bound: the lease taken under the old one is not spent', async () => {
    const { store, hot, use, tick } = setup(1000);
    for (let i = 0; i < 3 * HOT_KEY_RATE; i++) {
      await use();
      tick(5);
    }
    await new Promise((r) => setTimeout(r, 0));
    expect(store.log.some((l) => /lease \d+$/.test(l))).toBe(true);
    store.record.rate_limit_per_minute = 10;
    tick(BOUND);
    expect((await use()).updated).toBe(false);
    await hot.flushAll();
  });

  it('a hot key left idle gives its lease back', async () => {
    const { store, hot, use, tick, window } = setup(1000);
    let allowed = 0;
    for (let i = 0; i < 3 * HOT_KEY_RATE; i++) {
      if ((await use()).updated) allowed++;
      tick(5);
    }
    await new Promise((r) => setTimeout(r, 0));
    expect(store.windows[window()]).toBeGreaterThan(allowed);
    // Any request on this instance (here one with another key) finds the key idle for a bound.
    tick(BOUND);
    await hot.recordUse({ keyId: 'BBBBBBBBBBBBBBBB', tokenHash: 'x', nowMs: Date.now(), window: window() });
    await new Promise((r) => setTimeout(r, 0));
    expect(store.windows[window()]).toBe(allowed);
  });
});
