/**
 * Usage history on DynamoDB, for the management function (the authorizer only increments the per-day
 * counters `u_<YYYYMMDD>` on the key item, in its one write). A roll-up moves each past day's counter
 * off the key item into the usage-history item `USAGE#<keyId>` / `<YYYY-MM-DD>` in one transaction:
 * ADD the count to the history item and REMOVE the counter from the key item on the condition that it
 * still holds the value read, so a call counted in between makes the transaction fail and the roll-up
 * read again — nothing is lost or counted twice. A usage read rolls the key up first, then merges the
 * history items with the counters left on the key item (today's), so the answer is exact whether or
 * not the daily roll-up (`rollUpAll`, scheduled in the stack) has run.
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
import { TABLE_SCHEMA, USAGE_ATTRIBUTES, usageDayAttribute, usagePk } from '#core/table';
import {
  countersToRollUp,
  dayOfCounter,
  type UsageDay,
  usageHistoryTtl,
  usageSeries,
  utcDay,
  windowStart,
} from '#core/usage';
import { type Item, keyItemKey, n, num, s, str } from './codec';
import { dependency, transact } from './transact';

export interface DynamoUsageHistoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long released key records are kept: history outlives the record it belongs to. */
  retentionSeconds: number;
}

/** A transaction holds at most 100 items: the key item plus up to this many history items. */
const DAYS_PER_TRANSACTION = 25;
/** Reads and retries of one key's roll-up while calls keep changing the counters being moved. */
const MAX_ROLL_UP_ATTEMPTS = 5;

/** The per-day counters on a key item: day (`YYYY-MM-DD`) → calls. */
export function countersOf(item: Item): Map<string, number> {
  const counters = new Map<string, number>();
  for (const name of Object.keys(item)) {
    const day = dayOfCounter(name);
    const calls = day === null ? null : num(item, name);
    if (day !== null && calls !== null) counters.set(day, calls);
  }
  return counters;
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
    return usageSeries(nowMs, days, [...history, ...unrolled]);
  }

  /**
   * Moves the key's past-day counters into history; returns the counters left on the key item (today's
   * and later) as of a moment when none of the past ones remained, so history + these is exact.
   */
  async rollUpKey(keyId: string, today: string, seen?: Item): Promise<Map<string, number>> {
    let item = seen;
    for (let attempt = 0; attempt < MAX_ROLL_UP_ATTEMPTS; attempt++) {
      item ??= await this.readKeyItem(keyId);
      if (item === undefined) return new Map();
      const counters = countersOf(item);
      const due = [...countersToRollUp(counters, today)].slice(0, DAYS_PER_TRANSACTION);
      if (due.length === 0) return counters;
      const moved = await this.moveCounters(keyId, due);
      if (moved) {
        for (const [day] of due) counters.delete(day);
        if (countersToRollUp(counters, today).size === 0) return counters;
        // More than one transaction's worth of days: carry on from what is now known to be left.
        for (const [day] of due) delete item[usageDayAttribute(day)];
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
        if (id === null || countersToRollUp(countersOf(item), today).size === 0) continue;
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

  /** One transaction: ADD each day's count to its history item, REMOVE the counters if unchanged. */
  private async moveCounters(keyId: string, due: [string, number][]): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const conditions: string[] = [];
    const named: Record<string, TransactWriteItem> = {};
    due.forEach(([day, calls], i) => {
      names[`#u${i}`] = usageDayAttribute(day);
      values[`:u${i}`] = n(calls);
      conditions.push(`#u${i} = :u${i}`);
      named[`day${i}`] = {
        Update: {
          TableName: this.tableName,
          Key: {
            [TABLE_SCHEMA.partitionKey]: s(usagePk(keyId)),
            [TABLE_SCHEMA.sortKey]: s(day),
          },
          UpdateExpression: 'SET #ttl = :ttl ADD #calls :calls',
          ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute, '#calls': USAGE_ATTRIBUTES.calls },
          ExpressionAttributeValues: {
            ':ttl': n(usageHistoryTtl(day, this.retentionSeconds)),
            ':calls': n(calls),
          },
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

  /** History items of the key from `from` to `to` (days, inclusive), as [day, calls]. */
  private async history(keyId: string, from: string, to: string): Promise<[string, number][]> {
    const days: [string, number][] = [];
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
          if (day !== null) days.push([day, num(item, USAGE_ATTRIBUTES.calls) ?? 0]);
        }
        startKey = out.LastEvaluatedKey;
      } catch (error) {
        return dependency(error);
      }
    } while (startKey);
    return days;
  }
}
