/**
 * The authorizer's one storage port: what verification (`verify.ts`) needs from storage to check a key
 * and count its use. `DynamoUsageStore` (`lambdas/dynamo/usage.ts`) implements it against the key
 * table; `HotKeys` (`hot-keys.ts`) implements it too, in front of the DynamoDB store, for bounded mode.
 * The handler hands verification one of the two. Also the rate-limit window: its length and the
 * window a time falls in. Pure: types only, and that arithmetic.
 */
import type { KeyRecord } from './model';
import type { RecordRefusalInput } from './outcomes';

export type { RecordRefusalInput };

/** Rate limits are counted in fixed windows of one minute. */
export const RATE_WINDOW_MS = 60_000;

/** The rate-limit window (minutes since the epoch) that `nowMs` falls in. */
export function rateWindowOf(nowMs: number): number {
  return Math.floor(nowMs / RATE_WINDOW_MS);
}

/** When a rate-limit window starts, in epoch milliseconds. */
export const windowStartMs = (window: number): number => window * RATE_WINDOW_MS;

export interface RecordUseInput {
  keyId: string;
  /** SHA-256 of the presented token; the write happens only if it matches the stored hash. */
  tokenHash: string;
  nowMs: number;
  window: number;
  /**
   * The request's source address: a key with `allowed_cidrs` is used (and counted) only from inside
   * them; undefined is outside every list (a key with none is unaffected).
   */
  sourceIp?: string | undefined;
  /**
   * The credits the call spends from a key that has credits (`#core/credits`): its route's cost;
   * default 1. A key without credits spends none.
   */
  cost?: number;
}

/**
 * One conditional write: counts the call and the rate-limit window if the key is usable.
 * `updated: false` carries the record as it was (null when no key has that id), so the caller can
 * tell why without another read.
 */
export interface RecordUseResult {
  updated: boolean;
  record: KeyRecord | null;
  /**
   * The item's rate-limit counters (window → calls) as the record shows them. The DynamoDB store always
   * gives them (the hot-key layer keeps them with its copy); the layer itself does not pass them on.
   */
  windows?: Record<number, number>;
}

/**
 * The replay records of one verified signature: its nonce, and for ARMOR-PSK the hash of the signature.
 * An RFC 9421 signature has no signature record: its base covers the nonce unambiguously, so one nonce
 * record is enough (docs/protocol.md §2.7).
 */
export interface RecordReplayInput {
  keyId: string;
  nonce: string;
  /**
   * SHA-256 of the presented signature (ARMOR-PSK): a signature is accepted once, whatever nonce it
   * claims. Undefined: the nonce record alone.
   */
  signatureHash?: string;
  /** Unix seconds after which the replay records may be deleted. */
  replayTtl: number;
}

export interface RecordSignedUseInput extends RecordReplayInput {
  nowMs: number;
  window: number;
  /** As for `RecordUseInput.sourceIp`. */
  sourceIp?: string | undefined;
  /** As for `RecordUseInput.cost`. */
  cost?: number;
}

/** One atomic write: the nonce, the signature, and the key's usage and rate-limit window. */
export type RecordSignedUseResult =
  | { outcome: 'recorded' }
  | { outcome: 'replayed' }
  /** `consumed`: the nonce and the signature are already recorded (the hot-key path). */
  | { outcome: 'refused'; record: KeyRecord | null; consumed?: boolean };

/** A key item as the store returns it: the record and its per-minute counters by window. */
export interface KeySnapshot {
  record: KeyRecord;
  /** Rate-limit window (minutes since the epoch) → calls counted in it. */
  windows: Readonly<Record<number, number>>;
}

/** What verification needs from storage. Every method may throw: the caller fails closed. */
export interface UsageStore {
  /** The bearer path: one conditional write that checks the key and counts the call. */
  recordUse(input: RecordUseInput): Promise<RecordUseResult>;
  /** The signed path's read: the key item, read consistently, or null when there is none. */
  readKey(keyId: string): Promise<KeySnapshot | null>;
  /** The signed path's write: the nonce, the signature and the call, all or nothing. */
  recordSignedUse(input: RecordSignedUseInput): Promise<RecordSignedUseResult>;
  /**
   * Records the nonce and the signature alone (each once per key), for a verified signature whose
   * request is refused all the same (rate limit, revoked, expired): a copy must never succeed later.
   */
  recordReplay(input: RecordReplayInput): Promise<'recorded' | 'replayed'>;
  /**
   * Counts one refusal on the key's counter for the outcome and the day (`outcomes.ts`); nothing when no
   * key has that id. Called only through `countRefusal`, which bounds the wait and never lets it change
   * the refusal. A store without it (a test's stand-in) counts no refusals.
   */
  recordRefusal?(input: RecordRefusalInput): Promise<void>;
}
