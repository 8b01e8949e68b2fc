/**
 * What the hot-key layer (`hot-keys.ts`) needs from the usage store beyond the authorizer's storage port
 * (`usage-store.ts`), which `DynamoUsageStore` (`lambdas/dynamo/usage.ts`) implements for it, and the calls
 * counted in memory and not yet written to the key item — in all, per rate-limit window and per UTC day,
 * with the latest use. Counts may be negative (a call taken back after its count went out is written as
 * -1). Pure: types and arithmetic.
 */
import type { KeySnapshot, UsageStore } from './usage-store';

export interface PendingUsage {
  calls: number;
  /** Rate-limit window (minutes since the epoch) → calls. */
  windows: Record<number, number>;
  /** UTC day `YYYY-MM-DD` → calls. */
  days: Record<string, number>;
  /** Epoch milliseconds of the latest use counted; 0 when none. */
  lastUsedMs: number;
}

const utcDayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One call (or, with `sign` -1, one call taken back) at `nowMs` in `window`. */
export function oneCall(window: number, nowMs: number, sign: 1 | -1 = 1): PendingUsage {
  return {
    calls: sign,
    windows: { [window]: sign },
    days: { [utcDayOf(nowMs)]: sign },
    lastUsedMs: sign > 0 ? nowMs : 0,
  };
}

/** `a + b`, or null when every count of the sum is zero. */
export function addUsage(a: PendingUsage | null, b: PendingUsage): PendingUsage | null {
  const sum: PendingUsage = a
    ? { calls: a.calls, windows: { ...a.windows }, days: { ...a.days }, lastUsedMs: a.lastUsedMs }
    : { calls: 0, windows: {}, days: {}, lastUsedMs: 0 };
  sum.calls += b.calls;
  for (const [w, c] of Object.entries(b.windows)) sum.windows[Number(w)] = (sum.windows[Number(w)] ?? 0) + c;
  for (const [d, c] of Object.entries(b.days)) sum.days[d] = (sum.days[d] ?? 0) + c;
  sum.lastUsedMs = Math.max(sum.lastUsedMs, b.lastUsedMs);
  const zero = (counts: Record<string | number, number>) => Object.values(counts).every((c) => c === 0);
  return sum.calls === 0 && zero(sum.windows) && zero(sum.days) ? null : sum;
}

/** Calls of `usage` in one rate-limit window (0 for none). */
export const windowCalls = (usage: PendingUsage | null, window: number): number =>
  usage?.windows[window] ?? 0;

/**
 * What the layer needs from the usage store (`DynamoUsageStore`): the port, whose `recordUse` gives the
 * item's `windows` as it was after (or, refused, before) the write, and one more write.
 */
export interface HotKeyStore extends UsageStore {
  /** Adds pending usage to an existing key item (never creates one); the item after, or null. */
  addUsage(keyId: string, usage: PendingUsage): Promise<KeySnapshot | null>;
}
