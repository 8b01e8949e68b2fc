/**
 * The credits parts of the authorizer's writes (`usage.ts`), on the key item's `cr_rem` (balance) and
 * `cr_next` (when the next refill is due), as `#core/credits` describes them:
 * - `spendTerms`: what the one use-write adds — for a key assumed to have credits, the condition that
 *   the balance covers the cost and no refill is due, and the decrement; for one assumed to have none,
 *   the condition that it has none (a key's credits set since are learnt from the refused write);
 * - `refillInput`: the conditional write that applies a due refill, once, whoever gets there first;
 * - `crossingPuts`: the audit items of a spend that crossed the low threshold or reached zero, each
 *   a conditional Put whose id is derived from the key, the period and the kind (a retry writes nothing).
 */
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  creditCrossings,
  creditPeriodId,
  type KeyCredits,
  nextRefillAfter,
  refilledBalance,
} from '#core/credits';
import { sha256Hex } from '#core/crypto';
import type { AuditEvent } from '#core/model';
import { CREDIT_ATTRIBUTES } from '#core/table';
import { auditItem } from './audit';
import { type Item, keyItemKey, n } from './codec';

export interface SpendTerms {
  condition: string;
  /** A SET clause to add (empty for a key without credits). */
  set: string;
  names: Record<string, string>;
  values: Item;
}

/** The credits terms of a use-write: spend `cost` (a key with credits) or check there are none. */
export function spendTerms(withCredits: boolean, cost: number, nowMs: number): SpendTerms {
  const names = { '#crr': CREDIT_ATTRIBUTES.remaining };
  if (!withCredits) return { condition: 'attribute_not_exists(#crr)', set: '', names, values: {} };
  return {
    condition: '#crr >= :cost AND (attribute_not_exists(#crn) OR #crn > :now)',
    set: '#crr = #crr - :cost',
    names: { ...names, '#crn': CREDIT_ATTRIBUTES.nextRefill },
    values: { ':cost': n(cost), ':now': n(nowMs) },
  };
}

/**
 * The write that applies a due refill to the balance `credits` shows: conditional on both the due time
 * and the balance being the ones read, so that exactly one writer applies it, and a top-up that came
 * between is never overwritten (the caller reads the item again and retries).
 */
export function refillInput(
  tableName: string,
  keyId: string,
  credits: KeyCredits,
  nowMs: number,
): UpdateItemCommandInput | null {
  if (credits.refill === null || credits.next_refill_ms === null) return null;
  return {
    TableName: tableName,
    Key: keyItemKey(keyId),
    ConditionExpression: '#crn = :due AND #crr = :rem',
    UpdateExpression: 'SET #crr = :balance, #crn = :next',
    ExpressionAttributeNames: { '#crr': CREDIT_ATTRIBUTES.remaining, '#crn': CREDIT_ATTRIBUTES.nextRefill },
    ExpressionAttributeValues: {
      ':due': n(credits.next_refill_ms),
      ':rem': n(credits.remaining),
      ':balance': n(refilledBalance(credits.remaining, credits.refill)),
      ':next': n(nextRefillAfter(credits.refill, nowMs)),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** What a spend's audit items need to know. */
export interface Crossing {
  keyId: string;
  orgId: string;
  /** The balance before and after the spend. */
  before: number;
  after: number;
  credits: KeyCredits;
  /** The key's `calls` after the spend: which spend crossed (a later crossing in the same period is another). */
  calls: number;
  nowMs: number;
}

/**
 * The audit items of the crossings a spend made (none, usually): `key.credits_low` and
 * `key.credits_exhausted`, by the key (`key:<id>`), unnumbered in its trail (they record calls, not
 * changes). Each id is derived from the key, the period, the kind and the spend, and each Put is
 * conditional on the item being new: written once, whatever retries.
 */
export function crossingEvents(crossing: Crossing): AuditEvent[] {
  const { keyId, orgId, before, after, credits, calls, nowMs } = crossing;
  const period = creditPeriodId(credits.next_refill_ms);
  return creditCrossings(before, after, credits.low_threshold).map((type, i) => ({
    id: sha256Hex(`${keyId}:${period}:${type}:${calls}`).slice(0, 32),
    type,
    org_id: orgId,
    key_id: keyId,
    actor: `key:${keyId}`,
    request_id: '',
    // One spend may cross both: low first, a millisecond apart, so that the trail lists them in order.
    at: new Date(nowMs + i).toISOString(),
    version: null,
    changes: {
      credits_remaining: { old: before, new: after },
      ...(type === 'key.credits_low'
        ? { credits_low_threshold: { old: null, new: credits.low_threshold } }
        : {}),
    },
  }));
}

/** The conditional Put of one crossing event. */
export function crossingPut(tableName: string, event: AuditEvent, retentionSeconds: number) {
  return {
    TableName: tableName,
    Item: auditItem(event, retentionSeconds),
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}
