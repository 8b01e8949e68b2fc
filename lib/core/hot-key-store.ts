/**
 * What the hot-key layer (`hot-keys.ts`) needs from the usage store beyond the authorizer's storage port
 * (`usage-store.ts`), which `DynamoUsageStore` (`lambdas/dynamo/usage.ts`) implements for it, and the
 * arithmetic of how an instance spends a rate-limit window's budget:
 *
 * - **Usage** (`calls`, the UTC day's counter, the latest use): the calls this instance allowed and has
 *   not written yet, exact. A call taken back after its count went out is written as -1.
 * - **Leases**: calls of a window's budget reserved on the key item (its `rl_<window>` counter) for this
 *   instance to allow from memory. Taking one is a conditional write that fails rather than pass the
 *   limit, so the leases of every instance together never pass it; what an instance does not use it
 *   gives back with a later write.
 * - **Unleased calls**: a few calls an instance allows from memory while a lease is on its way (or
 *   between the writes of a key it uses little), counted in the pending usage's `windows` and added to the
 *   window's counter by the next write. Only while its copy shows more than half the window free (or
 *   while the item is throttled: see `chooseSpend`).
 *
 * Pure: types and arithmetic.
 */
import { addRefused, type RefusalOutcome, type RefusedCounts, takesBackCall } from './outcomes';
import { utcDay } from './usage';
import type { KeySnapshot, UsageStore } from './usage-store';

export interface PendingUsage {
  calls: number;
  /** Rate-limit window (minutes since the epoch) → unleased calls, not yet on the window's counter. */
  windows: Record<number, number>;
  /** UTC day `YYYY-MM-DD` → calls. */
  days: Record<string, number>;
  /** Epoch milliseconds of the latest use counted; 0 when none. */
  lastUsedMs: number;
  /** UTC day `YYYY-MM-DD` → refused requests by outcome (`outcomes.ts`), written with the counts. */
  refused?: Record<string, RefusedCounts>;
}

/**
 * One call (or, with `sign` -1, one call taken back) at `nowMs`: unleased in `window`, or (`window` null)
 * out of a lease, already on the window's counter.
 */
export function oneCall(window: number | null, nowMs: number, sign: 1 | -1 = 1): PendingUsage {
  return {
    calls: sign,
    windows: window === null ? {} : { [window]: sign },
    days: { [utcDay(nowMs)]: sign },
    lastUsedMs: sign > 0 ? nowMs : 0,
  };
}

/**
 * One refusal at `nowMs`: its outcome counted on the day, and for `forbidden` the call its verifying write
 * counted taken back (not from the rate-limit window: `takesBackCall`).
 */
