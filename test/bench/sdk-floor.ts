/**
 * The cold-start floor that latchkey's dependencies set: the same AWS SDK DynamoDB client the
 * authorizer bundles, built at module load, and one GetItem per call — nothing of latchkey's. The
 * cold-start section bundles it with the authorizer's own esbuild options (`lib/cdk/bundling.ts`) and
 * runs it in a fresh process, as it runs the authorizer, so the two wall times compare like for like.
 */
import { DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({ endpoint: process.env.BENCH_FLOOR_ENDPOINT, maxAttempts: 3 });

/** One GetItem of the item whose `pk`/`sk` the environment names. */
export const handler = (): Promise<GetItemCommandOutput> =>
  client.send(
    new GetItemCommand({
      TableName: process.env.BENCH_FLOOR_TABLE,
      Key: { pk: { S: process.env.BENCH_FLOOR_PK ?? '' }, sk: { S: process.env.BENCH_FLOOR_SK ?? '' } },
    }),
  );
