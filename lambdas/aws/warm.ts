/**
 * Opens a DynamoDB client's connection before the first request needs it: one GetItem of a key item
 * that cannot exist. It pays, during INIT, what a client's first call pays once — resolving its
 * credentials, endpoint and middleware, signing, and the TCP/TLS handshake — and leaves the socket in
 * the client's keep-alive pool (the SDK's Node handler keeps connections alive by default), where the
 * first verification finds it. The key is `KEY#` with an empty key id, which no key has, inside the one
 * item kind both the authorizer's and the management API's roles may read (`dynamodb:LeadingKeys`
 * `KEY#*`); an eventually consistent read of a missing item costs 0.5 read units, once per cold start.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keyPk, SORT_KEYS, TABLE_SCHEMA } from '#core/table';

/** The primary key of the item the warm-up reads: a key item with an empty key id, which never exists. */
export const WARM_UP_ITEM_KEY = {
  [TABLE_SCHEMA.partitionKey]: { S: keyPk('') },
  [TABLE_SCHEMA.sortKey]: { S: SORT_KEYS.key },
};

/** Sends the warm-up read; rejects as the SDK does (the caller decides what a failure means). */
export async function openDynamoConnection(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new GetItemCommand({ TableName: tableName, Key: WARM_UP_ITEM_KEY }));
}
