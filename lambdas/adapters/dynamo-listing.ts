/**
 * The management API's key listing on DynamoDB: an organization's keys newest first from GSI1
 * (`ORG#<org>`), optionally filtered by status (active, disabled, revoked, expired), in pages with
 * tamper-checked cursors.
 */
import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { ValidationError } from '../core/errors';
import type { ListKeysQuery } from '../core/management';
import type { KeyRecord } from '../core/model';
import { keyListingSk, keyPk, orgPk, SORT_KEYS, TABLE_SCHEMA } from '../core/table';
import { type Item, itemToRecord, n, s } from './dynamo-codec';
import { dependency } from './dynamo-transact';

const GSI1 = TABLE_SCHEMA.gsi1.name;

export async function listKeyRecords(
  client: DynamoDBClient,
  tableName: string,
  query: ListKeysQuery,
): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
  const listingPk = orgPk(query.orgId);
  let startKey = query.cursor === null ? undefined : decodeCursor(query.cursor, listingPk);
  // Status precedence as in keyStatus: revoked > expired > disabled > active.
  const unexpired =
    'attribute_not_exists(revoked_at) AND (attribute_not_exists(expires_at_ms) OR expires_at_ms > :now)';
  const filters: Record<NonNullable<ListKeysQuery['status']>, string> = {
    active: `${unexpired} AND attribute_not_exists(disabled_at)`,
    disabled: `${unexpired} AND attribute_exists(disabled_at)`,
    revoked: 'attribute_exists(revoked_at)',
    expired: 'attribute_not_exists(revoked_at) AND expires_at_ms <= :now',
  };
  const records: KeyRecord[] = [];
  let more = true;
  while (records.length <= query.limit && more) {
    const input: QueryCommandInput = {
      TableName: tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :org',
      ExpressionAttributeValues: { ':org': s(listingPk) },
      ScanIndexForward: false,
      Limit: query.limit + 1 - records.length,
      ExclusiveStartKey: startKey,
    };
    if (query.status !== null) {
      input.FilterExpression = filters[query.status];
      if (query.status !== 'revoked')
        input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':now': n(query.nowMs) };
    }
    try {
      const out = await client.send(new QueryCommand(input));
      records.push(...(out.Items ?? []).map(itemToRecord));
      startKey = out.LastEvaluatedKey;
      more = startKey !== undefined;
    } catch (error) {
      return dependency(error);
    }
  }
  const page = records.slice(0, query.limit);
  const last = page[page.length - 1];
  const hasMore = records.length > query.limit || (more && page.length === query.limit);
  return { records: page, nextCursor: hasMore && last ? encodeCursor(last) : null };
}

const CURSOR_FIELDS = [
  TABLE_SCHEMA.partitionKey,
  TABLE_SCHEMA.sortKey,
  TABLE_SCHEMA.gsi1.partitionKey,
  TABLE_SCHEMA.gsi1.sortKey,
] as const;

/** A listing cursor: the last key's primary and GSI1 keys, as base64url JSON. */
function encodeCursor(record: KeyRecord): string {
  const key = {
    [TABLE_SCHEMA.partitionKey]: keyPk(record.id),
    [TABLE_SCHEMA.sortKey]: SORT_KEYS.key,
    [TABLE_SCHEMA.gsi1.partitionKey]: orgPk(record.org_id),
    [TABLE_SCHEMA.gsi1.sortKey]: keyListingSk(record.created_at, record.id),
  };
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, listingPk: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  const k = key as Record<string, unknown> | null;
  if (
    !k ||
    typeof k !== 'object' ||
    !CURSOR_FIELDS.every((f) => typeof k[f] === 'string') ||
    k[TABLE_SCHEMA.gsi1.partitionKey] !== listingPk
  ) {
    throw new ValidationError('cursor', 'cursor: is not a cursor returned by this listing');
  }
  return Object.fromEntries(CURSOR_FIELDS.map((f) => [f, s(k[f] as string)]));
}
