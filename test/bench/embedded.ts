/**
 * embedded: latchkey/verify called in-process (what a user's own handler runs, no API Gateway and no
 * authorizer invocation) against DynamoDB Local, next to the same floors as the authorizer's section —
 * a GetItem of the key item (bearer), a GetItem plus a conditional PutItem (signed) — on the same
 * client, interleaved; and a hot key in bounded mode, checked against the instance's copy.
 */
import { randomBytes } from 'node:crypto';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SETTINGS } from '#core/settings';
import { signRequest } from '#core/signer';
import { SIGNING_SECRET_NAME } from '#local/constants';
import { createVerifier, type Verifier } from '#verify/index';
import { nowMs, percentile, progress, round } from './lib';
import type { Bench } from './setup';

export interface EmbeddedLatency {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
}

export interface EmbeddedFigures {
  iterations: number;
  bearer: EmbeddedLatency & { floor_p50_ms: number; floor_p99_ms: number; ratio_p50: number };
  signed: EmbeddedLatency & { floor_p50_ms: number; floor_p99_ms: number; ratio_p50: number };
  hot_key: EmbeddedLatency;
}

const latency = (samples: number[]): EmbeddedLatency => ({
  p50_ms: round(percentile(samples, 50), 3),
  p99_ms: round(percentile(samples, 99), 3),
  mean_ms: round(samples.reduce((a, b) => a + b, 0) / samples.length, 3),
});

function verifierFor(bench: Bench, mode: 'exact' | 'bounded'): Verifier {
  return createVerifier({
    env: {
      [SETTINGS.tableName.env]: bench.local.tableName,
      [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
      [SETTINGS.verifyMode.env]: mode,
    },
    dynamodb: bench.local.runtime.dynamo,
    secretsManager: bench.local.secretsClient,
  });
}

export async function benchEmbedded(
  bench: Bench,
  options: { iterations: number; warmup: number },
): Promise<{
  figures: EmbeddedFigures;
  durations: { bearer: number[]; signed: number[]; hot_key: number[] };
}> {
  const dynamo = bench.local.runtime.dynamo;
  const TableName = bench.local.tableName;
  const exact = verifierFor(bench, 'exact');
  const bounded = verifierFor(bench, 'bounded');
  const bearerKey = await bench.createKey({ name: 'embedded bearer' });
  const signedKey = await bench.createKey({ name: 'embedded signed' });
  const hotKey = await bench.createKey({ name: 'embedded hot', rate_limit_per_minute: 100_000 });
  const keyOf = (id: string): Record<string, AttributeValue> => ({
    pk: { S: `KEY#${id}` },
    sk: { S: 'KEY' },
  });

  const getFloor = () =>
    dynamo.send(new GetItemCommand({ TableName, Key: keyOf(bearerKey.id), ConsistentRead: true }));
  const putFloor = () =>
    dynamo.send(
      new PutItemCommand({
        TableName,
        Item: {
          pk: { S: `NONCE#${randomBytes(8).toString('hex')}` },
          sk: { S: 'NONCE' },
          ttl: { N: String(Math.floor(Date.now() / 1000) + 600) },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  const allowed = async (verifier: Verifier, headers: Record<string, string>) => {
    const result = await verifier.verify({ method: 'GET', path: '/orders/1', headers });
    if (!result.allowed) throw new Error(`embedded verify refused: ${result.reason}`);
  };

  const samples: Record<string, number[]> = { bearer: [], signed: [], hot_key: [], get: [], get_put: [] };
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['bearer', () => allowed(exact, { authorization: `Bearer ${bearerKey.token}` })],
    ['get', getFloor],
    ['signed', async () => undefined], // signed outside the timed region, below
    [
      'get_put',
      async () => {
        await getFloor();
        await putFloor();
      },
    ],
    ['hot_key', () => allowed(bounded, { authorization: `Bearer ${hotKey.token}` })],
  ];
  const total = options.warmup + options.iterations;
  for (let r = 0; r < total; r++) {
    const record = r >= options.warmup;
    for (let i = 0; i < ops.length; i++) {
      const [name, fn] = ops[(r + i) % ops.length] as [string, () => Promise<unknown>];
      let run = fn;
      if (name === 'signed') {
        const headers = {
          ...signRequest({ token: signedKey.token, method: 'GET', path: '/orders/1' }).headers,
        };
        run = () => allowed(exact, headers);
      }
      const t0 = nowMs();
      await run();
      if (record) samples[name]?.push(nowMs() - t0);
    }
    if (r > 0 && r % 500 === 0) progress('embedded', `${r}/${total} rounds`);
  }
  exact.close();
  bounded.close();

  const s = (name: string) => samples[name] as number[];
  const withFloor = (path: number[], floor: number[]) => {
    const l = latency(path);
    const f = latency(floor);
    return { ...l, floor_p50_ms: f.p50_ms, floor_p99_ms: f.p99_ms, ratio_p50: round(l.p50_ms / f.p50_ms, 3) };
  };
  return {
    figures: {
      iterations: options.iterations,
      bearer: withFloor(s('bearer'), s('get')),
      signed: withFloor(s('signed'), s('get_put')),
      hot_key: latency(s('hot_key')),
    },
    durations: { bearer: s('bearer'), signed: s('signed'), hot_key: s('hot_key') },
  };
}
