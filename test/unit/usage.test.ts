import { describe, expect, it } from 'vitest';
import { noRefusals } from '#core/outcomes';
import { effectiveMaxKeys, parsePlans } from '#core/plans';
import { usageDayAttribute } from '#core/table';
import {
  countersToRollUp,
  dayOfCounter,
  USAGE_DAYS,
  usageHistoryTtl,
  usageSeries,
  utcDay,
  windowStart,
} from '#core/usage';
import { validateOrgUpdate, validateUsageQuery } from '#core/validation';

/** The pure day-series logic of usage over time, plans, and their validators. */
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-01T00:00:01Z');

describe('utcDay and counters', () => {
  it('is the UTC day, whatever the local zone', () => {
    expect(utcDay(Date.parse('2026-02-28T23:59:59.999Z'))).toBe('2026-02-28');
    expect(utcDay(Date.parse('2026-03-01T00:00:00Z'))).toBe('2026-03-01');
    expect(utcDay(Date.parse('2026-03-01T01:00:00+02:00'))).toBe('2026-02-28');
  });

  it('names a counter u_YYYYMMDD and reads it back; other attributes are not counters', () => {
    expect(usageDayAttribute('2026-03-01')).toBe('u_20260301');
    expect(dayOfCounter('u_20260301')).toBe('2026-03-01');
    for (const name of ['calls', 'rl_123', 'u_2026030', 'u_202603011', 'u_2026-03-01', 'uu_20260301']) {
      expect(dayOfCounter(name), name).toBeNull();
    }
  });

  it('rolls up the days before today only', () => {
    const counters = new Map([
      ['2026-02-27', 4],
      ['2026-02-28', 2],
      ['2026-03-01', 9],
      ['2026-03-02', 1],
    ]);
    expect([...countersToRollUp(counters, '2026-03-01')]).toEqual([
      ['2026-02-27', 4],
      ['2026-02-28', 2],
    ]);
    expect(countersToRollUp(new Map([['2026-03-01', 9]]), '2026-03-01').size).toBe(0);
  });
});

describe('usageSeries', () => {
  it('has exactly N entries, oldest first, the last today, zeros included', () => {
    for (const days of [1, 2, 30, 90]) {
      const series = usageSeries(NOW, days, []);
      expect(series).toHaveLength(days);
      expect(series.at(-1)?.date).toBe('2026-03-01');
      expect(series[0]?.date).toBe(windowStart(NOW, days));
      expect(series.every((d) => d.calls === 0)).toBe(true);
      const dates = series.map((d) => d.date);
      expect([...dates].sort()).toEqual(dates);
      expect(new Set(dates).size).toBe(days);
    }
  });

  it('crosses month and leap-year ends', () => {
    expect(usageSeries(Date.parse('2028-03-01T12:00:00Z'), 3, []).map((d) => d.date)).toEqual([
      '2028-02-28',
      '2028-02-29',
      '2028-03-01',
    ]);
    expect(usageSeries(Date.parse('2027-01-01T00:00:00Z'), 2, []).map((d) => d.date)).toEqual([
      '2026-12-31',
      '2027-01-01',
    ]);
  });

  it('sums history and unrolled counters of the same day and ignores days outside the window', () => {
    const series = usageSeries(NOW, 3, [
      ['2026-02-27', 2],
      ['2026-02-28', 5],
      ['2026-02-28', 1],
      ['2026-03-01', 7],
      ['2026-01-01', 100],
      ['2026-03-02', 100],
    ]);
    expect(series).toEqual([
      { date: '2026-02-27', calls: 2, refused: noRefusals() },
      { date: '2026-02-28', calls: 6, refused: noRefusals() },
      { date: '2026-03-01', calls: 7, refused: noRefusals() },
    ]);
  });

  it('windowStart is N-1 days before today', () => {
    expect(windowStart(NOW, 1)).toBe('2026-03-01');
    expect(windowStart(NOW, 30)).toBe('2026-01-31');
    expect(windowStart(NOW, 90)).toBe(utcDay(NOW - 89 * DAY));
  });
});

describe('usageHistoryTtl', () => {
  it('outlives the longest window and the retention of a released key record', () => {
    const dayStart = Date.parse('2026-03-01T00:00:00Z') / 1000;
    expect(usageHistoryTtl('2026-03-01', 30 * 86_400)).toBe(dayStart + 86_400 + 91 * 86_400);
    expect(usageHistoryTtl('2026-03-01', 365 * 86_400)).toBe(dayStart + 86_400 + 366 * 86_400);
    expect(() => usageHistoryTtl('20260301', 0)).toThrow();
  });
});

describe('validateUsageQuery', () => {
  it('defaults to 30 and accepts 1 to 90', () => {
    expect(validateUsageQuery({})).toEqual({ days: USAGE_DAYS.default });
    expect(validateUsageQuery({ days: '1' })).toEqual({ days: 1 });
    expect(validateUsageQuery({ days: '90' })).toEqual({ days: 90 });
  });

  it.each(['0', '91', '-1', '1.5', 'abc', '', '0x10', '1e1', '0090'])(
    'refuses days=%j naming days',
    (days) => {
      expect(() => validateUsageQuery({ days })).toThrow(expect.objectContaining({ field: 'days' }));
    },
  );

  it('refuses unknown parameters', () => {
    expect(() => validateUsageQuery({ day: '3' })).toThrow(expect.objectContaining({ field: 'day' }));
  });
});

describe('plans', () => {
  it('parses names to limits, null = unlimited', () => {
    expect(parsePlans({ trial: 1, starter: 3, enterprise: null, none: 0 })).toEqual({
      trial: 1,
      starter: 3,
      enterprise: null,
      none: 0,
    });
    expect(parsePlans({})).toEqual({});
  });

  it.each([
    [[], /JSON object/],
    [null, /JSON object/],
    [{ Trial: 1 }, /Trial/],
    [{ trial: -1 }, /trial/],
    [{ trial: 1.5 }, /trial/],
    [{ trial: '3' }, /trial/],
    [{ trial: 1_000_001 }, /trial/],
    [Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, 1])), /at most 20/],
  ])('refuses %j', (value, message) => {
    expect(() => parsePlans(value)).toThrow(message);
  });

  it("resolves the effective limit: the plan's, the default for an undefined plan, else the org's own", () => {
    const plans = { trial: 1, enterprise: null };
    expect(effectiveMaxKeys('trial', undefined, plans, 50)).toBe(1);
    expect(effectiveMaxKeys('enterprise', 5, plans, 50)).toBeNull();
    expect(effectiveMaxKeys('gone', undefined, plans, 50)).toBe(50);
    expect(effectiveMaxKeys(null, 7, plans, 50)).toBe(7);
    expect(effectiveMaxKeys(null, null, plans, 50)).toBeNull();
    expect(effectiveMaxKeys(null, undefined, plans, 50)).toBe(50);
    expect(effectiveMaxKeys('toString', undefined, plans, 50)).toBe(50);
  });

  it('PUT /v1/orgs takes {plan} or {max_keys}, not both', () => {
    expect(validateOrgUpdate({ plan: 'trial' })).toEqual({ plan: 'trial' });
    expect(validateOrgUpdate({ max_keys: null })).toEqual({ max_keys: null });
    for (const body of [{ plan: 'trial', max_keys: 1 }, { plan: '' }, { plan: null }]) {
      expect(() => validateOrgUpdate(body)).toThrow(expect.objectContaining({ field: 'plan' }));
    }
    expect(() => validateOrgUpdate({})).toThrow(expect.objectContaining({ field: 'max_keys' }));
  });
});
