/**
 * What the hot-key layer (`hot-keys.ts`) needs from the usage store beyond the authorizer's storage port
 * (`usage-store.ts`), which `DynamoUsageStore` (`lambdas/dynamo/usage.ts`) implements for it, and the
 * arithmetic of its two kinds of count:
 *
 * - **Usage** (`calls`, the UTC day's counter, the latest use): the calls this instance allowed and has
 *   not written yet, exact. A call taken back after its count went out is written as -1.
 * - **Leases** on a rate-limit window: calls of the window's budget reserved on the key item (its
 *   `rl_<window>` counter) for this instance to allow from memory. Taking one is a conditional write that
 *   fails rather than pass the limit, so the leases of every instance together never pass it; what an
 *   instance does not use it gives back with a later write.
 *
 * Pure: types and arithmetic.
 */
import { utcDay } from './usage';
import type { KeySnapshot, UsageStore } from './usage-store';

export interface PendingUsage {
  calls: number;
  /** UTC day `YYYY-MM-DD` → calls. */
  days: Record<string, number>;
  /** Epoch milliseconds of the latest use counted; 0 when none. */
  lastUsedMs: number;
}

/** One call (or, with `sign` -1, one call taken back) at `nowMs`. */
export function oneCall(nowMs: number, sign: 1 | -1 = 1): PendingUsage {
  return { calls: sign, days: { [utcDay(nowMs)]: sign }, lastUsedMs: sign > 0 ? nowMs : 0 };
}

/** `a + b`, or null when every count of the sum is zero. */
export function addUsage(a: PendingUsage | null, b: PendingUsage): PendingUsage | null {
  const sum: PendingUsage = a
    ? { calls: a.calls, days: { ...a.days }, lastUsedMs: a.lastUsedMs }
    : { calls: 0, days: {}, lastUsedMs: 0 };
  sum.calls += b.calls;
  for (const [d, c] of Object.entries(b.days)) sum.days[d] = (sum.days[d] ?? 0) + c;
  sum.lastUsedMs = Math.max(sum.lastUsedMs, b.lastUsedMs);
  return sum.calls === 0 && Object.values(sum.days).every((c) => c === 0) ? null : sum;
}

/**
 * A change to one rate-limit window's counter on the key item: `calls` > 0 leases that many, only if
 * the key's limit is still `limit` and the counter stays within it; `calls` < 0 gives them back.
 */
export interface WindowLease {
  window: number;
  calls: number;
  limit: number;
}

/** A lease smaller than this is not worth a write of its own: below it, each call is the exact write. */
export const LEASE_MIN_CALLS = 5;
/**
 * An instance leases at most this fraction's inverse of what is left in the window, so that instances
 * bursting together each get a share, and near the limit (less than `LEASE_MIN_CALLS` × this left) every
 * instance is back on the exact write.
 */
export const LEASE_SHARE = 4;

/**
 * One lease is at most this fraction's inverse of the limit: a lease write that times out may have been
 * applied (and the SDK may apply it again), and such calls are lost to the window rather than risk
 * allowing them twice, so no single write may lose much. A window is leased in 20 writes or more.
 */
export const LEASE_PARTS = 20;

/**
 * How an instance's lease should change (0: not at all). `held`: leased and not yet used; `need`: what
 * the instance expects to allow in one bound; `free`: what no instance holds or has used (the limit less
 * the window's counter). A surplus goes back; a shortfall is leased if that is worth a write and within
 * its share of what is free and of the limit.
 */
export function leaseChange(held: number, need: number, free: number, limit: number): number {
  if (held > need) return need - held;
  const take = Math.min(need - held, Math.floor(free / LEASE_SHARE), Math.ceil(limit / LEASE_PARTS));
  return take >= LEASE_MIN_CALLS ? take : 0;
}

/** A usage write's outcome: the item after it (or, nothing written, as it was; null: no such key). */
export interface UsageWrite {
  snapshot: KeySnapshot | null;
  /** false when nothing was written: no such key, or the lease would have passed the limit. */
  written: boolean;
}

/**
 * What the layer needs from the usage store (`DynamoUsageStore`): the port, whose `recordUse` gives the
 * item's `windows` as it was after (or, refused, before) the write, and one more write.
 */
export interface HotKeyStore extends UsageStore {
  /**
   * One write to an existing key item (never creates one): adds `usage`, and changes a window's counter
   * by `lease` — all or nothing, so a lease refused writes no usage either.
   */
  addUsage(keyId: string, usage: PendingUsage | null, lease: WindowLease | null): Promise<UsageWrite>;
}
