/**
 * Vitest global setup: one in-memory DynamoDB Local for the whole run, handed to the test files as
 * `inject('dynamodbEndpoint')`.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/dynamodb/process';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One in-memory DynamoDB Local for the whole run; test files reach it with `inject('dynamodbEndpoint')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal({ dataDir: null });
  project.provide('dynamodbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}
