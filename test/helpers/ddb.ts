import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createTable, LOCAL_CREDENTIALS } from '../../lib/local/dynamodb-local';

/** A client for DynamoDB Local: region us-east-1, dummy credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}

/** A new, uniquely named key table in the run's shared DynamoDB Local. */
export async function freshTable(): Promise<{ client: DynamoDBClient; tableName: string; endpoint: string }> {
  const endpoint = inject('dynamodbEndpoint');
  const client = localDynamoClient(endpoint);
  const tableName = `latchkey-test-${randomBytes(6).toString('hex')}`;
  await createTable(client, tableName);
  return { client, tableName, endpoint };
}
