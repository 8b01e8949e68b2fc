/**
 * The SDK floor plus the one thing latchkey must do that the floor does not: read its two secrets
 * from Secrets Manager (a second SDK client) at load, concurrently, as the authorizer's INIT does.
 * Between `sdk-floor.ts` and the authorizer, it splits the gap into what Secrets Manager costs and
 * what is latchkey's own.
 */
import { DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const client = new DynamoDBClient({ endpoint: process.env.BENCH_FLOOR_ENDPOINT, maxAttempts: 3 });
const secrets = new SecretsManagerClient({
  endpoint: process.env.BENCH_FLOOR_SECRETS_ENDPOINT,
  maxAttempts: 3,
});
await Promise.all(
  (process.env.BENCH_FLOOR_SECRET_IDS ?? '')
    .split(',')
    .map((id) => secrets.send(new GetSecretValueCommand({ SecretId: id }))),
);

/** One GetItem of the item whose `pk`/`sk` the environment names. */
export const handler = (): Promise<GetItemCommandOutput> =>
  client.send(
    new GetItemCommand({
      TableName: process.env.BENCH_FLOOR_TABLE,
      Key: { pk: { S: process.env.BENCH_FLOOR_PK ?? '' }, sk: { S: process.env.BENCH_FLOOR_SK ?? '' } },
    }),
  );
