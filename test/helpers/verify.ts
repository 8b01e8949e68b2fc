/**
 * latchkey/verify against a local mode's DynamoDB table and secrets: the environment a deployed function
 * gets from `grantVerify` (table, signing secret, optionally the admin key), pointed at local mode's
 * endpoints, with clients that carry its credentials. Close the verifier after use.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SETTINGS } from '#core/settings';
import { createDynamoClient } from '#lambda/aws/clients';
import { ADMIN_KEY_SECRET_NAME, SIGNING_SECRET_NAME } from '#local/constants';
import type { LocalMode } from '#local/local-mode';
import { createVerifier, type Verifier, type VerifierOptions } from '#verify/index';

export interface LocalVerifierOptions extends Omit<VerifierOptions, 'env' | 'dynamodb' | 'secretsManager'> {
  /** Accept the admin key (its secret's variable set). Default false. */
  adminKey?: boolean;
  /** More variables (`LATCHKEY_VERIFY_MODE`, …). */
  env?: Record<string, string>;
  /** The DynamoDB client to use (closed with the verifier). Default: one for local mode's endpoint. */
  dynamodbClient?: DynamoDBClient;
}

/** The environment `grantVerify` gives a function, for a local mode. */
export function localVerifyEnv(local: LocalMode, adminKey = false): Record<string, string> {
  return {
    [SETTINGS.tableName.env]: local.tableName,
    [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
    ...(adminKey ? { [SETTINGS.adminKeySecretId.env]: ADMIN_KEY_SECRET_NAME } : {}),
  };
}

export function localVerifier(local: LocalMode, options: LocalVerifierOptions = {}): Verifier {
  const { adminKey, env, dynamodbClient, ...rest } = options;
  const dynamodb = dynamodbClient ?? createDynamoClient(local.dynamodbEndpoint, local.dynamodbIdentity);
  const verifier = createVerifier({
    ...rest,
    env: { ...localVerifyEnv(local, adminKey), ...env },
    dynamodb,
    secretsManager: local.secretsClient,
  });
  return {
    verify: verifier.verify,
    close: () => {
      verifier.close();
      dynamodb.destroy();
    },
  };
}
