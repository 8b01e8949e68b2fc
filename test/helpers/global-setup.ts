/**
 * Vitest global setup: one in-memory DynamoDB Local for the whole run, handed to the test files as
 * `inject('dynamodbEndpoint')`, with the run's random credential (DynamoDB Local keeps one database per
 * access key id) as `inject('dynamodbCredential')`.
 */
import type { TestProject } from 'vitest/node';
import type { LocalDynamoDbCredential } from '#local/dynamodb/credential';
import { startDynamoDbLocal } from '#local/dynamodb/process';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    dynamodbCredential: LocalDynamoDbCredential;
  }
}

/** One in-memory DynamoDB Local for the whole run; test files reach it with `inject('dynamodbEndpoint')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal({ dataDir: null });
  project.provide('dynamodbEndpoint', ddb.endpoint);
  project.provide('dynamodbCredential', ddb.credential);
  return () => ddb.stop();
}
