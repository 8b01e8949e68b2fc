/**
 * The expiry scan's reads and writes: the keys that expire within the window and have not been
 * announced for that expiry, read with a paged Scan of the key listing index (`gsi1`, which projects
 * every attribute; key items are the ones whose `gsi1pk` is `ORG#<org>`), and the mark that a key's
 * expiry has been announced (`expiring_notified`, the expiry it was announced for, written only while
 * the key still has that expiry). A key whose expiry changes is announced again for the new one.
 */
import {
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ExpiringKey } from '#core/events';
import { ITEM_PREFIXES, TABLE_SCHEMA } from '#core/table';
import { keyItemKey, n, num, s, str } from './codec';
import { dependency, isConditionFailure } from './transact';

/** The key-item attribute that records which expiry has been announced. */
export const EXPIRING_NOTIFIED_ATTRIBUTE = 'expiring_notified';

/** Live keys (not revoked) expiring in (now, now + within], not yet announced for that expiry. */
export async function scanExpiringKeys(
  client: DynamoDBClient,
  tableName: string,
  nowMs: number,
  withinMs: number,
): Promise<ExpiringKey[]> {
  const keys: ExpiringKey[] = [];
  let startKey: ScanCommandInput['ExclusiveStartKey'];
  do {
    const out = await client
      .send(
        new ScanCommand({
          TableName: tableName,
          IndexName: TABLE_SCHEMA.gsi1.name,
          FilterExpression:
            'begins_with(#g, :org) AND #e > :now AND #e <= :until AND attribute_not_exists(revoked_at) ' +
            'AND (attribute_not_exists(#mark) OR #mark <> #e)',
          ExpressionAttributeNames: {
            '#g': TABLE_SCHEMA.gsi1.partitionKey,
            '#e': 'expires_at_ms',
            '#mark': EXPIRING_NOTIFIED_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':org': s(ITEM_PREFIXES.org),
            ':now': n(nowMs),
            ':until': n(nowMs + withinMs),
          },
          ProjectionExpression: 'id, org_id, expires_at_ms',
          ExclusiveStartKey: startKey,
        }),
      )
      .catch(dependency);
    for (const item of out.Items ?? []) {
      const id = str(item, 'id');
      const orgId = str(item, 'org_id');
      const expires = num(item, 'expires_at_ms');
      if (id !== null && orgId !== null && expires !== null)
        keys.push({ id, org_id: orgId, expires_at_ms: expires });
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return keys;
}

/** Records that `key`'s expiry was announced; false when the key's expiry changed meanwhile. */
export async function markExpiringNotified(
  client: DynamoDBClient,
  tableName: string,
  key: ExpiringKey,
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: keyItemKey(key.id),
        UpdateExpression: 'SET #mark = :e',
        ConditionExpression: '#e = :e',
        ExpressionAttributeNames: { '#mark': EXPIRING_NOTIFIED_ATTRIBUTE, '#e': 'expires_at_ms' },
        ExpressionAttributeValues: { ':e': n(key.expires_at_ms) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    return dependency(error);
  }
}
