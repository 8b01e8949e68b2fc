import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * SDK clients, built once per cold start. Short timeouts so that a stalled dependency fails the
 * request closed quickly instead of hanging until the Lambda times out.
 */
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 3_000 };

export function createDynamoClient(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3, requestHandler });
}

export function createSecretsClient(endpoint?: string): SecretsManagerClient {
  return new SecretsManagerClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3, requestHandler });
}
