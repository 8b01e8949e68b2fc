/**
 * DynamoDB Local for tests: a client with local mode's dummy region and credentials, and a fresh,
 * uniquely named key table in the run's shared DynamoDB Local.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { DYNAMODB_LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/constants';
import { createTable } from '#local/dynamodb/table';

/** A client for DynamoDB Local: local mode's dummy region and credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
}

/** A new, uniquely named key table in the run's shared DynamoDB Local. */
export async function freshTable(): Promise<{ client: DynamoDBClient; tableName: string; endpoint: string }> {
  const endpoint = inject('dynamodbEndpoint');
  const client = localDynamoClient(endpoint);
  const tableName = `latchkey-test-${randomBytes(6).toString('hex')}`;
  await createTable(client, tableName);
  return { client, tableName, endpoint };
}
