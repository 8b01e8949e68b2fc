/**
 * Per-key credits: a balance that each allowed call spends (one, or the cost its route declares) in the
 * same conditional write that counts the call, refused as `credits_exhausted` when the balance is below
 * the cost, and refilled lazily: the key item holds the balance (`cr_rem`) and the instant its next
 * refill is due (`cr_next`); a spend is conditional on `cr_next` being still ahead, and the first call
 * after it pays one conditional write that applies the refill and moves `cr_next` on (`refillWrite`),
 * then spends. A key without credits holds neither attribute and is unlimited, as before.
 *
 * This module holds what every layer agrees on: the shapes, the period arithmetic (UTC; monthly on a
 * day of the month, clamped to the month's length), what a refill makes of a balance, and what a
 * refused spend's item says to do next. Pure: no I/O.
 */

/** How often credits are refilled: at UTC midnight, or monthly on `day` (clamped to the month's length). */
export type RefillEvery = 'day' | 'month';
/** `add`: the amount is added (capped at `max` if set); `replace`: the balance is set to the amount. */
export type RefillMode = 'add' | 'replace';

export const REFILL_EVERY: readonly RefillEvery[] = ['day', 'month'];
export const REFILL_MODES: readonly RefillMode[] = ['add', 'replace'];

/** Largest balance, amount, cost or top-up: well inside a double's exact integers. */
export const MAX_CREDITS = 1_000_000_000_000;
/** Largest cost a route may declare. */
export const MAX_ROUTE_COST = 1_000_000;

export interface CreditRefill {
  amount: number;
  every: RefillEvery;
  /** Monthly only: the day of the month (1–31) the refill is due; default 1. */
  day: number | null;
  mode: RefillMode;
  /** `add` only: the balance a refill does not go past; null: no cap. */
  max: number | null;
}

/** A key's credits as stored. */
export interface KeyCredits {
  /** The balance as last written (a refill due since is applied by the next call: see `effectiveCredits`). */
  remaining: number;
  refill: CreditRefill | null;
  /** When the next refill is due (epoch milliseconds); null without a refill. */
  next_refill_ms: number | null;
  /** A spend that takes the balance below this writes one `key.credits_low` audit event; null: none. */
  low_threshold: number | null;
}

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The instant a monthly refill is due in a given month: `day` clamped to the month's length, 00:00 UTC. */
function monthlyAnchor(year: number, month: number, day: number): number {
  const y = year + Math.floor(month / 12);
  const m = ((month % 12) + 12) % 12;
  return Date.UTC(y, m, Math.min(day, daysInMonth(y, m)));
}

/** When the first refill after `nowMs` is due (strictly after it). */
export function nextRefillAfter(refill: Pick<CreditRefill, 'every' | 'day'>, nowMs: number): number {
  if (refill.every === 'day') return (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
  const now = new Date(nowMs);
  const day = refill.day ?? 1;
  const thisMonth = monthlyAnchor(now.getUTCFullYear(), now.getUTCMonth(), day);
  return thisMonth > nowMs ? thisMonth : monthlyAnchor(now.getUTCFullYear(), now.getUTCMonth() + 1, day);
}

/** The balance a refill makes of `remaining`: `replace` sets the amount; `add` adds it up to `max`. */
export function refilledBalance(remaining: number, refill: CreditRefill): number {
  if (refill.mode === 'replace') return refill.amount;
  const added = remaining + refill.amount;
  // A balance already above the cap (a top-up) is kept, never cut down by a refill.
  return refill.max === null ? added : Math.max(remaining, Math.min(added, refill.max));
}

/**
 * The credits as they stand at `nowMs`: with a refill due since the last write, the balance it gives
 * and the next due time. One refill per period in which the key is used: periods without a call add
 * nothing (the refill is applied on use, not on a schedule).
 */
export function effectiveCredits(credits: KeyCredits, nowMs: number): KeyCredits {
  if (credits.refill === null || credits.next_refill_ms === null || credits.next_refill_ms > nowMs)
    return credits;
  return {
    ...credits,
    remaining: refilledBalance(credits.remaining, credits.refill),
    next_refill_ms: nextRefillAfter(credits.refill, nowMs),
  };
}

/** A key's credits on creation (or when set by PATCH): the first refill is due at the next period. */
export function newCredits(
  input: { remaining: number; refill: CreditRefill | null; low_threshold: number | null },
  nowMs: number,
): KeyCredits {
  return {
    remaining: input.remaining,
    refill: input.refill,
    next_refill_ms: input.refill === null ? null : nextRefillAfter(input.refill, nowMs),
    low_threshold: input.low_threshold,
  };
}

/**
 * What a refused spend's old item says to do, when everything else about the key let the call through:
 * - `switch`: the write assumed the key had credits when it has none, or none when it has some (the
 *   store remembers which keys have credits; a change since is learnt here): write again the other way;
 * - `refill`: the refill is due: apply it (`refillWrite`), then spend again;
 * - `exhausted`: the balance is below the cost: refused, nothing spent.
 * - `other`: the credits did not refuse it (another check did).
 */
export type SpendRetry = 'switch' | 'refill' | 'exhausted' | 'other';

export function spendRetry(
  assumedCredits: boolean,
  credits: KeyCredits | null,
  cost: number,
  nowMs: number,
): SpendRetry {
  if ((credits !== null) !== assumedCredits) return 'switch';
  if (credits === null) return 'other';
  if (credits.next_refill_ms !== null && credits.next_refill_ms <= nowMs) return 'refill';
  return credits.remaining < cost ? 'exhausted' : 'other';
}

/** Whether the credits refuse a call of `cost` at `nowMs` (with a refill due applied first). */
export function creditsExhausted(credits: KeyCredits | null, cost: number, nowMs: number): boolean {
  return credits !== null && effectiveCredits(credits, nowMs).remaining < cost;
}

/**
 * The audit kinds a spend from `before` to `after` crosses: `key.credits_low` when it takes the balance
 * from at or above the key's threshold to below it, `key.credits_exhausted` when it reaches zero (or
 * goes below the next call's cost of one). A crossing is seen by exactly one spend: the writes are
 * serialised by their condition.
 */
export function creditCrossings(
  before: number,
  after: number,
  lowThreshold: number | null,
): ('key.credits_low' | 'key.credits_exhausted')[] {
  const kinds: ('key.credits_low' | 'key.credits_exhausted')[] = [];
  if (lowThreshold !== null && before >= lowThreshold && after < lowThreshold) kinds.push('key.credits_low');
  if (before > 0 && after <= 0) kinds.push('key.credits_exhausted');
  return kinds;
}

/** The period a due instant closes, as an id for idempotent audit items: `none` without a refill. */
export function creditPeriodId(nextRefillMs: number | null): string {
  return nextRefillMs === null ? 'none' : String(nextRefillMs);
}
