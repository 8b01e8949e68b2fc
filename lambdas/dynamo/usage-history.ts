/**
 * Usage history on DynamoDB, for the management function (the authorizer only increments the per-day
 * counters `u_<YYYYMMDD>` on the key item, in its one write). A roll-up moves each past day's counter
 * off the key item into the usage-history item `USAGE#<keyId>` / `<YYYY-MM-DD>` in one transaction:
 * ADD the count to the history item and REMOVE the counter from the key item on the condition that it
 * still holds the value read, so a call counted in between makes the transaction fail and the roll-up
 * read again — nothing is lost or counted twice. A usage read rolls the key up first, then merges the
 * history items with the counters left on the key item (today's), so the answer is exact whether or
 * not the daily roll-up (`rollUpAll`, scheduled in the stack) has run. Refusal counters
 * (`o_<code>_<YYYYMMDD>`, `#core/outcomes`) move the same way, in the same transactions, to the history
 * item's attribute named after the outcome (`rate_limited`, …), each exactly once.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { DependencyError } from '#core/errors';
import {
  REFUSAL_OUTCOMES,
  type RefusalOutcome,
  type RefusedCounts,
  refusalOfAttribute,
} from '#core/outcomes';
import { TABLE_SCHEMA, USAGE_ATTRIBUTES, usagePk } from '#core/table';
import { dayOfCounter, type UsageDay, usageHistoryTtl, usageSeries, utcDay, windowStart } from '#core/usage';
import { type Item, keyItemKey, n, num, s, str } from './codec';
import { dependency, transact } from './transact';

export interface DynamoUsageHistoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long released key records are kept: history outlives the record it belongs to. */
  retentionSeconds: number;
}

/**
 * Counters one roll-up transaction moves at most: a transaction holds at most 100 items (the key item
 * plus a history item per day, and each day has one counter or more), and each counter is two names in
 * the key item's condition and REMOVE, well within DynamoDB's 4 KB expressions and 300 operators.
 */
const COUNTERS_PER_TRANSACTION = 40;
/** Reads and retries of one key's roll-up while calls keep changing the counters being moved. */
const MAX_ROLL_UP_ATTEMPTS = 5;

/** One per-day counter on a key item: its attribute, its day, the history attribute it adds to, its count. */
export interface DayCounter {
  attribute: string;
  day: string;
  field: 'calls' | RefusalOutcome;
  count: number;
}

/** Every per-day counter on a key item: calls (`u_<YYYYMMDD>`) and refusals (`o_<code>_<YYYYMMDD>`). */
export function dayCountersOf(item: Item): DayCounter[] {
  const counters: DayCounter[] = [];
  for (const attribute of Object.keys(item)) {
    const count = num(item, attribute);
    if (count === null) continue;
    const day = dayOfCounter(attribute);
    if (day !== null) {
      counters.push({ attribute, day, field: USAGE_ATTRIBUTES.calls, count });
      continue;
    }
    const refusal = refusalOfAttribute(attribute);
    if (refusal !== null) counters.push({ attribute, day: refusal.day, field: refusal.outcome, count });
  }
  return counters;
}

/** Counters as the series reads them: [day, calls] and [day, refusals by outcome]. */
function seriesCounts(counters: readonly DayCounter[]): {
  calls: [string, number][];
  refused: [string, RefusedCounts][];
} {
  const calls: [string, number][] = [];
  const refused: [string, RefusedCounts][] = [];
  for (const { day, field, count } of counters) {
    if (field === USAGE_ATTRIBUTES.calls) calls.push([day, count]);
    else refused.push([day, { [field]: count }]);
  }
  return { calls, refused };
}

export class DynamoUsageHistory {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;

  constructor(options: DynamoUsageHistoryOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = options.retentionSeconds;
  }

  /** The exact N-day series of a key (oldest first, the last entry today, zeros included). */
  async usage(keyId: string, days: number, nowMs: number): Promise<UsageDay[]> {
    const today = utcDay(nowMs);
    const unrolled = await this.rollUpKey(keyId, today);
    const history = await this.history(keyId, windowStart(nowMs, days), today);
    const left = seriesCounts(unrolled);
    return usageSeries(nowMs, days, [...history.calls, ...left.calls], [...history.refused, ...left.refused]);
  }

