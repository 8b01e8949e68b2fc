/**
 * Usage by outcome, measured (`npx tsx test/bench/refusal-count.ts`): on latchkey in local mode over its
 * own DynamoDB Local, through the authorizer on real REQUEST events,
 *
 *   allowed bearer      DynamoDB calls per request (still the one conditional write)
 *   refused bearer      DynamoDB calls per request (the refused write + the write that counts it),
 *                       for a key over its limit and for a disabled key
 *   junk                DynamoDB calls per request of a wrong secret for a real key id (no count)
 *   count write         what waiting for the refusal's count costs: p50 / p99 of the one UpdateItem
 *
 * Prints one JSON object.
 */
import { formatToken, parseToken, SECRET_LENGTH } from '#core/token';
import { DynamoUsageStore } from '#lambda/dynamo/usage';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { muteHandlerLogs, percentile, round } from './lib';
import { authorizerEvent, startBench, totalCalls } from './setup';

const N = Number(process.env.BENCH_REFUSALS ?? 300);

const bench = await startBench();
const mute = muteHandlerLogs();
try {
  const authorize = createAuthorizerHandler(bench.local.runtime);
  const callsPer = async (authorization: string, n: number) => {
    bench.ddbCalls.clear();
    for (let i = 0; i < n; i++) {
      await authorize(authorizerEvent(authorization, 'GET', '/v1/echo/bench')).catch(() => undefined);
    }
    return round(totalCalls(bench.ddbCalls) / n, 3);
  };
  const allowedKey = await bench.createKey();
  const limited = await bench.createKey({ rate_limit_per_minute: 1 });
  const disabled = await bench.createKey();
  await fetch(`${bench.local.url}/v1/keys/${disabled.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${bench.local.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: false }),
  });
  const parts = parseToken(allowedKey.token, allowedKey.token.slice(0, allowedKey.token.indexOf('_')));
  if (parts === null) throw new Error('not a token');
  const wrong = formatToken(parts.prefix, parts.keyId, 'A'.repeat(SECRET_LENGTH));

  await callsPer(`Bearer ${limited.token}`, 1);
  const figures = {
    allowed_bearer_ddb_calls: await callsPer(`Bearer ${allowedKey.token}`, N),
    rate_limited_bearer_ddb_calls: await callsPer(`Bearer ${limited.token}`, N),
    disabled_bearer_ddb_calls: await callsPer(`Bearer ${disabled.token}`, N),
    wrong_secret_ddb_calls: await callsPer(`Bearer ${wrong}`, N),
    count_write_ms: { p50: 0, p99: 0 },
  };
  const store = new DynamoUsageStore({
    client: bench.local.runtime.dynamo,
    tableName: bench.local.tableName,
  });
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    await store.recordRefusal({ keyId: disabled.id, outcome: 'disabled', nowMs: Date.now() });
    ms.push(performance.now() - started);
  }
  figures.count_write_ms = { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)) };
  mute.restore();
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  mute.restore();
  await bench.stop();
}
