import { describe, expect, it } from 'vitest';
import { sha256Hex } from '#core/crypto';
import { DependencyError, ThrottledError } from '#core/errors';
import type { HotKeyStore, PendingUsage } from '#core/hot-key-store';
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
  async addUsage(_keyId: string, usage: PendingUsage) {
    this.log.push(`add ${usage.calls}`);
    if (this.fail) throw this.fail;
    this.record.calls += usage.calls;
    for (const [w, c] of Object.entries(usage.windows))
      this.windows[Number(w)] = (this.windows[Number(w)] ?? 0) + c;
    return this.snapshot();
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
  const hot = new HotKeys(store, { boundMs: BOUND, now: () => now });
  const use = () =>
    hot.recordUse({
      keyId: store.record.id,
      tokenHash: sha256Hex(TOKEN),
      nowMs: now,
      window: rateWindowOf(now),
    });
  return {
    store,
    hot,
    use,
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
    for (let i = 0; i < 5; i++) expect((await use()).updated).toBe(true);
    expect(store.log).toEqual([]);
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
    // A throttled write wrote nothing: the calls counted in memory go out with the next refresh.
    store.fail = null;
    expect((await use()).updated).toBe(true);
    expect(store.log.slice(-1)).toEqual(['add 1']);
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
    expect(store.log.slice(-1)).toEqual(['read']);
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
