/**
 * The management API's key listing on DynamoDB: an organization's keys newest first from GSI1
 * (`ORG#<org>`), optionally filtered by status (`KEY_STATUSES`) and by a text the name contains
 * (`contains(name, :text)`, case-sensitive: DynamoDB compares exact characters), in pages with
 * tamper-checked cursors; a filtered page reads at most LIST_READ_BUDGET items.
 */
import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { ListKeysQuery } from '#core/management';
import type { KeyRecord } from '#core/model';
import { keyListingSk, keyPk, orgPk, SORT_KEYS, TABLE_SCHEMA } from '#core/table';
import { KEY_ID_RE } from '#core/token';
import { type Item, itemToRecord, n, s } from './codec';
import { cursorCodec } from './cursor';
import { dependency } from './transact';

const GSI1 = TABLE_SCHEMA.gsi1.name;

/**
 * The most items one listing request reads. With a `status` or `name` filter, a page stops there and
 * returns the cursor reached, possibly with fewer than `limit` keys, so its cost never grows with the
 * organization's history of revoked and expired keys.
 */
export const LIST_READ_BUDGET = 200;

export async function listKeyRecords(
  client: DynamoDBClient,
  tableName: string,
  query: ListKeysQuery,
): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
  const listingPk = orgPk(query.orgId);
  let startKey = query.cursor === null ? undefined : decodeCursor(query.cursor, listingPk);
  // Status precedence as in apiKeyStatus: revoked > rotated > expired > disabled > rotating > active.
  const unexpired =
    'attribute_not_exists(revoked_at) AND (attribute_not_exists(expires_at_ms) OR expires_at_ms > :now)';
  const ended = 'attribute_not_exists(revoked_at) AND expires_at_ms <= :now';
  const enabled = `${unexpired} AND attribute_not_exists(disabled_at)`;
  const filters: Record<NonNullable<ListKeysQuery['status']>, string> = {
    active: `${enabled} AND attribute_not_exists(rotated_to)`,
    rotating: `${enabled} AND attribute_exists(rotated_to)`,
    disabled: `${unexpired} AND attribute_exists(disabled_at)`,
    revoked: 'attribute_exists(revoked_at)',
    rotated: `${ended} AND attribute_exists(rotated_to)`,
    expired: `${ended} AND attribute_not_exists(rotated_to)`,
  };
  // DynamoDB applies a FilterExpression after it reads the items, so the filter narrows the page, not
  // the read: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html
  const clauses: string[] = [];
  const values: Item = { ':org': s(listingPk) };
  let names: Record<string, string> | undefined;
  if (query.status !== null) {
    clauses.push(filters[query.status]);
    if (query.status !== 'revoked') values[':now'] = n(query.nowMs);
  }
  if (query.name !== null) {
    clauses.push('contains(#name, :name)');
    values[':name'] = s(query.name);
    names = { '#name': 'name' };
  }
  const filtered = clauses.length > 0;
  const records: KeyRecord[] = [];
  let more = true;
  let read = 0;
  while (records.length <= query.limit && more && read < LIST_READ_BUDGET) {
    const input: QueryCommandInput = {
      TableName: tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :org',
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      // A filter drops items after they are read: read the rest of the budget in one go.
      Limit: filtered ? LIST_READ_BUDGET - read : query.limit + 1 - records.length,
      ExclusiveStartKey: startKey,
    };
    if (filtered) {
      input.FilterExpression = clauses.map((c) => `(${c})`).join(' AND ');
      input.ExpressionAttributeNames = names;
    }
    try {
      const out = await client.send(new QueryCommand(input));
      records.push(...(out.Items ?? []).map(itemToRecord));
      read += out.ScannedCount ?? out.Items?.length ?? 0;
      startKey = out.LastEvaluatedKey;
      more = startKey !== undefined;
    } catch (error) {
      return dependency(error);
    }
  }
  const page = records.slice(0, query.limit);
  const last = page[page.length - 1];
  if (records.length > query.limit && last) return { records: page, nextCursor: encodeCursor(last) };
  // Everything read fits the page: continue after the last item read, matching or not (the budget
  // may have run out with fewer than `limit` keys).
  return { records: page, nextCursor: more && startKey ? cursorOfStartKey(startKey) : null };
}

/** A listing position: the last key's creation time and id, from which its primary and GSI1 keys follow. */
const LISTING_CURSOR = cursorCodec({
  created_at: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
  id: KEY_ID_RE,
});

function encodeCursor(record: KeyRecord): string {
  return LISTING_CURSOR.encode({ created_at: record.created_at, id: record.id });
}

/** The cursor for a LastEvaluatedKey of the GSI1 listing (its sort key is `<created_at>#<id>`). */
function cursorOfStartKey(key: Item): string {
  const listingSk = key[TABLE_SCHEMA.gsi1.sortKey]?.S ?? '';
  const hash = listingSk.lastIndexOf('#');
  return LISTING_CURSOR.encode({ created_at: listingSk.slice(0, hash), id: listingSk.slice(hash + 1) });
}

/** The ExclusiveStartKey a cursor stands for, in this organization's listing. */
function decodeCursor(cursor: string, listingPk: string): Item {
  const { created_at, id } = LISTING_CURSOR.decode(cursor);
  return {
    [TABLE_SCHEMA.partitionKey]: s(keyPk(id)),
    [TABLE_SCHEMA.sortKey]: s(SORT_KEYS.key),
    [TABLE_SCHEMA.gsi1.partitionKey]: s(listingPk),
    [TABLE_SCHEMA.gsi1.sortKey]: s(keyListingSk(created_at, id)),
  };
}

/** An organization's keys that have expired but still hold a slot (released = false), page by page. */
export async function* expiredUnreleased(
  client: DynamoDBClient,
  tableName: string,
  orgId: string,
  nowMs: number,
): AsyncGenerator<KeyRecord> {
  let startKey: Item | undefined;
  do {
    let out: QueryCommandOutput;
    try {
      out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :org',
          FilterExpression: 'released = :false AND expires_at_ms <= :now',
          ExpressionAttributeValues: { ':org': s(orgPk(orgId)), ':false': { BOOL: false }, ':now': n(nowMs) },
          ExclusiveStartKey: startKey,
        }),
      );
    } catch (error) {
      return dependency(error);
    }
    for (const item of out.Items ?? []) yield itemToRecord(item);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}