  /**
   * Moves the key's past-day counters (calls and refusals) into history; returns the counters left on the
   * key item (today's and later) as of a moment when none of the past ones remained, so history + these
   * is exact.
   */
  async rollUpKey(keyId: string, today: string, seen?: Item): Promise<DayCounter[]> {
    let item = seen;
    for (let attempt = 0; attempt < MAX_ROLL_UP_ATTEMPTS; attempt++) {
      item ??= await this.readKeyItem(keyId);
      if (item === undefined) return [];
      const counters = dayCountersOf(item);
      const past = counters.filter((c) => c.day < today);
      const due = past.slice(0, COUNTERS_PER_TRANSACTION);
      if (due.length === 0) return counters;
      const moved = await this.moveCounters(keyId, due);
      if (moved) {
        if (due.length === past.length) return counters.filter((c) => c.day >= today);
        // More than one transaction's worth of counters: carry on from what is now known to be left.
        for (const { attribute } of due) delete item[attribute];
        continue;
      }
      item = undefined;
    }
    throw new DependencyError(`usage roll-up of key ${keyId} kept conflicting with calls; try again`);
  }

  /** Rolls every key's past-day counters up (the daily schedule). Returns how many keys it moved. */
  async rollUpAll(nowMs: number): Promise<{ keys: number }> {
    const today = utcDay(nowMs);
    let keys = 0;
    let startKey: Item | undefined;
    do {
      let out: ScanCommandOutput;
      try {
        out = await this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            IndexName: TABLE_SCHEMA.gsi1.name,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        return dependency(error);
      }
      for (const item of out.Items ?? []) {
        const id = str(item, 'id');
        if (id === null || !dayCountersOf(item).some((c) => c.day < today)) continue;
        // The index is eventually consistent: a stale value only makes the first attempt fail.
        await this.rollUpKey(id, today, { ...item });
        keys++;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return { keys };
  }

  private async readKeyItem(keyId: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: keyItemKey(keyId), ConsistentRead: true }),
      );
      return out.Item;
    } catch (error) {
      return dependency(error);
    }
  }

  /**
   * One transaction: ADD each day's counts to its history item (calls, and refusals to the attribute named
   * after the outcome), REMOVE the counters from the key item if unchanged.
   */
  private async moveCounters(keyId: string, due: readonly DayCounter[]): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const conditions: string[] = [];
    const byDay = new Map<string, DayCounter[]>();
    due.forEach((counter, i) => {
      names[`#u${i}`] = counter.attribute;
      values[`:u${i}`] = n(counter.count);
      conditions.push(`#u${i} = :u${i}`);
      byDay.set(counter.day, [...(byDay.get(counter.day) ?? []), counter]);
    });
    const named: Record<string, TransactWriteItem> = {};
    [...byDay].forEach(([day, counters], d) => {
      const dayNames: Record<string, string> = { '#ttl': TABLE_SCHEMA.ttlAttribute };
      const dayValues: Item = { ':ttl': n(usageHistoryTtl(day, this.retentionSeconds)) };
      const adds = counters.map(({ field, count }, i) => {
        dayNames[`#c${i}`] = field;
        dayValues[`:c${i}`] = n(count);
        return `#c${i} :c${i}`;
      });
      named[`day${d}`] = {
        Update: {
          TableName: this.tableName,
          Key: {
            [TABLE_SCHEMA.partitionKey]: s(usagePk(keyId)),
            [TABLE_SCHEMA.sortKey]: s(day),
          },
          UpdateExpression: `SET #ttl = :ttl ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: dayNames,
          ExpressionAttributeValues: dayValues,
        },
      };
    });
    named.key = {
      Update: {
        TableName: this.tableName,
        Key: keyItemKey(keyId),
        ConditionExpression: conditions.join(' AND '),
        UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
    const outcome = await transact(this.client, named);
    return outcome.written;
  }

  /** History items of the key from `from` to `to` (days, inclusive): calls and refusals by day. */
  private async history(
    keyId: string,
    from: string,
    to: string,
  ): Promise<{ calls: [string, number][]; refused: [string, RefusedCounts][] }> {
    const calls: [string, number][] = [];
    const refused: [string, RefusedCounts][] = [];
    let startKey: Item | undefined;
    do {
      try {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey, '#sk': TABLE_SCHEMA.sortKey },
            ExpressionAttributeValues: { ':pk': s(usagePk(keyId)), ':from': s(from), ':to': s(to) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of out.Items ?? []) {
          const day = str(item, TABLE_SCHEMA.sortKey);
          if (day === null) continue;
          calls.push([day, num(item, USAGE_ATTRIBUTES.calls) ?? 0]);
          const counts: RefusedCounts = {};
          for (const outcome of REFUSAL_OUTCOMES) {
            const count = num(item, outcome);
            if (count !== null) counts[outcome] = count;
          }
          refused.push([day, counts]);
        }
        startKey = out.LastEvaluatedKey;
      } catch (error) {
        return dependency(error);
      }
    } while (startKey);
    return { calls, refused };
  }
}
