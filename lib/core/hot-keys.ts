/**
 * Bounded-staleness verification for hot keys (`LATCHKEY_VERIFY_MODE=bounded`). DynamoDB serves about
 * 1,000 writes a second on one item, and a bearer verification is one conditional write on the key's
 * item, so a key used past that rate is throttled and, failing closed, answered 503. This layer sits
 * between `verifyRequest` and the usage store, per authorizer instance (per Lambda execution
 * environment), and keeps that cliff away:
 *
 * - A key is **hot** on this instance once it is used `HOT_KEY_RATE` times a second (allowed uses here,
 *   or by all instances as its item shows), or once DynamoDB throttles a write to its item; it cools
 *   down below half that rate. Other keys go to the store exactly as in `exact` mode.
 * - A hot key is verified against this instance's **copy** of its item, never older than the bound:
 *   hash, revocation, disabling, expiry and the key's network allowlist are checked on the copy exactly
 *   as the conditional write would, and an allowed call is counted in memory. The counts go to DynamoDB in one unconditional
 *   `ADD` per key per interval (started in the background once the copy is half the bound old), whose
 *   returned item is the next copy; with nothing to add, a consistent read refreshes it. A request that
 *   finds the copy at the bound waits for the refresh, and is refused (a dependency error: 503) if it
 *   fails — fail closed, never an allow on an older copy. Counts whose write was throttled are kept for
 *   the next one; after any other failure (a timeout, a 5xx) they may have been applied, so they are
 *   dropped rather than risk counting them twice.
 * - **Rate limits hold across instances.** A hot key's call is allowed from memory out of a **lease**:
 *   calls of the window's budget that the same one write per interval reserved on the item's window
 *   counter, on the condition that the counter stays within the limit (`hot-key-store.ts`). The leases
 *   of all instances and the exact writes therefore never pass the limit together, however many
 *   instances burst at once. A lease covers about one bound of this instance's use, at most a quarter
 *   of what is free and a twentieth of the limit; it is topped up in the background once half used, and
 *   what is not used goes back with a later write. Without a lease an instance allows a few **unleased**
 *   calls (5, or a 200th of the limit if more; added to the counter by its next write) while more than
 *   half the window is free, so a key far from its limit costs no more writes than before; past that it
 *   waits for a lease, or, for a key it uses little, takes the exact conditional write; at the limit it
 *   refuses from the copy. While the item is throttled no request waits for a write: unleased calls are
 *   allowed until the copy shows the window within two bounds' use of the limit, then the exact write.
 * - A signed request's nonce and signature are always recorded in DynamoDB (a conditional put each:
 *   replays stay exact); only the key item's read and count use the copy.
 *
 * Lambda freezes an execution environment between invocations, so all of this runs inside them: a
 * background refresh started in one invocation may finish in the next, and a frozen copy is refreshed
 * (or the request refused) before use. Pure: the store is injected.
 */

import { addressAllowed } from './cidr';
import { ThrottledError } from './errors';
import {
  addUsage,
  chooseSpend,
  type HotKeyStore,
  leaseChange,
  oneCall,
  oneRefusal,
  type PendingUsage,
  type Spend,
  type SpendState,
  type UsageWrite,
  unleasedAllowance,
  type WindowLease,
  windowCalls,
} from './hot-key-store';
import { type KeyRecord, keyStatus } from './model';
import { hashMatches } from './token';
import {
  type KeySnapshot,
  type RecordRefusalInput,
  type RecordReplayInput,
  type RecordSignedUseInput,
  type RecordSignedUseResult,
  type RecordUseInput,
  type RecordUseResult,
  rateWindowOf,
  type UsageStore,
  windowStartMs,
} from './usage-store';

/**
 * The rate, in calls a second, that makes a key hot: allowed uses within one second on this instance, or
 * the key's whole use as its item shows it (the minute's counter over the time into the minute, or its
 * growth between two copies). At this rate one `ADD` per instance per half bound (two a second with the
 * default bound) replaces at least ten conditional writes, and revocation is delayed only for keys busy
 * enough that a one-second bound is a small share of their traffic. Refused requests do not count, so
 * junk sent with a key's id cannot make it hot.
 */
