/**
 * DynamoDB Local for tests: a client with local mode's region and a database's credential, and a
 * fresh, uniquely named key table in the run's shared DynamoDB Local (in the run's database).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { LOCAL_REGION } from '#local/constants';
import type { LocalDynamoDbCredential } from '#local/dynamodb/credential';
import { createTable } from '#local/dynamodb/table';

/** A client for DynamoDB Local: local mode's region; `credential` chooses the database (default the run's). */
export function localDynamoClient(
  endpoint: string,
  credential: LocalDynamoDbCredential = inject('dynamodbCredential'),
): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: credential });
}

/** A new, uniquely named key table in the run's shared DynamoDB Local. */
export async function freshTable(): Promise<{ client: DynamoDBClient; tableName: string; endpoint: string }> {
  const endpoint = inject('dynamodbEndpoint');
  const client = localDynamoClient(endpoint);
  const tableName = `latchkey-test-${randomBytes(6).toString('hex')}`;
  await createTable(client, tableName);
  return { client, tableName, endpoint };
}
