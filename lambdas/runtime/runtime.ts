/**
 * What every handler needs, built once per cold start from validated configuration: the AWS clients,
 * the secret caches and the clock. Each handler builds its own store on `dynamo` (the authorizer its
 * usage store, the management API its key repository), so a bundle carries only the store it uses.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDynamoClient, createSecretsClient } from '../aws/clients';
import { SecretCache } from '../aws/secrets';
import { type Config, loadConfig } from './config';

/** Everything a handler needs, built once per cold start from validated configuration. */
export interface Runtime {
  config: Config;
  dynamo: DynamoDBClient;
  /** null in functions that must not read the admin key (only the authorizer does). */
  adminKey: SecretCache | null;
  signingSecret: SecretCache;
  now: () => number;
}

export interface RuntimeOverrides {
  dynamo?: DynamoDBClient;
  secrets?: SecretsManagerClient;
  now?: () => number;
}

export function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Runtime {
  const dynamo = overrides.dynamo ?? createDynamoClient(config.dynamodbEndpoint);
  const secrets = overrides.secrets ?? createSecretsClient(config.secretsEndpoint);
  const now = overrides.now ?? Date.now;
  return {
    config,
    dynamo,
    now,
    adminKey: config.adminKeySecretId
      ? new SecretCache({
          client: secrets,
          secretId: config.adminKeySecretId,
          ttlMs: config.secretCacheMs,
          now,
        })
      : null,
    signingSecret: new SecretCache({
      client: secrets,
      secretId: config.signingSecretId,
      ttlMs: config.secretCacheMs,
      now,
    }),
  };
}

let shared: Runtime | undefined;

/** The process-wide runtime, from the environment, created on first use (the cold start). */
export function defaultRuntime(): Runtime {
  shared ??= createRuntime(loadConfig());
  return shared;
}