export const HOT_KEY_RATE = 10;
/** A hot key not seen for this long is forgotten (its counts written first); a throttled one stays hot as long. */
export const HOT_KEY_IDLE_MS = 10_000;
/** Keys this instance tracks at most (least recently seen forgotten first). */
export const HOT_KEY_TRACKED = 1_000;
/** Other keys' due work is looked for at most this often (a pass visits every tracked key). */
const SWEEP_EVERY_MS = 100;
/** A request waits for at most this many writes of its key before it takes the exact write instead. */
const LEASE_ATTEMPTS = 3;
/**
 * A lease is sized to this instance's own use over this many bounds: topped up once half used, about
 * one write per half bound as the copy's refresh already costs, and little is left on an instance whose
 * requests stop.
 */
const LEASE_BOUNDS = 1;

export interface HotKeyOptions {
  /** The oldest a copy may be when a request is verified against it, in milliseconds. */
  boundMs: number;
  now: () => number;
  /** Called for each allowed call counted in memory (copy and lease), not by a write to the key item. */
  onMemoryAnswer?: () => void;
}

interface Entry {
  keyId: string;
  hot: boolean;
  /** Until when a throttled key stays hot whatever its rate. */
  throttledUntil: number;
  /** The copy (null: no such key) and when the request that fetched it started. */
  snapshot: KeySnapshot | null;
  copyAt: number | null;
  /** Counted and not written yet; being written by the refresh in flight. */
  pending: PendingUsage | null;
  pendingSince: number;
  inflight: PendingUsage | null;
  /** Calls of one window leased on the item (against the limit it had) and not yet allowed here. */
  lease: { window: number; limit: number; left: number } | null;
  refreshing: Promise<void> | null;
  /** A pending write of rate-limited refusals counted while the key is not hot (`recordRefusal`). */
  flushTimer: ReturnType<typeof setTimeout> | null;
  lastSeen: number;
  /** Allowed uses in the current and the previous second on this instance. */
  second: number;
  uses: number;
  previousUses: number;
  /** Calls per second the key's window grew by between the last two copies (all instances). */
  observedRate: number;
}

/**
 * What the store's conditional write checks besides the hash: the key is active and, when it has a
 * network allowlist, the request comes from inside it.
 */
function usableFrom(record: KeyRecord, nowMs: number, sourceIp: string | undefined): boolean {
  return keyStatus(record, nowMs) === 'active' && addressAllowed(record.allowed_cidrs, sourceIp);
}

/** The usage store with a hot-key layer in front (the handler's choice in bounded mode). */
export class HotKeys implements UsageStore {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = 0;
  private readonly boundMs: number;
  private readonly now: () => number;
  private readonly onMemoryAnswer: () => void;

  constructor(
    private readonly store: HotKeyStore,
    options: HotKeyOptions,
  ) {
    this.boundMs = options.boundMs;
    this.now = options.now;
    this.onMemoryAnswer = options.onMemoryAnswer ?? (() => undefined);
  }

  /** The bearer path. */
  async recordUse(input: RecordUseInput): Promise<RecordUseResult> {
    const entry = this.arrive(input.keyId, input.nowMs);
    if (!entry.hot) {
      try {
        return await this.exactUse(entry, input);
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        this.throttled(entry, input.nowMs);
      }
    }
    const record = await this.freshCopy(entry);
    if (record === null) return { updated: false, record: null };
    if (!hashMatches(record.key_hash, input.tokenHash) || !usableFrom(record, input.nowMs, input.sourceIp))
      return { updated: false, record };
    // A key with credits is spent by the exact write, every call: its balance is never over-spent.
    if (record.credits !== null) return this.exactUse(entry, input);
    const spend = await this.take(entry, input.window, input.nowMs);
    if (spend === 'refuse') return { updated: false, record };
    if (spend === 'exact') {
      try {
        return await this.exactUse(entry, input);
      } catch (error) {
        // A throttled item: allowed unleased if the copy leaves room enough, else refused (fail closed).
        if (!(error instanceof ThrottledError)) throw error;
        this.throttled(entry, this.now());
        if (chooseSpend(this.spendState(entry, input.window, this.now())) !== 'unleased') throw error;
        this.count(entry, oneCall(input.window, input.nowMs), input.nowMs);
        this.onMemoryAnswer();
        return { updated: true, record };
      }
    }
    this.onMemoryAnswer();
    return { updated: true, record };
  }

