/**
 * Usage by outcome: a key's refused requests per UTC day, by why they were refused, next to the calls it
 * was allowed (`usage.ts`). A refusal is counted only for a request whose credential matched the key (a
 * bearer token whose hash is the stored one, a signature that verified), never for junk, so nobody
 * without the key can inflate its counts or the table's writes. The outcomes, their short codes in the
 * key item's counter attributes (`o_<code>_<YYYYMMDD>`, kept short because the key item must stay under
 * 1 KB), which verdict of `verify.ts` is which outcome, and the one way every caller counts a refusal:
 * `countRefusal`, which waits for the write at most `REFUSAL_COUNT_WAIT_MS` and never changes the
 * refusal, whatever the write does. Pure but for that timer: the store is injected.
 */
import { REFUSAL_DAY_PREFIX } from './table';

/**
 * Why a request whose credential matched a key was refused. `expired` and `revoked` are two outcomes,
 * not one: an operator acts differently on each (a customer using an expired key needs a new one; one
 * using a revoked key may be a leak). `network` is a source address outside the key's `allowed_cidrs`.
 */
export const REFUSAL_OUTCOMES = [
  'rate_limited',
  'credits_exhausted',
  'forbidden',
  'disabled',
  'expired',
  'revoked',
  'network',
] as const;

export type RefusalOutcome = (typeof REFUSAL_OUTCOMES)[number];

/** One refused request of a key whose credential matched it: what `UsageStore.recordRefusal` counts. */
export interface RecordRefusalInput {
  keyId: string;
  outcome: RefusalOutcome;
  /** When it was refused: the UTC day it is counted on. */
  nowMs: number;
}

/** Refused requests by outcome, every outcome present (0 when none). */
export type RefusalCounts = Record<RefusalOutcome, number>;

/** Refused requests by outcome, only the outcomes that occurred. */
export type RefusedCounts = Partial<Record<RefusalOutcome, number>>;

/** Each outcome's one-letter code in the key item's counter attributes. */
const OUTCOME_CODES: Readonly<Record<RefusalOutcome, string>> = {
  rate_limited: 'r',
  credits_exhausted: 'c',
  forbidden: 'f',
  disabled: 'd',
  expired: 'e',
  revoked: 'v',
  network: 'n',
};

const OUTCOME_BY_CODE = new Map(Object.entries(OUTCOME_CODES).map(([o, c]) => [c, o as RefusalOutcome]));

export function isRefusalOutcome(value: string): value is RefusalOutcome {
  return (REFUSAL_OUTCOMES as readonly string[]).includes(value);
}

/** Every outcome at 0. */
export function noRefusals(): RefusalCounts {
  return Object.fromEntries(REFUSAL_OUTCOMES.map((o) => [o, 0])) as RefusalCounts;
}

/** `a + b`, only the outcomes whose sum is not 0. */
export function addRefused(a: RefusedCounts | undefined, b: RefusedCounts | undefined): RefusedCounts {
  const sum: RefusedCounts = { ...a };
  for (const [outcome, count] of Object.entries(b ?? {}) as [RefusalOutcome, number][]) {
    const total = (sum[outcome] ?? 0) + count;
    if (total === 0) delete sum[outcome];
    else sum[outcome] = total;
  }
  return sum;
}

/** The key item's counter of `outcome` on a UTC day given as `YYYY-MM-DD`: `o_<code>_YYYYMMDD`. */
export const refusalDayAttribute = (outcome: RefusalOutcome, day: string): string =>
  `${REFUSAL_DAY_PREFIX}${OUTCOME_CODES[outcome]}_${day.replaceAll('-', '')}`;

