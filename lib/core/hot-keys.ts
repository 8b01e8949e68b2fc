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
 * - **Near the rate limit** (less left in the window than twice what the key uses in one bound, from
 *   the window's count and its observed rate), the instance adds its counts and goes back to the exact
 *   conditional write, so a limit is overshot by little; at the limit it refuses from the copy.
 * - A signed request's nonce and signature are always recorded in DynamoDB (a conditional put each:
 *   replays stay exact); only the key item's read and count use the copy.
 *
 * Lambda freezes an execution environment between invocations, so all of this runs inside them: a
 * background refresh started in one invocation may finish in the next, and a frozen copy is refreshed
 * (or the request refused) before use. Pure: the store is injected.
 */

import { addressAllowed } from './cidr';
import { constantTimeEqual } from './crypto';
import { ThrottledError } from './errors';
import { addUsage, type HotKeyStore, oneCall, type PendingUsage, windowCalls } from './hot-key-store';
import { type KeyRecord, keyStatus } from './model';
import {
  type KeySnapshot,
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

export interface HotKeyOptions {
  /** The oldest a copy may be when a request is verified against it, in milliseconds. */
  boundMs: number;
  now: () => number;
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
  refreshing: Promise<void> | null;
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

  constructor(
    private readonly store: HotKeyStore,
    options: HotKeyOptions,
  ) {
    this.boundMs = options.boundMs;
    this.now = options.now;
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
    if (
      !constantTimeEqual(record.key_hash, input.tokenHash) ||
      !usableFrom(record, input.nowMs, input.sourceIp)
    )
      return { updated: false, record };
    const budget = this.budget(entry, record, input.window, input.nowMs);
    if (budget === 'refuse') return { updated: false, record };
    if (budget === 'exact') {
      await this.flush(entry);
      return this.exactUse(entry, input);
    }
    this.count(entry, oneCall(input.window, input.nowMs), input.nowMs);
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
    const budget = this.budget(entry, record, input.window, input.nowMs);
    if (budget === 'refuse') return { outcome: 'refused', record };
    if (budget === 'exact') {
      await this.flush(entry);
      return this.store.recordSignedUse(input);
    }
    // Counted before the replay records are written, so concurrent requests on this instance see it.
    const call = oneCall(input.window, input.nowMs);
    this.count(entry, call, input.nowMs);
    const takeBack = () => this.count(entry, oneCall(input.window, input.nowMs, -1), input.nowMs, false);
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
    return { outcome: 'recorded' };
  }

  /** Replay records alone: always the store's conditional puts. */
  recordReplay(input: RecordReplayInput): Promise<'recorded' | 'replayed'> {
    return this.store.recordReplay(input);
  }

  /** Whether a key is on the hot path on this instance (for tests and logs). */
  isHot(keyId: string): boolean {
    return this.entries.get(keyId)?.hot ?? false;
  }

  /** Writes every key's pending counts now (tests, and the end of a bench run). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => this.flush(entry)));
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
        refreshing: null,
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
      if (entry.pending !== null) this.background(entry);
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

  /** Other keys' due work (counts pending for a bound are written, idle keys forgotten); bounded table. */
  private sweep(nowMs: number, current: Entry): void {
    if (nowMs - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = nowMs;
      for (const entry of this.entries.values()) {
        if (entry === current) continue;
        if (entry.pending !== null && nowMs - entry.pendingSince >= this.boundMs) this.background(entry);
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
    return entry.pending === null && entry.refreshing === null;
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

  private background(entry: Entry): void {
    this.refresh(entry).catch(() => {
      // The next request that needs this copy refreshes it again, or is refused.
    });
  }

  /** Writes the pending counts, if any. */
  private async flush(entry: Entry): Promise<void> {
    if (entry.refreshing) await entry.refreshing.catch(() => undefined);
    if (entry.pending !== null) await this.refresh(entry);
  }

  /** One refresh at a time per key: the pending counts added (or a read), the copy replaced. */
  private refresh(entry: Entry): Promise<void> {
    if (entry.refreshing) return entry.refreshing;
    const startedAt = this.now();
    const pending = entry.pending;
    entry.pending = null;
    entry.inflight = pending;
    const request = pending ? this.store.addUsage(entry.keyId, pending) : this.store.readKey(entry.keyId);
    entry.refreshing = request
      .then((snapshot) => {
        entry.inflight = null;
        this.adopt(entry, snapshot, startedAt);
      })
      .catch((error: unknown) => {
        entry.inflight = null;
        // Throttled: nothing was written. Anything else may have been applied: not counted again.
        if (pending && error instanceof ThrottledError) this.count(entry, pending, this.now(), false);
        throw error;
      })
      .finally(() => {
        entry.refreshing = null;
      });
    return entry.refreshing;
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

  /**
   * `count` in memory, `exact` near the limit (less left than twice one bound's use, at the fastest of
   * the window's average rate, its rate between copies and this instance's uses), or `refuse`. What is
   * counted here and not yet written (pending, or being written) counts as used.
   */
  private budget(
    entry: Entry,
    record: KeyRecord,
    window: number,
    nowMs: number,
  ): 'count' | 'exact' | 'refuse' {
    const stored = entry.snapshot?.windows[window] ?? 0;
    const used = stored + windowCalls(entry.pending, window) + windowCalls(entry.inflight, window);
    const left = record.rate_limit_per_minute - used;
    if (left <= 0) return 'refuse';
    return left <= Math.ceil(this.rate(entry, nowMs) * (this.boundMs / 1000) * 2) + 1 ? 'exact' : 'count';
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
