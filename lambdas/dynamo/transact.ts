/**
 * DynamoDB failure handling shared by the stores: transactions whose items have names, retried with
 * full-jitter backoff while they conflict with a concurrent one, and whose condition failures come back
 * as a value naming which item failed (with the old item where it was asked for); every other failure
 * becomes a `DependencyError`, so the caller fails closed.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ApiError, DependencyError, ThrottledError } from '#core/errors';
import { failureName } from '../aws/access-denied';
import type { Item } from './codec';

const MAX_TRANSACTION_ATTEMPTS = 12;

export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/** The errors DynamoDB answers when an item, a partition or the table is over its throughput. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING.has(error.name)) return true;
  const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
  return reasons.some((r) => r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded');
}

/** Rethrows latchkey's own errors; wraps anything else in a `DependencyError` (`ThrottledError` for throughput). */
export function dependency(error: unknown): never {
  if (error instanceof ApiError || error instanceof DependencyError) throw error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (isThrottling(error)) throw new ThrottledError(`DynamoDB request throttled: ${name}`, { cause: error });
  throw new DependencyError(`DynamoDB request failed: ${failureName(error)}`, { cause: error });
}

/**
 * Outcome of a transaction over named items: written, or cancelled, with, per item name, whether that
 * item's condition failed and the old item where the request asked for it.
 */
export type TransactOutcome<Name extends string> =
  | { written: true }
  | { written: false; conditionFailed: Record<Name, boolean>; oldItems: Partial<Record<Name, Item>> };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter backoff for transaction conflicts on a hot organization item. */
function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(400, 10 * 2 ** attempt));
}

/**
 * Runs a transaction of the named items (in the order given), retrying with backoff while it
 * conflicts with a concurrent one on the same items (a hot organization or key item).
 */
export async function transact<Name extends string>(
  client: DynamoDBClient,
  named: Record<Name, TransactWriteItem>,
): Promise<TransactOutcome<Name>> {
  const names = Object.keys(named) as Name[];
  const items = names.map((name) => named[name]);
  for (let attempt = 0; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return { written: true };
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const conflict =
        reasons.some((r) => r.Code === 'TransactionConflict') ||
        (error instanceof Error && error.name === 'TransactionConflictException');
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) {
        const conditionFailed = {} as Record<Name, boolean>;
        const oldItems: Partial<Record<Name, Item>> = {};
        names.forEach((name, i) => {
          conditionFailed[name] = reasons[i]?.Code === 'ConditionalCheckFailed';
          const old = reasons[i]?.Item;
          if (old !== undefined) oldItems[name] = old;
        });
        return { written: false, conditionFailed, oldItems };
      }
      if (conflict && attempt < MAX_TRANSACTION_ATTEMPTS) {
        await backoff(attempt);
        continue;
      }
      return dependency(error);
    }
  }
}