/** The outcome and day a key-item attribute counts (`o_<code>_YYYYMMDD`), or null for any other. */
export function refusalOfAttribute(name: string): { outcome: RefusalOutcome; day: string } | null {
  if (!name.startsWith(REFUSAL_DAY_PREFIX)) return null;
  const match = /^([a-z])_(\d{4})(\d{2})(\d{2})$/.exec(name.slice(REFUSAL_DAY_PREFIX.length));
  const outcome = match?.[1] === undefined ? undefined : OUTCOME_BY_CODE.get(match[1]);
  if (match === null || outcome === undefined) return null;
  return { outcome, day: `${match[2]}-${match[3]}-${match[4]}` };
}

/**
 * A forbidden request was counted as a call by the verifying write (the route is checked after it, by
 * API Gateway's policy or the HTTP API authorizer): its refusal moves it from the day's calls (and
 * `calls`) to `forbidden`. It stays on the minute's rate-limit counter. Every other refusal wrote nothing.
 */
export const takesBackCall = (outcome: RefusalOutcome): boolean => outcome === 'forbidden';

/** What `verify.ts`'s verdicts carry that says which outcome a refusal is. */
export interface RefusalVerdict {
  ok: false;
  kind: string;
  reason?: string;
  keyId: string | null;
}

/**
 * The outcome of a refused verification, or null for one that is not counted. Every verdict this maps
 * comes only after the credential matched the key (`verify.ts`: the hash compared before the status,
 * the signature verified before it): `unknown_key`, `wrong_secret`, `bad_signature`, `replayed` and the
 * rest are junk or replays and count nothing.
 */
export function refusalOutcomeOf(verdict: RefusalVerdict): RefusalOutcome | null {
  if (verdict.keyId === null) return null;
  if (verdict.kind === 'rate_limited') return 'rate_limited';
  if (verdict.kind === 'credits_exhausted') return 'credits_exhausted';
  if (verdict.kind === 'ip_not_allowed') return 'network';
  if (verdict.kind !== 'unauthorized') return null;
  const reason = verdict.reason;
  return reason === 'revoked' || reason === 'expired' || reason === 'disabled' ? reason : null;
}

/**
 * How long a refusal waits for its count to be written before it is answered anyway. Lambda freezes an
 * execution environment once the handler returns, so a write left running may finish only in the next
 * invocation, or never; waiting for it costs one UpdateItem's latency (p99 a few milliseconds) and only
 * refused requests pay it. Past this the refusal goes out and the write carries on in the background.
 */
export const REFUSAL_COUNT_WAIT_MS = 100;

/** `counted`: written; `late`: still running after the wait; `failed`: the write failed (not counted). */
export type RefusalCountResult = 'counted' | 'late' | 'failed';

/**
 * Counts one refusal (`UsageStore.recordRefusal`), waiting for the write at most
 * `REFUSAL_COUNT_WAIT_MS`. Never throws: the refusal stands whatever the write does (fail closed), and
 * the caller may log a `failed` or `late` count.
 */
export async function countRefusal(
  usage: { recordRefusal?: (input: RecordRefusalInput) => Promise<void> },
  input: RecordRefusalInput,
  waitMs: number = REFUSAL_COUNT_WAIT_MS,
): Promise<RefusalCountResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = (async () => usage.recordRefusal?.(input))().then(
    (): RefusalCountResult => 'counted',
    (): RefusalCountResult => 'failed',
  );
  const late = new Promise<RefusalCountResult>((resolve) => {
    timer = setTimeout(resolve, waitMs, 'late');
  });
  try {
    return await Promise.race([write, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `recordRefusalOf` needs: the store, and who to tell of a count not written (to log it). */
export interface RefusalCounter {
  usage: { recordRefusal?: (input: RecordRefusalInput) => Promise<void> };
  onRefusalCount?: (result: Exclude<RefusalCountResult, 'counted'>, keyId: string, outcome: string) => void;
}

/** `countRefusal`, then `onRefusalCount` when the count was late or failed. Never throws. */
export async function recordRefusalOf(deps: RefusalCounter, input: RecordRefusalInput): Promise<void> {
  const counted = await countRefusal(deps.usage, input);
  if (counted !== 'counted') deps.onRefusalCount?.(counted, input.keyId, input.outcome);
}
