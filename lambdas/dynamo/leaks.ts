/**
 * The reads of a GitHub leak report: the key items a batch of reported tokens names, in BatchGetItem
 * requests of up to 100 keys (DynamoDB's limit), strongly consistent, with unprocessed keys asked for
 * again. Any failure is a dependency failure (the report is refused, and GitHub sends it again).
 */
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { KeyRecord } from '#core/model';
import { type Item, itemToRecord, keyItemKey } from './codec';
import { dependency } from './transact';

/** DynamoDB: "A single operation can retrieve up to 16 MB of data, which can contain as many as 100 items." */
const BATCH_GET_LIMIT = 100;
/** Rounds of unprocessed keys asked for again before the read counts as failed. */
const UNPROCESSED_ROUNDS = 5;

export async function batchGetKeys(
  client: DynamoDBClient,
  tableName: string,
  ids: readonly string[],
): Promise<Map<string, KeyRecord>> {
  const records = new Map<string, KeyRecord>();
  const chunks: Item[][] = [];
  for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT)
    chunks.push(ids.slice(i, i + BATCH_GET_LIMIT).map(keyItemKey));
  await Promise.all(
    chunks.map(async (chunk) => {
      let keys: Item[] = chunk;
      for (let round = 0; keys.length > 0; round++) {
        if (round === UNPROCESSED_ROUNDS) dependency(new Error('BatchGetItem left keys unprocessed'));
        let out: BatchGetItemCommandOutput;
        try {
          out = await client.send(
            new BatchGetItemCommand({
              RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
        } catch (error) {
          return dependency(error);
        }
        for (const item of out.Responses?.[tableName] ?? []) {
          const record = itemToRecord(item);
          records.set(record.id, record);
        }
        keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }),
  );
  return records;
}
