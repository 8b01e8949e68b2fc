/**
 * Usage over time, as pure day arithmetic. The authorizer counts each allowed call on the key item in a
 * per-UTC-day counter (`u_<YYYYMMDD>`, see `table.ts`); the management function rolls counters of past
 * days off the key item into usage-history items, and a usage read merges both. This module holds what
 * all of them agree on: the UTC day of an instant, the day a counter attribute names, which counters are
 * due for roll-up, how long history is kept, and the exact N-day series (oldest first, zeros included,
 * the last entry today) built from per-day counts. No I/O.
 */
import { addRefused, noRefusals, type RefusalCounts, type RefusedCounts } from './outcomes';
import { USAGE_DAY_PREFIX } from './table';

/** `GET /v1/keys/{id}/usage?days=N`: 1 ≤ N ≤ 90, default 30. */
export const USAGE_DAYS = { min: 1, max: 90, default: 30 } as const;

/** The payload the daily schedule sends the management function to roll every key's counters up. */
export const USAGE_ROLL_UP_EVENT = { latchkey: 'roll-up-usage' } as const;

const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** One entry of a usage series. */
export interface UsageDay {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  /** Requests allowed. */
  calls: number;
  /** Requests refused, by outcome (every outcome, 0 when none): only keys whose credential matched (`outcomes.ts`). */
  refused: RefusalCounts;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day a key-item counter attribute (`u_YYYYMMDD`) counts, or null for any other attribute. */
export function dayOfCounter(attribute: string): string | null {
  if (!attribute.startsWith(USAGE_DAY_PREFIX)) return null;
  const digits = attribute.slice(USAGE_DAY_PREFIX.length);
  if (!/^\d{8}$/.test(digits)) return null;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

/** The counters on a key item whose day is before `today`: what a roll-up moves to history. */
export function countersToRollUp(counters: ReadonlyMap<string, number>, today: string): Map<string, number> {
  return new Map([...counters].filter(([day]) => day < today));
}

/**
 * The TTL (Unix seconds) of the history item of `day`: it must outlive the longest window a read can
 * ask for (90 days back from today) and the key record itself, which after revocation stays for the
 * retention period (`keyRetentionDays`), so the history of a revoked key remains readable as long as
 * the key can be read.
 */
export function usageHistoryTtl(day: string, retentionSeconds: number): number {
  if (!DAY_RE.test(day)) throw new Error(`not a day: ${day}`);
  const dayEndSeconds = Date.parse(`${day}T00:00:00Z`) / 1000 + 86_400;
  return dayEndSeconds + Math.max((USAGE_DAYS.max + 1) * 86_400, retentionSeconds + 86_400);
}

/** The first day of the N-day window ending today. */
export function windowStart(nowMs: number, days: number): string {
  return utcDay(nowMs - (days - 1) * DAY_MS);
}

/**
 * Exactly `days` entries, oldest first, the last one the UTC day of `nowMs`, each the sum of the counts
 * (calls, and refusals by outcome) given for that day (history and unrolled counters may both hold a
 * day); days without counts are 0 and counts outside the window are ignored.
 */
export function usageSeries(
  nowMs: number,
  days: number,
  counts: Iterable<readonly [string, number]>,
  refusals: Iterable<readonly [string, RefusedCounts]> = [],
): UsageDay[] {
  const byDay = new Map<string, number>();
  for (const [day, calls] of counts) byDay.set(day, (byDay.get(day) ?? 0) + calls);
  const refusedByDay = new Map<string, RefusedCounts>();
  for (const [day, refused] of refusals) refusedByDay.set(day, addRefused(refusedByDay.get(day), refused));
  const series: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = utcDay(nowMs - i * DAY_MS);
    series.push({
      date,
      calls: byDay.get(date) ?? 0,
      refused: { ...noRefusals(), ...refusedByDay.get(date) },
    });
  }
  return series;
}