  /** The signed path's read: the copy for a hot key, else a consistent read. */
  async readKey(keyId: string): Promise<KeySnapshot | null> {
    const startedAt = this.now();
    const entry = this.arrive(keyId, startedAt);
    if (entry.hot) {
      await this.freshCopy(entry);
      return entry.snapshot;
    }
    try {
      const snapshot = await this.store.readKey(keyId);
      this.adopt(entry, snapshot, startedAt);
      return snapshot;
    } catch (error) {
      if (error instanceof ThrottledError) this.throttled(entry, startedAt);
      throw error;
    }
  }

  /** The signed path's write: replay records always exact. */
  async recordSignedUse(input: RecordSignedUseInput): Promise<RecordSignedUseResult> {
    const entry = this.arrive(input.keyId, input.nowMs);
    if (!entry.hot) {
      try {
        const result = await this.store.recordSignedUse(input);
        if (result.outcome === 'recorded') this.used(entry, input.nowMs);
        return result;
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        this.throttled(entry, input.nowMs);
      }
    }
    const record = await this.freshCopy(entry);
    if (record === null || !usableFrom(record, input.nowMs, input.sourceIp))
      return { outcome: 'refused', record };
    if (record.credits !== null) {
      // As on the bearer path: a key with credits is spent by the exact write.
      const result = await this.store.recordSignedUse(input);
      if (result.outcome === 'recorded') this.used(entry, input.nowMs);
      return result;
    }
    // Counted by `take` before the replay records are written, so concurrent requests here see it.
    const spend = await this.take(entry, input.window, input.nowMs);
    if (spend === 'refuse') return { outcome: 'refused', record };
    if (spend === 'exact') {
      const result = await this.store.recordSignedUse(input);
      if (result.outcome === 'recorded') this.used(entry, input.nowMs);
      return result;
    }
    const leased = spend === 'lease';
    const takeBack = () => {
      const lease = entry.lease;
      if (leased && lease?.window === input.window) {
        lease.left += 1;
        this.count(entry, oneCall(null, input.nowMs, -1), input.nowMs, false);
      } else this.count(entry, oneCall(input.window, input.nowMs, -1), input.nowMs, false);
    };
    try {
      if ((await this.store.recordReplay(input)) === 'replayed') {
        takeBack();
        return { outcome: 'replayed' };
      }
      // The replay records may have taken a while: the key is judged on a copy within the bound.
      const now = await this.freshCopy(entry);
      if (now === null || !usableFrom(now, this.now(), input.sourceIp)) {
        takeBack();
        return { outcome: 'refused', record: now, consumed: true };
      }
    } catch (error) {
      takeBack();
      throw error;
    }
    this.onMemoryAnswer();
    return { outcome: 'recorded' };
  }

  /**
   * A refusal of a hot key is counted in memory and written with its calls by the interval's one write
   * (never a write of its own); any other key's is the store's write. Not a use: refusals never make a
   * key hot, nor keep it so.
   */
  async recordRefusal(input: RecordRefusalInput): Promise<void> {
    const entry = this.entries.get(input.keyId);
    if (entry?.hot) {
      this.count(entry, oneRefusal(input.outcome, input.nowMs), input.nowMs, false);
      return;
    }
    if (entry !== undefined && input.outcome === 'rate_limited') {
      // A key at its limit is busy: a write per refusal would take the item's throughput from its calls.
      // Counted here and written within the bound (one write per key per bound on this instance).
      this.count(entry, oneRefusal(input.outcome, input.nowMs), input.nowMs, false);
      if (entry.flushTimer === null) {
        entry.flushTimer = setTimeout(() => {
          entry.flushTimer = null;
          if (entry.pending !== null) this.background(entry);
        }, this.boundMs);
        (entry.flushTimer as { unref?: () => void }).unref?.();
      }
      return;
    }
    await this.store.recordRefusal?.(input);
  }

  /** Replay records alone: always the store's conditional puts. */
  recordReplay(input: RecordReplayInput): Promise<'recorded' | 'replayed'> {
    return this.store.recordReplay(input);
  }

  /** Whether a key is on the hot path on this instance (for tests and logs). */
  isHot(keyId: string): boolean {
    return this.entries.get(keyId)?.hot ?? false;
  }