export function oneRefusal(outcome: RefusalOutcome, nowMs: number): PendingUsage {
  const day = utcDay(nowMs);
  const back = takesBackCall(outcome);
  return {
    calls: back ? -1 : 0,
    windows: {},
    days: back ? { [day]: -1 } : {},
    lastUsedMs: 0,
    refused: { [day]: { [outcome]: 1 } },
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
  if (a?.refused !== undefined || b.refused !== undefined) {
    const refused: Record<string, RefusedCounts> = {};
    for (const day of new Set([...Object.keys(a?.refused ?? {}), ...Object.keys(b.refused ?? {})])) {
      const counts = addRefused(a?.refused?.[day], b.refused?.[day]);
      if (Object.keys(counts).length > 0) refused[day] = counts;
    }
    if (Object.keys(refused).length > 0) sum.refused = refused;
  }
  const zero = (counts: Record<string | number, number>) => Object.values(counts).every((c) => c === 0);
  return sum.calls === 0 && zero(sum.windows) && zero(sum.days) && sum.refused === undefined ? null : sum;
}

/** Unleased calls of `usage` in one rate-limit window (0 for none). */
export const windowCalls = (usage: PendingUsage | null, window: number): number =>
  usage?.windows[window] ?? 0;

/**
 * A change to one rate-limit window's counter on the key item beyond the unleased calls written with it:
 * `calls` > 0 leases that many, only if the key's limit is still `limit` and the counter (with the
 * unleased calls) stays within it; `calls` < 0 gives them back.
 */
export interface WindowLease {
  window: number;
  calls: number;
  limit: number;
}

/** A lease smaller than this is not worth a write of its own: below it, each call is the exact write. */
export const LEASE_MIN_CALLS = 5;
/**
 * An instance leases at most this fraction's inverse of what is free in the window, so that instances
 * bursting together each get a share, and near the limit (less than `LEASE_MIN_CALLS` × this free) every
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
 * Unleased calls an instance may have allowed and not yet written: at least this many, or a
 * `UNLEASED_SHARE`th of the limit if more, and never more than a `LEASE_PARTS`th of it (`unleasedAllowance`).
 */
export const UNLEASED_CALLS = 5;
export const UNLEASED_SHARE = 200;

/**
 * What an instance allows unleased (while a lease write is on its way, or between the writes of a key it
 * uses little): `UNLEASED_CALLS`, or a `UNLEASED_SHARE`th of the limit if more, at most a `LEASE_PARTS`th
 * of it. Ten instances spending it all from copies a bound old pass the limit by 5 % at most, once the
 * limit is 2,000 a minute or more (`UNLEASED_CALLS` each below that).
 */
export function unleasedAllowance(limit: number): number {
  return Math.min(
    Math.max(UNLEASED_CALLS, Math.floor(limit / UNLEASED_SHARE)),
    Math.floor(limit / LEASE_PARTS),
  );
}

/**
 * How an instance's lease should change (0: not at all). `held`: leased and not yet used; `need`: what
 * the instance expects to allow before its next write; `free`: what no instance holds or has used (the
 * limit less the window's counter and this instance's unleased calls). A surplus goes back; a shortfall
 * is leased if that is worth a write and within its share of what is free and of the limit.
 */
export function leaseChange(held: number, need: number, free: number, limit: number): number {
  if (held > need) return need - held;
  const take = Math.min(need - held, Math.floor(free / LEASE_SHARE), Math.ceil(limit / LEASE_PARTS));
  return take >= LEASE_MIN_CALLS ? take : 0;
}

/** What an instance knows when a hot key's call is to be allowed (after the copy's checks passed). */
export interface SpendState {
  /** Calls leased for the window and not yet used here. */
  held: number;
  /** Unleased calls allowed here and not yet on the window's counter (pending or being written). */
  unleased: number;
  /** The limit less the window's counter, as the copy shows it. */
  free: number;
  limit: number;
  /** What a lease should cover (`need` of `leaseChange`); 0 when this instance uses the key too little. */
  need: number;
  /** A write to the key's item was throttled lately. */
  throttled: boolean;
  /** While throttled, the exact write is used once no more than this is free: one bound's use, twice. */
  nearLimit: number;
}

/**
 * - `lease`: a call out of the lease;
 * - `unleased`: allowed from memory, added to the counter by the next write;
 * - `wait`: for the key's next write (a lease, or the unleased calls written), then choose again;
 * - `exact`: the conditional write of one call;
 * - `refuse`: the copy shows the window used up.
 */
export type Spend = 'lease' | 'unleased' | 'wait' | 'exact' | 'refuse';

/**
 * How to spend one call. Out of a lease when one is held. Else unleased within `unleasedAllowance` while
 * more than half the window is free, so that an instance never waits for a write to a key far from its
 * limit, and the instances that each take a few unleased calls from a copy a bound old pass the limit
 * together by little if at all.
 * Else wait for a lease (or for the unleased calls to be written), or the exact write for a key used too
 * little here to lease. While the item is throttled nothing is waited for (every write would be):
 * unleased calls are allowed until the copy shows the window within `nearLimit` of the limit, as before
 * leases, and then the exact write.
 */
export function chooseSpend(state: SpendState): Spend {
  if (state.held > 0) return 'lease';
  const room = state.free - state.unleased;
  if (room <= 0) return 'refuse';
  if (state.throttled) return room > state.nearLimit ? 'unleased' : 'exact';
  if (state.unleased < unleasedAllowance(state.limit) && room > state.limit / 2) return 'unleased';
  if (state.unleased > 0 || leaseChange(0, state.need, room, state.limit) > 0) return 'wait';
  return 'exact';
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
   * One write to an existing key item (never creates one): adds `usage` (its unleased calls to their
   * windows' counters), and changes `lease.window`'s counter by `lease.calls` more — all or nothing, so
   * a lease refused writes no usage either.
   */
  addUsage(keyId: string, usage: PendingUsage | null, lease: WindowLease | null): Promise<UsageWrite>;
}
