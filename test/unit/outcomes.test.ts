import { describe, expect, it } from 'vitest';
import { sha256Hex } from '#core/crypto';
import { addUsage, type HotKeyStore, oneCall, oneRefusal, type PendingUsage } from '#core/hot-key-store';
import { HOT_KEY_RATE, HotKeys } from '#core/hot-keys';
import {
  countRefusal,
  REFUSAL_OUTCOMES,
  type RefusalOutcome,
  refusalDayAttribute,
  refusalOfAttribute,
  refusalOutcomeOf,
} from '#core/outcomes';
import { AUTHORIZER_UPDATE_ATTRIBUTES, USAGE_DAY_PREFIX } from '#core/table';
import { dayOfCounter } from '#core/usage';
import type { KeySnapshot, RecordRefusalInput } from '#core/usage-store';
import { keyRecord } from '../helpers/records';

/**
 * Usage by outcome, pure parts: the counter attributes, which verdicts count as which outcome (and
 * which never count), the bounded wait of a refusal's count, and the hot-key layer's in-memory count.
 */
describe('refusal counter attributes', () => {
  it('round-trip every outcome, stay short, and are nobody else’s', () => {
    const names = REFUSAL_OUTCOMES.map((o) => refusalDayAttribute(o, '2026-09-10'));
    expect(new Set(names).size).toBe(REFUSAL_OUTCOMES.length);
    for (const [i, name] of names.entries()) {
      expect(name.length).toBeLessThanOrEqual(12);
      expect(refusalOfAttribute(name)).toEqual({ outcome: REFUSAL_OUTCOMES[i], day: '2026-09-10' });
      expect(dayOfCounter(name)).toBeNull();
      expect(name.startsWith(USAGE_DAY_PREFIX)).toBe(false);
    }
    expect(AUTHORIZER_UPDATE_ATTRIBUTES).toContain('o_*');
  });

  it.each(['o_z_20260910', 'o_r_2026091', 'o_r_20260910x', 'u_20260910', 'rl_29000000', 'o_'])(
    '%s is not a refusal counter',
    (name) => expect(refusalOfAttribute(name)).toBeNull(),
  );
});

describe('refusalOutcomeOf', () => {
  const unauthorized = (reason: string) => ({ ok: false as const, kind: 'unauthorized', reason, keyId: 'K' });
  it.each([
    [{ ok: false as const, kind: 'rate_limited', keyId: 'K' }, 'rate_limited'],
    [{ ok: false as const, kind: 'credits_exhausted', keyId: 'K' }, 'credits_exhausted'],
    [{ ok: false as const, kind: 'ip_not_allowed', keyId: 'K' }, 'network'],
    [unauthorized('revoked'), 'revoked'],
    [unauthorized('expired'), 'expired'],
    [unauthorized('disabled'), 'disabled'],
  ])('%o is %s', (verdict, outcome) => expect(refusalOutcomeOf(verdict)).toBe(outcome));

  it.each([
    'unknown_key',
    'wrong_secret',
    'bad_signature',
    'replayed',
    'key_mismatch',
    'bad_checksum',
    'stale_timestamp',
    'wrong_admin_key',
  ])('junk (%s) is never counted', (reason) => expect(refusalOutcomeOf(unauthorized(reason))).toBeNull());

  it('a refusal without a key id is never counted', () =>
    expect(refusalOutcomeOf({ ok: false, kind: 'rate_limited', keyId: null })).toBeNull());
});

describe('countRefusal', () => {
  const input: RecordRefusalInput = { keyId: 'K', outcome: 'disabled', nowMs: 0 };
  it('waits for the write', async () => {
    const seen: RecordRefusalInput[] = [];
    expect(await countRefusal({ recordRefusal: async (i) => void seen.push(i) }, input)).toBe('counted');
    expect(seen).toEqual([input]);
  });
  it('never throws: a failed write is reported, not raised', async () => {
    const failing = {
      recordRefusal: async () => {
        throw new Error('down');
      },
    };
    expect(await countRefusal(failing, input)).toBe('failed');
    const throwing = {
      recordRefusal: () => {
        throw new Error('synchronously');
      },
    };
    expect(await countRefusal(throwing, input)).toBe('failed');
  });
  it('gives up waiting after the bound, leaving the write to finish', async () => {
    let finish = () => {};
    const slow = { recordRefusal: () => new Promise<void>((r) => (finish = r)) };
    const started = performance.now();
    expect(await countRefusal(slow, input, 20)).toBe('late');
    expect(performance.now() - started).toBeLessThan(500);
    finish();
  });
});

describe('pending usage with refusals', () => {
  it('adds refusals by day and outcome; a forbidden refusal takes its call back', () => {
    const now = Date.parse('2026-09-10T12:00:00Z');
    let sum = addUsage(null, oneCall(null, now));
    sum = addUsage(sum, oneRefusal('forbidden', now));
    sum = addUsage(sum, oneRefusal('rate_limited', now));
    sum = addUsage(sum, oneRefusal('rate_limited', now));
    expect(sum).toMatchObject({
      calls: 0,
      days: { '2026-09-10': 0 },
      refused: { '2026-09-10': { forbidden: 1, rate_limited: 2 } },
    });
  });
  it('a sum of refusals alone is not empty', () => {
    expect(addUsage(null, oneRefusal('revoked', 0))).not.toBeNull();
  });
});

describe('HotKeys: refusals of a hot key', () => {
  it('are counted in memory and written with the interval write, never one write each', async () => {
    let now = Date.parse('2026-09-10T12:00:05Z');
    const record = { ...keyRecord({ id: 'AAAAAAAAAAAAAAAA' }), key_hash: sha256Hex('t'), calls: 0 };
    const writes: (PendingUsage | null)[] = [];
    const direct: RecordRefusalInput[] = [];
    const snapshot = (): KeySnapshot => ({ record: { ...record }, windows: {} });
    const store: HotKeyStore = {
      recordUse: async () => ({ updated: true, record: { ...record }, windows: {} }),
      readKey: async () => snapshot(),
      recordSignedUse: async () => ({ outcome: 'recorded' }),
      recordReplay: async () => 'recorded',
      recordRefusal: async (input) => void direct.push(input),
      addUsage: async (_id, usage) => {
        writes.push(usage);
        return { snapshot: snapshot(), written: true };
      },
    };
    const hot = new HotKeys(store, { boundMs: 1000, now: () => now });
    const refuse = (outcome: RefusalOutcome) => hot.recordRefusal({ keyId: record.id, outcome, nowMs: now });
    // Not hot: the store's write.
    await refuse('disabled');
    expect(direct).toHaveLength(1);
    for (let i = 0; i < HOT_KEY_RATE; i++)
      await hot.recordUse({ keyId: record.id, tokenHash: record.key_hash, nowMs: now, window: 0 });
    expect(hot.isHot(record.id)).toBe(true);
    for (let i = 0; i < 50; i++) await refuse('rate_limited');
    await refuse('forbidden');
    expect(direct).toHaveLength(1);
    now += 600;
    await hot.flushAll();
    const refused = writes.map((w) => w?.refused ?? {});
    expect(refused.reduce((n, r) => n + (r['2026-09-10']?.rate_limited ?? 0), 0)).toBe(50);
    expect(refused.reduce((n, r) => n + (r['2026-09-10']?.forbidden ?? 0), 0)).toBe(1);
    expect(writes.length).toBeLessThanOrEqual(2);
  });
});
