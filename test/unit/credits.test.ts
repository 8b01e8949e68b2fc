import { describe, expect, it } from 'vitest';
import {
  creditCrossings,
  creditsExhausted,
  effectiveCredits,
  type KeyCredits,
  nextRefillAfter,
  refilledBalance,
  spendRetry,
} from '#core/credits';
import { validateAddCredits, validateCredits } from '#core/credits-validation';
import { parseApplicationRoutes, routeCost } from '#core/routes';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextRefillAfter', () => {
  it.each([
    ['day', null, '2026-03-10T09:00:00Z', '2026-03-11T00:00:00.000Z'],
    ['day', null, '2026-03-10T00:00:00Z', '2026-03-11T00:00:00.000Z'],
    ['month', 1, '2026-03-10T09:00:00Z', '2026-04-01T00:00:00.000Z'],
    ['month', 15, '2026-03-10T09:00:00Z', '2026-03-15T00:00:00.000Z'],
    ['month', 31, '2026-04-10T09:00:00Z', '2026-04-30T00:00:00.000Z'],
    ['month', 31, '2026-04-30T00:00:00Z', '2026-05-31T00:00:00.000Z'],
    ['month', 30, '2026-01-31T12:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['month', 29, '2028-02-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['month', 5, '2026-12-20T00:00:00Z', '2027-01-05T00:00:00.000Z'],
  ] as const)('%s (day %s) after %s is %s', (every, day, now, next) => {
    expect(iso(nextRefillAfter({ every, day }, at(now)))).toBe(next);
  });
});

describe('refilledBalance', () => {
  const refill = { amount: 10, every: 'day', day: null } as const;
  it('add adds, up to max, and never cuts a balance above max', () => {
    expect(refilledBalance(3, { ...refill, mode: 'add', max: null })).toBe(13);
    expect(refilledBalance(3, { ...refill, mode: 'add', max: 8 })).toBe(8);
    expect(refilledBalance(12, { ...refill, mode: 'add', max: 8 })).toBe(12);
  });
  it('replace sets the amount, whatever the balance', () => {
    expect(refilledBalance(3, { ...refill, mode: 'replace', max: null })).toBe(10);
    expect(refilledBalance(30, { ...refill, mode: 'replace', max: null })).toBe(10);
  });
});

describe('effectiveCredits and spendRetry', () => {
  const credits: KeyCredits = {
    remaining: 0,
    refill: { amount: 5, every: 'day', day: null, mode: 'add', max: null },
    next_refill_ms: at('2026-03-11T00:00:00Z'),
    low_threshold: null,
  };
  it('applies one refill once it is due, and moves the due time on', () => {
    expect(effectiveCredits(credits, at('2026-03-10T23:59:59Z'))).toBe(credits);
    const after = effectiveCredits(credits, at('2026-03-13T08:00:00Z'));
    expect(after.remaining).toBe(5);
    expect(iso(after.next_refill_ms ?? 0)).toBe('2026-03-14T00:00:00.000Z');
    expect(creditsExhausted(credits, 1, at('2026-03-10T12:00:00Z'))).toBe(true);
    expect(creditsExhausted(credits, 5, at('2026-03-11T00:00:00Z'))).toBe(false);
    expect(creditsExhausted(null, 1_000, 0)).toBe(false);
  });
  it('tells a wrong assumption, a due refill, an exhausted balance and another refusal apart', () => {
    expect(spendRetry(false, credits, 1, 0)).toBe('switch');
    expect(spendRetry(true, null, 1, 0)).toBe('switch');
    expect(spendRetry(false, null, 1, 0)).toBe('other');
    expect(spendRetry(true, credits, 1, at('2026-03-11T00:00:00Z'))).toBe('refill');
    expect(spendRetry(true, credits, 1, at('2026-03-10T00:00:00Z'))).toBe('exhausted');
    expect(spendRetry(true, { ...credits, remaining: 3 }, 1, at('2026-03-10T00:00:00Z'))).toBe('other');
  });
});

describe('creditCrossings', () => {
  it.each([
    [6, 5, 5, []],
    [5, 4, 5, ['key.credits_low']],
    [1, 0, 5, ['key.credits_exhausted']],
    [5, 0, 5, ['key.credits_low', 'key.credits_exhausted']],
    [1, 0, null, ['key.credits_exhausted']],
    [0, 0, 5, []],
  ] as const)('%i → %i (threshold %s): %j', (before, after, low, kinds) => {
    expect(creditCrossings(before, after, low)).toEqual(kinds);
  });
});

describe('credits validation', () => {
  it('fills a monthly refill day, leaves a daily one null', () => {
    expect(
      validateCredits({ remaining: 5, refill: { amount: 2, every: 'month', mode: 'replace' } }).refill,
    ).toEqual({ amount: 2, every: 'month', day: 1, mode: 'replace', max: null });
    expect(validateCredits({ remaining: 0 })).toEqual({ remaining: 0, refill: null, low_threshold: null });
  });
  it.each([
    [null, 'credits: must be an object'],
    [{ remaining: 1, refill: { amount: 0, every: 'day', mode: 'add' } }, 'credits.refill.amount'],
    [{ remaining: 1, refill: { amount: 1, every: 'month', day: 32, mode: 'add' } }, 'credits.refill.day'],
    [
      { remaining: 1, refill: { amount: 1, every: 'day', mode: 'set' } },
      'credits.refill.mode: must be add or replace',
    ],
    [{ remaining: 1, low_threshold: 0 }, 'credits.low_threshold'],
  ])('%j is refused naming the field', (value, message) => {
    expect(() => validateCredits(value)).toThrow(message);
  });
  it('top-ups are whole credits, one or more', () => {
    expect(validateAddCredits({ add: 3 })).toEqual({ add: 3 });
    expect(() => validateAddCredits({ add: -3 })).toThrow('add: must be an integer from 1');
    expect(() => validateAddCredits({})).toThrow('add: is required');
  });
});

describe('route cost', () => {
  it('is read from application routes, literal method first, then ANY, else 1', () => {
    const routes = parseApplicationRoutes([
      { method: 'POST', path: '/reports', cost: 5 },
      { method: 'ANY', path: '/reports', cost: 2 },
      { method: 'GET', path: '/health' },
    ]);
    expect(routeCost(routes, 'POST', '/reports')).toBe(5);
    expect(routeCost(routes, 'GET', '/reports')).toBe(2);
    expect(routeCost(routes, 'GET', '/health')).toBe(1);
    expect(routeCost(routes, 'GET', null)).toBe(1);
  });
  it.each([0, 1.5, '3', 2_000_000])('cost %j is refused', (cost) => {
    expect(() => parseApplicationRoutes([{ method: 'GET', path: '/x', cost }])).toThrow(
      'application route 0: cost must be an integer from 1 to 1000000',
    );
  });
});
