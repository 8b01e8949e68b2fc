import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * SDK clients, built once per cold start. Short timeouts so that a stalled dependency fails the
 * request closed quickly instead of hanging until the Lambda times out: with 3 attempts and backoff,
 * a dependency that accepts connections but never answers is refused in about 4 s, inside the
 * authorizer's 5 s timeout. `throwOnRequestTimeout` makes the timeout an error (without it the SDK
 * only logs a warning and keeps waiting).
 */
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true };

/** A fixed region and credential instead of the SDK's default chain: local mode's, for DynamoDB Local. */
export interface FixedIdentity {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** `identity`: local mode's for its DynamoDB Local (whose database is chosen by it); else the default chain. */
export function createDynamoClient(endpoint?: string, identity?: FixedIdentity): DynamoDBClient {
  return new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    ...(identity ? { region: identity.region, credentials: identity.credentials } : {}),
    maxAttempts: 3,
    requestHandler,
  });
}

/** `credentials`: local mode's per-run credential for its endpoint; else the SDK's default chain. */
export function createSecretsClient(
  endpoint?: string,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
    requestHandler,
  });
}
