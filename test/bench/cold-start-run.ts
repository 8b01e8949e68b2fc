/**
 * The `cold_start` section of `npm run bench` alone, for work on the authorizer's INIT:
 * `npx tsx test/bench/cold-start-run.ts` prints its figures as JSON (BENCH_COLD_RUNS runs, default 15).
 */
import { benchColdStart } from './cold-start';
import { muteHandlerLogs, progress, say } from './lib';
import { startBench } from './setup';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const runs = Number(process.env.BENCH_COLD_RUNS ?? 15);
progress('setup', 'starting DynamoDB Local (in memory) and local mode');
const logs = muteHandlerLogs();
const bench = await startBench();
try {
  progress('cold start', `${runs} runs`);
  const figures = await benchColdStart(bench, { runs });
  say(JSON.stringify(figures, null, 2));
} finally {
  logs.restore();
  await bench.stop();
}