  /** Writes every key's pending counts and gives back its leases now (tests, and the end of a bench run). */
  async flushAll(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        if (entry.refreshing) await entry.refreshing.catch(() => undefined);
        if (entry.pending !== null || this.held(entry, rateWindowOf(this.now())) > 0)
          await this.refresh(entry, true);
      }),
    );
  }

  private async exactUse(entry: Entry, input: RecordUseInput): Promise<RecordUseResult> {
    const result = await this.store.recordUse(input);
    if (result.record !== null && result.windows)
      this.adopt(entry, { record: result.record, windows: result.windows }, input.nowMs);
    if (result.updated) this.used(entry, input.nowMs);
    return { updated: result.updated, record: result.record };
  }

  /** The key's entry (most recently seen last); sweeps other keys' due work; a hot key may cool down. */
  private arrive(keyId: string, nowMs: number): Entry {
    let entry = this.entries.get(keyId);
    if (entry === undefined) {
      entry = {
        keyId,
        hot: false,
        throttledUntil: 0,
        snapshot: null,
        copyAt: null,
        pending: null,
        pendingSince: 0,
        inflight: null,
        lease: null,
        refreshing: null,
        flushTimer: null,
        lastSeen: nowMs,
        second: Math.floor(nowMs / 1000),
        uses: 0,
        previousUses: 0,
        observedRate: 0,
      };
    } else this.entries.delete(keyId);
    this.entries.set(keyId, entry);
    this.sweep(nowMs, entry);
    entry.lastSeen = nowMs;
    if (entry.hot && nowMs > entry.throttledUntil && this.rate(entry, nowMs) < HOT_KEY_RATE / 2) {
      entry.hot = false;
      // Its counts go out, and its lease goes back.
      if (entry.pending !== null || this.held(entry, rateWindowOf(nowMs)) > 0) this.background(entry, true);
    }
    return entry;
  }

  /** An allowed use on this instance: past `HOT_KEY_RATE` in a second, the key is hot. */
  private used(entry: Entry, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== entry.second) {
      entry.previousUses = second === entry.second + 1 ? entry.uses : 0;
      entry.uses = 0;
      entry.second = second;
    }
    entry.uses += 1;
    if (entry.uses >= HOT_KEY_RATE) entry.hot = true;
  }

  private throttled(entry: Entry, nowMs: number): void {
    entry.hot = true;
    entry.throttledUntil = nowMs + HOT_KEY_IDLE_MS;
  }

  /** Allowed uses per second on this instance, over the current and the previous second. */
  private localRate(entry: Entry, nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    if (second > entry.second + 1) return 0;
    if (second === entry.second + 1) return entry.uses * (1 - (nowMs % 1000) / 1000);
    return entry.uses + entry.previousUses * (1 - (nowMs % 1000) / 1000);
  }

  /**
   * Other keys' due work (counts pending for a bound are written, leases of keys not seen for a bound
   * given back, idle keys forgotten); bounded table.
   */
  private sweep(nowMs: number, current: Entry): void {
    if (nowMs - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = nowMs;
      for (const entry of this.entries.values()) {
        if (entry === current) continue;
        // A key not seen for a bound gives its lease back with its counts.
        const quiet = nowMs - entry.lastSeen >= this.boundMs;
        if (
          (entry.pending !== null && nowMs - entry.pendingSince >= this.boundMs) ||
          (quiet && this.held(entry, rateWindowOf(nowMs)) > 0)
        )
          this.background(entry, quiet);
        else if (this.idle(entry) && nowMs - entry.lastSeen > HOT_KEY_IDLE_MS)
          this.entries.delete(entry.keyId);
      }
    }
    for (const entry of this.entries.values()) {
      if (this.entries.size <= HOT_KEY_TRACKED) break;
      if (entry !== current && this.idle(entry)) this.entries.delete(entry.keyId);
    }
  }

  private idle(entry: Entry): boolean {
    return (
      entry.pending === null && entry.refreshing === null && this.held(entry, rateWindowOf(this.now())) === 0
    );
  }

  /** Calls leased for `window`, against the limit the copy shows, and not yet allowed here. */
  private held(entry: Entry, window: number): number {
    const lease = entry.lease;
    if (lease === null || lease.window !== window) return 0;
    return lease.limit === entry.snapshot?.record.rate_limit_per_minute ? lease.left : 0;
  }

  /** The copy, refreshed first when it is at the bound (a failed refresh throws: the caller fails closed). */
  private async freshCopy(entry: Entry): Promise<KeyRecord | null> {
    let nowMs = this.now();
    if (entry.copyAt === null || nowMs - entry.copyAt >= this.boundMs) {
      await this.refresh(entry);
      nowMs = this.now();
      if (entry.copyAt === null || nowMs - entry.copyAt >= this.boundMs) await this.refresh(entry);
    } else if (nowMs - entry.copyAt >= this.boundMs / 2) {
      this.background(entry);
    }
    return entry.snapshot?.record ?? null;
  }

  private background(entry: Entry, giveBack = false): void {
    this.refresh(entry, giveBack).catch(() => {
      // The next request that needs this copy refreshes it again, or is refused.
    });
  }

  /**
   * One refresh at a time per key: one write of the pending counts and the lease's change (or, with
   * neither, a consistent read), the copy replaced. `giveBack`: the whole lease goes back.
   */
  private refresh(entry: Entry, giveBack = false): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    const startedAt = this.now();
    const pending = entry.pending;
    entry.pending = null;
    entry.inflight = pending;
    const lease = this.leaseChange(entry, pending, startedAt, giveBack);
    // What goes back is no longer this instance's to allow, from now on.
    if (lease !== null && lease.calls < 0 && entry.lease !== null) entry.lease.left += lease.calls;
    const request: Promise<UsageWrite> =
      pending !== null || lease !== null
        ? this.store.addUsage(entry.keyId, pending, lease)
        : this.store.readKey(entry.keyId).then((snapshot) => ({ snapshot, written: true }));
    entry.refreshing = request
      .then(({ snapshot, written }) => {
        entry.inflight = null;
        // A lease refused (the window had no room for it) wrote nothing: the counts go with the next write.
        if (!written && snapshot !== null && pending !== null) this.count(entry, pending, this.now(), false);
        if (written && lease !== null && lease.calls > 0) {
          const held = entry.lease;
          const left = held?.window === lease.window && held.limit === lease.limit ? held.left : 0;
          entry.lease = { window: lease.window, limit: lease.limit, left: left + lease.calls };
        }
        this.adopt(entry, snapshot, startedAt);
      })
      .catch((error: unknown) => {
        entry.inflight = null;
        // Throttled: nothing was written, so the counts are kept and what was to go back is still held.
        // Anything else may have been applied: not counted again, and calls given back stay given back.
        if (error instanceof ThrottledError) {
          this.throttled(entry, this.now());
          if (pending !== null) this.count(entry, pending, this.now(), false);
          if (lease !== null && lease.calls < 0 && entry.lease?.window === lease.window)
            entry.lease.left -= lease.calls;
        }
        throw error;
      })
      .finally(() => {
        entry.refreshing = null;
      });
    return entry.refreshing;
  }

  /**
   * What this instance should hold on a lease: its own use over `LEASE_BOUNDS` bounds, once it uses the
   * key `HOT_KEY_RATE` times a second itself (a key hot only by other instances' use takes unleased calls
   * or the exact write here, so an instance that then goes quiet holds nothing), and as if it did while
   * the key's item is throttled. None once the key is not hot.
   */
  private need(entry: Entry, nowMs: number): number {
    if (!entry.hot) return 0;
    const rate = this.localRate(entry, nowMs);
    if (rate < HOT_KEY_RATE && nowMs >= entry.throttledUntil) return 0;
    return Math.ceil(Math.max(rate, HOT_KEY_RATE) * LEASE_BOUNDS * (this.boundMs / 1000));
  }

  /** The lease's change for the current window, against what is free in it as the copy shows. */
  private leaseChange(
    entry: Entry,
    pending: PendingUsage | null,
    nowMs: number,
    giveBack: boolean,
  ): WindowLease | null {
    const snapshot = entry.snapshot;
    if (snapshot === null) return null;
    const window = rateWindowOf(nowMs);
    const limit = snapshot.record.rate_limit_per_minute;
    const free = limit - (snapshot.windows[window] ?? 0) - windowCalls(pending, window);
    const need = giveBack ? 0 : this.need(entry, nowMs);
    const calls = leaseChange(this.held(entry, window), need, free, limit);
    return calls === 0 ? null : { window, calls, limit };
  }

  /** What `chooseSpend` needs to know about the key on this instance. */
  private spendState(entry: Entry, window: number, nowMs: number): SpendState {
    const limit = entry.snapshot?.record.rate_limit_per_minute ?? 0;
    return {
      held: this.held(entry, window),
      unleased: windowCalls(entry.pending, window) + windowCalls(entry.inflight, window),
      free: limit - (entry.snapshot?.windows[window] ?? 0),
      limit,
      need: this.need(entry, nowMs),
      throttled: nowMs < entry.throttledUntil,
      nearLimit: Math.ceil(this.rate(entry, nowMs) * (this.boundMs / 1000) * 2) + 1,
    };
  }

  /**
   * How one call at `callMs` in `window` is spent (`chooseSpend`), and, allowed from memory, counted:
   * out of the lease (topped up in the background once half used), unleased (a lease asked for in the
   * background once half the allowance is used, if this instance uses the key enough), or, for `wait`,
   * after the key's next write (at most
   * `LEASE_ATTEMPTS`, then the exact write). A write waited for that is throttled is not the request's
   * failure: the next choice is made as throttled; one that fails otherwise leaves the exact write.
   */
  private async take(entry: Entry, window: number, callMs: number): Promise<Exclude<Spend, 'wait'>> {
    for (let attempt = 0; ; attempt++) {
      const nowMs = this.now();
      const spend = chooseSpend(this.spendState(entry, window, nowMs));
      if (spend === 'lease' && entry.lease !== null) {
        entry.lease.left -= 1;
        this.count(entry, oneCall(null, callMs), callMs);
        if (entry.refreshing === null && entry.lease.left * 2 < this.need(entry, nowMs))
          this.topUp(entry, nowMs);
        return spend;
      }
      if (spend === 'unleased') {
        this.count(entry, oneCall(window, callMs), callMs);
        const unleased = windowCalls(entry.pending, window);
        const limit = entry.snapshot?.record.rate_limit_per_minute ?? 0;
        if (entry.refreshing === null && unleased * 2 >= unleasedAllowance(limit)) this.topUp(entry, nowMs);
        return spend;
      }
      if (spend !== 'wait') return spend;
      if (attempt >= LEASE_ATTEMPTS) return 'exact';
      try {
        await this.refresh(entry);
      } catch (error) {
        // Any other failure: the exact write decides (and fails the request closed if it fails too).
        if (!(error instanceof ThrottledError)) return 'exact';
      }
    }
  }

  /**
   * A background write now if it would lease more. Not while the item is throttled: the write every half
   * bound carries the lease then, and more writes would only be throttled too.
   */
  private topUp(entry: Entry, nowMs: number): void {
    if (nowMs < entry.throttledUntil) return;
    const change = this.leaseChange(entry, entry.pending, nowMs, false);
    if (change !== null && change.calls > 0) this.background(entry);
  }

  /**
   * Takes a new copy, and the window's growth rate since the last one. A key whose item shows it used at
   * `HOT_KEY_RATE` a second or more, by all instances together, becomes hot here too.
   */
  private adopt(entry: Entry, snapshot: KeySnapshot | null, at: number): void {
    const window = rateWindowOf(at);
    const before = entry.snapshot?.windows[window];
    const now = snapshot?.windows[window];
    if (before !== undefined && now !== undefined && entry.copyAt !== null && at > entry.copyAt)
      entry.observedRate = Math.max(0, now - before) / ((at - entry.copyAt) / 1000);
    const elapsed = Math.max(1, (at - windowStartMs(window)) / 1000);
    if (
      now !== undefined &&
      now >= HOT_KEY_RATE &&
      (now / elapsed >= HOT_KEY_RATE || entry.observedRate >= HOT_KEY_RATE)
    )
      entry.hot = true;
    entry.snapshot = snapshot;
    entry.copyAt = at;
  }

  /** Use per second: the fastest of the window's average, its growth between copies and this instance's. */
  private rate(entry: Entry, nowMs: number): number {
    const window = rateWindowOf(nowMs);
    const stored = entry.snapshot?.windows[window] ?? 0;
    const elapsed = Math.max(1, ((entry.copyAt ?? nowMs) - windowStartMs(window)) / 1000);
    return Math.max(stored / elapsed, entry.observedRate, this.localRate(entry, nowMs));
  }

  /** Adds to the pending counts (an allowed use also counts towards the key's rate here). */
  private count(entry: Entry, usage: PendingUsage, nowMs: number, use = true): void {
    if (entry.pending === null) entry.pendingSince = nowMs;
    entry.pending = addUsage(entry.pending, usage);
    if (use) this.used(entry, nowMs);
  }
}
