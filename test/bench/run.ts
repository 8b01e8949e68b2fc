/**
 * `npm run bench`: latchkey's speed and cost figures, reproducible on any machine with Node and Java.
 *
 * Starts its own in-memory DynamoDB Local and its own local mode, then measures:
 *   verify       the authorizer in-process vs the bare DynamoDB round trips (same client, interleaved)
 *   cpu_us       the authorizer's own CPU per verification, network answered from memory, vs raw crypto
 *   peers        the same bearer check with scrypt (Node defaults) and Seam's prefixed-api-key
 *   cold_start   the production esbuild bundle: size, fresh-process INIT + one verification vs bare node
 *                and vs the SDK floor (the same DynamoDB client bundled alone, one GetItem)
 *   gateway      requests/s and p99 through the local gateway, authenticated vs a no-auth baseline,
 *                answering as a REST API and as an HTTP API
 *   hot_key      one key at three times a (simulated) item write limit, in exact and bounded mode, and
 *                a rate limit under 10 instances bursting together
 *   embedded     latchkey/verify in-process (your own handler, no gateway) vs the same DynamoDB floors,
 *                for bearer, signed and a hot key, and what that costs per million
 *   cost         per million verifications at AWS list prices, REST API and HTTP API modes
 * Prints a table and writes JSON to $BENCH_OUT (default bench-results.json).
 *
 * Knobs (environment): BENCH_OUT, BENCH_QUICK=1 (a short smoke run), BENCH_VERIFY_ITERATIONS,
 * BENCH_COLD_RUNS, BENCH_GATEWAY_SECONDS, BENCH_GATEWAY_CONCURRENCY, BENCH_GATEWAY_ROUNDS,
 * BENCH_HOT_KEY_SECONDS.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { benchColdStart } from './cold-start';
import {
  authorizerMemoryMb,
  costPerMillion,
  cpuCostPerMillion,
  embeddedCostPerMillion,
  PRICES,
  rruOf,
  wruOf,
} from './cost';
import { benchCpu } from './cpu';
import { benchEmbedded } from './embedded';
import { benchGateway } from './gateway';
import { benchHotKey } from './hot-key';
import { muteHandlerLogs, progress, round, say, table } from './lib';
import { startBench } from './setup';
import { benchVerify } from './verify';
import { benchRfc9421 } from './verify-rfc9421';

// The SDK warns once that it will need Node >= 22 in 2027; not a benchmark finding.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const GOALS = { ratio_p50: 1.25, bundle_bytes: 350 * 1024, load_ratio: 1.6, floor_ratio: 1.1 };

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const settings = {
    verifyIterations: intFromEnv('BENCH_VERIFY_ITERATIONS', quick ? 200 : 2000),
    verifyWarmup: quick ? 50 : 300,
    coldRuns: intFromEnv('BENCH_COLD_RUNS', quick ? 3 : 15),
    gatewaySeconds: intFromEnv('BENCH_GATEWAY_SECONDS', quick ? 2 : 8),
    gatewayConcurrency: intFromEnv('BENCH_GATEWAY_CONCURRENCY', 16),
    gatewayRounds: intFromEnv('BENCH_GATEWAY_ROUNDS', quick ? 1 : 2),
    hotKeySeconds: intFromEnv('BENCH_HOT_KEY_SECONDS', quick ? 2 : 6),
  };
  const out = resolve(process.env.BENCH_OUT || 'bench-results.json');
  const started = Date.now();
  const loadBefore = loadavg()[0] ?? 0;

  progress('setup', 'starting DynamoDB Local (in memory) and local mode');
  const logs = muteHandlerLogs();
  const bench = await startBench();
  try {
    progress(
      'verify',
      `${settings.verifyIterations} interleaved rounds after ${settings.verifyWarmup} warm-up`,
    );
    const { figures: verify, durations } = await benchVerify(bench, {
      iterations: settings.verifyIterations,
      warmup: settings.verifyWarmup,
    });
    progress('verify', 'RFC 9421: HMAC and Ed25519 signatures, interleaved with their floor');
    const rfc9421 = await benchRfc9421(bench, {
      iterations: settings.verifyIterations,
      warmup: settings.verifyWarmup,
    });
    progress('cpu', 'handler CPU with the network answered from memory, crypto floors, peers');
    const { cpu, peers } = await benchCpu(bench);
    progress('cold start', 'bundling the authorizer as the CDK stack does');
    const coldStart = await benchColdStart(bench, { runs: settings.coldRuns });
    progress('gateway', `concurrency ${settings.gatewayConcurrency}, ${settings.gatewaySeconds} s per phase`);
    const gateway = await benchGateway(bench, {
      concurrency: settings.gatewayConcurrency,
      seconds: settings.gatewaySeconds,
      rounds: settings.gatewayRounds,
    });
    progress(
      'hot key',
      `one key at 3x a simulated item limit, ${settings.hotKeySeconds} s per mode, both modes`,
    );
    const hotKey = await benchHotKey(bench, { seconds: settings.hotKeySeconds });
    progress('embedded', `latchkey/verify in-process, ${settings.verifyIterations} interleaved rounds`);
    const embedded = await benchEmbedded(bench, {
      iterations: settings.verifyIterations,
      warmup: settings.verifyWarmup,
    });

    const memory = authorizerMemoryMb();
    const keyWru = wruOf(verify.key_item_bytes);
    const replayWru = wruOf(verify.replay_item_bytes);
    const paths = {
      bearer: { durationsMs: durations.bearer, cpuUs: cpu.bearer, wru: keyWru, rru: 0 },
      signed: {
        durationsMs: durations.signed,
        cpuUs: cpu.signed,
        // TransactWriteItems: nonce + signature records + key update, 2 WRU per item per KB.
        wru: 2 * (2 * replayWru + keyWru),
        rru: rruOf(verify.key_item_bytes),
      },
      // A hot key on the bounded path at steady state: the bearer path's Lambda time (an upper bound:
      // the in-memory check skips the DynamoDB round trip), with the write units the simulation measured.
      bearer_hot_key_bounded: {
        durationsMs: durations.bearer,
        cpuUs: cpu.bearer,
        wru: hotKey.bounded.wru_per_1k / 1000,
        rru: 0,
      },
    };
    const bearerCost = costPerMillion(paths.bearer, memory.mb, 'rest');
    const signedCost = costPerMillion(paths.signed, memory.mb, 'rest');
    const hotKeyCost = costPerMillion(paths.bearer_hot_key_bounded, memory.mb, 'rest');
    // HTTP API mode: the same authorizer and the same DynamoDB calls; only API Gateway's price differs.
    const httpCost = {
      bearer: costPerMillion(paths.bearer, memory.mb, 'http'),
      signed: costPerMillion(paths.signed, memory.mb, 'http'),
      bearer_hot_key_bounded: costPerMillion(paths.bearer_hot_key_bounded, memory.mb, 'http'),
    };
    // latchkey/verify in the user's function: the same units, no gateway, no authorizer invocation; the
    // time it adds to that function at the same memory as the authorizer.
    const signedUnits = { wru: 2 * (2 * replayWru + keyWru), rru: rruOf(verify.key_item_bytes) };
    const embeddedCost = {
      bearer: embeddedCostPerMillion(
        { durationsMs: embedded.durations.bearer, cpuUs: cpu.bearer, wru: keyWru, rru: 0 },
        memory.mb,
      ),
      signed: embeddedCostPerMillion(
        { durationsMs: embedded.durations.signed, cpuUs: cpu.signed, ...signedUnits },
        memory.mb,
      ),
      bearer_hot_key_bounded: embeddedCostPerMillion(
        {
          durationsMs: embedded.durations.hot_key,
          cpuUs: cpu.bearer,
          wru: hotKey.bounded.wru_per_1k / 1000,
          rru: 0,
        },
        memory.mb,
      ),
    };
    const goals = {
      bearer_ratio_p50: {
        goal: `<= ${GOALS.ratio_p50}`,
        value: verify.bearer.ratio_p50,
        met: verify.bearer.ratio_p50 <= GOALS.ratio_p50,
      },
      signed_ratio_p50: {
        goal: `<= ${GOALS.ratio_p50}`,
        value: verify.signed.ratio_p50,
        met: verify.signed.ratio_p50 <= GOALS.ratio_p50,
      },
      bearer_same_ops_ratio_p50: {
        goal: `<= ${GOALS.ratio_p50}`,
        value: verify.bearer.same_ops_ratio_p50,
        met: verify.bearer.same_ops_ratio_p50 <= GOALS.ratio_p50,
      },
      signed_same_ops_ratio_p50: {
        goal: `<= ${GOALS.ratio_p50}`,
        value: verify.signed.same_ops_ratio_p50,
        met: verify.signed.same_ops_ratio_p50 <= GOALS.ratio_p50,
      },
      ddb_calls: {
        goal: 'bearer <= 1, signed <= 2, malformed 0, bad signature writes nothing',
        value: `${verify.bearer.ddb_calls} / ${verify.signed.ddb_calls} / ${verify.malformed.ddb_calls} / ${verify.bad_signature.writes}`,
        met:
          verify.bearer.ddb_calls <= 1 &&
          verify.signed.ddb_calls <= 2 &&
          verify.malformed.ddb_calls === 0 &&
          verify.bad_signature.writes === 0,
      },
      bundle_bytes: {
        goal: `<= ${GOALS.bundle_bytes}`,
        value: coldStart.authorizer_bundle_bytes,
        met: coldStart.authorizer_bundle_bytes <= GOALS.bundle_bytes,
      },
      load_ratio: {
        goal: `<= ${GOALS.load_ratio}`,
        value: coldStart.ratio,
        met: coldStart.ratio <= GOALS.load_ratio,
      },
      load_vs_sdk_floor: {
        goal: `<= ${GOALS.floor_ratio}`,
        value: coldStart.floor_ratio,
        met: coldStart.floor_ratio <= GOALS.floor_ratio,
      },
      hot_key_bounded_503: {
        goal: '0 at 3x the item limit',
        value: hotKey.bounded.status_503,
        met: hotKey.bounded.status_503 === 0,
      },
    };

    const results = {
      meta: {
        command: 'npm run bench',
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        load_average_1m: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) },
        duration_s: 0,
        settings,
        dynamodb: 'DynamoDB Local (in memory), same machine',
      },
      verify,
      verify_rfc9421: rfc9421,
      cpu_us: cpu,
      peers: {
        ...peers,
        scrypt_cost_per_million_usd: cpuCostPerMillion(peers.scrypt_verify_us, memory.mb),
      },
      cold_start: coldStart,
      gateway,
      hot_key: hotKey,
      embedded: {
        ...embedded.figures,
        cost_per_million_usd: {
          bearer: embeddedCost.bearer.total,
          signed: embeddedCost.signed.total,
          bearer_hot_key_bounded: embeddedCost.bearer_hot_key_bounded.total,
          breakdown: embeddedCost,
          assumptions: {
            function_memory_mb: memory.mb,
            duration:
              'measured in-process wall time of verify against DynamoDB Local plus the CPU stretch at this ' +
              'memory, added to an invocation of your own function (no request fee, no API Gateway)',
            hot_key_wru: 'the write units per call the hot-key simulation measured in bounded mode',
          },
        },
      },
      cost_per_million_usd: {
        bearer: bearerCost.total,
        signed: signedCost.total,
        bearer_hot_key_bounded: hotKeyCost.total,
        breakdown: { bearer: bearerCost, signed: signedCost, bearer_hot_key_bounded: hotKeyCost },
        http: {
          bearer: httpCost.bearer.total,
          signed: httpCost.signed.total,
          bearer_hot_key_bounded: httpCost.bearer_hot_key_bounded.total,
          breakdown: httpCost,
        },
        assumptions: {
          authorizer_memory_mb: memory.mb,
          memory_source: memory.source,
          architecture: 'arm64',
          prices: PRICES,
          api_gateway:
            'top level and breakdown: REST API mode; http: HTTP API mode (first-tier price, requests of ' +
            'at most 16 KiB metered as one 512 KB increment); same Lambda and DynamoDB figures in both',
          key_item_bytes: verify.key_item_bytes,
          key_item_bytes_unrolled_day: verify.key_item_bytes_unrolled_day,
          bearer_units: { wru: keyWru, rru: 0 },
          signed_units: { wru: 2 * (2 * replayWru + keyWru), rru: rruOf(verify.key_item_bytes) },
          duration:
            'measured in-process wall time per verification against DynamoDB Local, plus the handler CPU ' +
            'scaled to the CPU share Lambda gives at this memory (1,769 MB = 1 vCPU), billed per 1 ms',
        },
      },
      goals,
    };
    results.meta.duration_s = Math.round((Date.now() - started) / 1000);
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    logs.restore();
    printReport(results);
    say(
      `\nwritten to ${out} in ${results.meta.duration_s} s (handler log lines formatted and discarded: ${logs.count()})`,
    );
  } finally {
    logs.restore();
    await bench.stop();
  }
}

type CostPath = 'bearer' | 'signed' | 'bearer_hot_key_bounded';

type Results = {
  meta: { node: string; cpu: string; cores: number; load_average_1m: { before: number; after: number } };
  verify: Awaited<ReturnType<typeof benchVerify>>['figures'];
  verify_rfc9421: Awaited<ReturnType<typeof benchRfc9421>>;
  cpu_us: Awaited<ReturnType<typeof benchCpu>>['cpu'];
  peers: Awaited<ReturnType<typeof benchCpu>>['peers'] & { scrypt_cost_per_million_usd: number };
  cold_start: Awaited<ReturnType<typeof benchColdStart>>;
  gateway: Awaited<ReturnType<typeof benchGateway>>;
  hot_key: Awaited<ReturnType<typeof benchHotKey>>;
  embedded: Awaited<ReturnType<typeof benchEmbedded>>['figures'] & {
    cost_per_million_usd: Record<'bearer' | 'signed' | 'bearer_hot_key_bounded', number>;
  };
  cost_per_million_usd: {
    bearer: number;
    signed: number;
    breakdown: Record<CostPath, ReturnType<typeof costPerMillion>>;
    http: { breakdown: Record<CostPath, ReturnType<typeof costPerMillion>> };
    assumptions: { authorizer_memory_mb: number };
  };
  goals: Record<string, { goal: string; value: number | string; met: boolean }>;
};

function printReport(r: Results): void {
  const v = r.verify;
  const ms = (x: number) => x.toFixed(2);
  say(
    `\nlatchkey bench — Node ${r.meta.node}, ${r.meta.cores} × ${r.meta.cpu}, load ${r.meta.load_average_1m.before}`,
  );
  say('\nverify (authorizer in-process vs bare DynamoDB Local round trips, same client, interleaved)');
  say(
    table([
      [
        'path',
        'p50 ms',
        'p99 ms',
        'floor',
        'floor p50',
        'ratio',
        'same-ops floor',
        'p50',
        'ratio',
        'ddb calls',
      ],
      [
        'bearer',
        ms(v.bearer.p50_ms),
        ms(v.bearer.p99_ms),
        'GetItem',
        ms(v.bearer.floor_p50_ms),
        v.bearer.ratio_p50.toFixed(2),
        'same UpdateItem, bare',
        ms(v.bearer.same_ops_floor_p50_ms),
        v.bearer.same_ops_ratio_p50.toFixed(2),
        String(v.bearer.ddb_calls),
      ],
      [
        'signed',
        ms(v.signed.p50_ms),
        ms(v.signed.p99_ms),
        'GetItem+PutItem',
        ms(v.signed.floor_p50_ms),
        v.signed.ratio_p50.toFixed(2),
        'same Get+TransactWrite, bare',
        ms(v.signed.same_ops_floor_p50_ms),
        v.signed.same_ops_ratio_p50.toFixed(2),
        String(v.signed.ddb_calls),
      ],
    ]),
  );
  say(
    `malformed: ${v.malformed.ddb_calls} DynamoDB calls; bad signature: ${v.bad_signature.ddb_calls} call ` +
      `(${v.bad_signature.commands.join(', ')}), ${v.bad_signature.writes} writes; wrong secret: ` +
      `${v.wrong_secret.ddb_calls} (${v.wrong_secret.commands.join(', ')}, refused by its condition)`,
  );

  say('\nverify, RFC 9421 (authorizer in-process; floor: GetItem + TransactWriteItems, bare, interleaved)');
  say(
    table([
      ['algorithm', 'p50 ms', 'p99 ms', 'floor p50', 'ratio', 'ddb calls', 'cpu µs (pure)'],
      ...(['hmac_sha256', 'ed25519'] as const).map((name) => {
        const f = r.verify_rfc9421[name];
        return [
          name.replace('_', '-'),
          ms(f.p50_ms),
          ms(f.p99_ms),
          ms(f.floor_p50_ms),
          f.ratio_p50.toFixed(2),
          `${f.ddb_calls} (${f.ddb_commands.join(', ')})`,
          f.cpu_us.toFixed(1),
        ];
      }),
    ]),
  );

  const c = r.cpu_us;
  const p = r.peers;
  say('\ncpu µs per verification (network answered from memory)');
  say(
    table([
      ['what', 'µs'],
      ['bearer, whole handler (SDK, SigV4, policy, log line)', c.bearer.toFixed(1)],
      ['signed, whole handler', c.signed.toFixed(1)],
      ['bearer, verifyRequest only', c.bearer_core.toFixed(1)],
      ['signed, verifyRequest only', c.signed_core.toFixed(1)],
      ['floor: one SHA-256 of a token', c.sha256_floor.toFixed(2)],
      ['floor: one HMAC-SHA512 of a canonical string', c.hmac_floor.toFixed(2)],
      [
        'metrics: one invocation counted and written as EMF (in the handler figures)',
        c.metrics_emit.toFixed(2),
      ],
    ]),
  );
  say('\npeers: the same bearer check, no I/O');
  say(
    table([
      ['design', 'µs per verification'],
      ['latchkey (parse + CRC-32 + SHA-256 + constant-time compare)', p.latchkey_verify_us.toFixed(2)],
      [`prefixed-api-key ${p.prefixed_api_key_version} checkAPIKey`, p.prefixed_api_key_verify_us.toFixed(2)],
      [`scrypt, ${p.scrypt_params}`, p.scrypt_verify_us.toFixed(0)],
    ]),
  );
  say(
    `scrypt alone would add $${p.scrypt_cost_per_million_usd.toFixed(2)} per million verifications in Lambda time ` +
      `at ${r.cost_per_million_usd.assumptions.authorizer_memory_mb} MB`,
  );

  const cs = r.cold_start;
  say('\ncold start (fresh node: load the bundle + answer one verification)');
  say(
    table([
      ['bundle', 'KB', 'load ms', '× bare node', '× SDK floor', 'CPU ms', 'CPU × SDK floor'],
      ...cs.variants.map((x) => [
        x.name,
        (x.bundle_bytes / 1024).toFixed(0),
        x.load_ms.toFixed(1),
        x.ratio.toFixed(2),
        x.vs_sdk_floor.toFixed(2),
        x.cpu_ms.toFixed(1),
        x.cpu_vs_sdk_floor.toFixed(2),
      ]),
      [
        'SDK floor: the same DynamoDB client, one GetItem',
        (cs.sdk_floor_bundle_bytes / 1024).toFixed(0),
        cs.sdk_floor_ms.toFixed(1),
        cs.sdk_floor_node_ratio.toFixed(2),
        '1.00',
        cs.sdk_floor_cpu_ms.toFixed(1),
        '1.00',
      ],
      ['bare node (empty ES module)', '', cs.node_baseline_ms.toFixed(1), '1.00', '', '', ''],
    ]),
  );
  say(
    `latchkey / SDK floor: ${cs.floor_ratio.toFixed(2)}× (${cs.authorizer_load_ms} ms vs ${cs.sdk_floor_ms} ms); ` +
      `CPU ${cs.floor_cpu_ratio.toFixed(2)}× (${cs.authorizer_cpu_ms} ms vs ${cs.sdk_floor_cpu_ms} ms)`,
  );
  say(
    `inside the child (ms): user code runs at ${cs.bootstrap_ms}; import (INIT) ${cs.init_ms} then first ` +
      `verification ${cs.first_verify_ms}; the floor: import ${cs.sdk_floor_init_ms} then GetItem ${cs.sdk_floor_first_call_ms}`,
  );
  const se = cs.shutdown_extension;
  say(
    `shutdown flush extension (bounded mode, same runs): INIT ${se.init_ms_registered} ms registered vs ` +
      `${se.init_ms_baseline} ms not (${se.init_ratio}×); fresh process ${se.load_ms_registered} vs ` +
      `${se.load_ms_baseline} ms; per verification after the first (median of ${se.calls_per_run}) ` +
      `${se.call_us_registered} µs vs ${se.call_us_baseline} µs (${se.call_ratio}×)`,
  );
  say(
    `authorizer bundle by origin (KB): ${Object.entries(cs.composition_bytes)
      .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`)
      .join(', ')}`,
  );

  const g = r.gateway;
  say(`\ngateway: GET /v1/echo/x through the local gateway, concurrency ${g.concurrency}`);
  const h2 = g.http;
  say(
    table([
      ['API', 'authorizer', 'req/s', 'p50 ms', 'p99 ms'],
      ['REST', 'latchkey, bearer', String(g.auth_rps), ms(g.auth_p50_ms), ms(g.auth_p99_ms)],
      ['REST', 'latchkey, signed', String(g.signed_rps), ms(g.signed_p50_ms), ms(g.signed_p99_ms)],
      [
        'REST',
        'no-auth baseline (static Allow)',
        String(g.noauth_rps),
        ms(g.noauth_p50_ms),
        ms(g.noauth_p99_ms),
      ],
      ['HTTP', 'latchkey, bearer', String(h2.auth_rps), ms(h2.auth_p50_ms), ms(h2.auth_p99_ms)],
      ['HTTP', 'latchkey, signed', String(h2.signed_rps), ms(h2.signed_p50_ms), ms(h2.signed_p99_ms)],
      [
        'HTTP',
        'no-auth baseline (static yes)',
        String(h2.noauth_rps),
        ms(h2.noauth_p50_ms),
        ms(h2.noauth_p99_ms),
      ],
      [
        '',
        'DynamoDB Local alone: bare cond. UpdateItem',
        String(g.ddb_floor_rps),
        '',
        ms(g.ddb_floor_p99_ms),
      ],
    ]),
  );
  if (g.non_200 > 0) say(`!! ${g.non_200} responses were not 200`);

  const h = r.hot_key;
  say(
    `\nhot key: one key at 3x a simulated item limit (${h.item_writes_per_second} writes/s, ${h.scale}), simulated instances`,
  );
  say(
    table([
      [
        'mode',
        'offered',
        'allowed',
        '503',
        'p50 ms',
        'p99 ms',
        'ddb/1k',
        'WRU/1k',
        'instances',
        'revoke lag ms',
        'overshoot %',
      ],
      ...(['exact', 'bounded'] as const).map((mode) => {
        const x = h[mode];
        return [
          mode,
          String(x.offered),
          String(x.allowed),
          String(x.status_503),
          x.p50_ms.toFixed(1),
          x.p99_ms.toFixed(1),
          x.ddb_calls_per_1k.toFixed(0),
          x.wru_per_1k.toFixed(0),
          String(x.instances),
          x.revocation_lag_ms.toFixed(0),
          x.overshoot_pct.toFixed(1),
        ];
      }),
    ]),
  );
  say(`\nhot key, ${h.bounded.fleet[0]?.instances ?? 0} instances bursting together on one key (one window)`);
  say(
    table([
      ['mode', 'limit', 'allowed', 'overshoot %'],
      ...(['exact', 'bounded'] as const).flatMap((mode) =>
        h[mode].fleet.map((f) => [mode, String(f.limit), String(f.allowed), f.overshoot_pct.toFixed(1)]),
      ),
    ]),
  );

  const e = r.embedded;
  say(
    `\nembedded: latchkey/verify in-process (your own handler) vs the same DynamoDB floors, ${e.iterations} rounds`,
  );
  say(
    table([
      ['path', 'p50 ms', 'p99 ms', 'floor p50', 'floor p99', '× floor p50', '$ per million'],
      ...(['bearer', 'signed'] as const).map((k) => [
        k,
        ms(e[k].p50_ms),
        ms(e[k].p99_ms),
        ms(e[k].floor_p50_ms),
        ms(e[k].floor_p99_ms),
        e[k].ratio_p50.toFixed(2),
        e.cost_per_million_usd[k].toFixed(2),
      ]),
      [
        'bearer_hot_key_bounded',
        ms(e.hot_key.p50_ms),
        ms(e.hot_key.p99_ms),
        '',
        '',
        '',
        e.cost_per_million_usd.bearer_hot_key_bounded.toFixed(2),
      ],
    ]),
  );

  const cost = r.cost_per_million_usd;
  say(
    `\ncost per million verifications (AWS list prices, arm64, ${cost.assumptions.authorizer_memory_mb} MB)`,
  );
  say(
    table([
      ['api', 'path', 'total $', 'API GW', 'Lambda req', 'Lambda GB-s', 'DynamoDB', 'billed ms'],
      ...(['rest', 'http'] as const).flatMap((api) =>
        (['bearer', 'signed', 'bearer_hot_key_bounded'] as const).map((k) => {
          const b = api === 'rest' ? cost.breakdown[k] : cost.http.breakdown[k];
          return [
            api,
            k,
            b.total.toFixed(2),
            b.api_gateway.toFixed(2),
            b.lambda_requests.toFixed(2),
            b.lambda_duration.toFixed(2),
            b.dynamodb.toFixed(2),
            b.billed_ms_mean.toFixed(2),
          ];
        }),
      ),
    ]),
  );

  say('\ngoals');
  say(
    table([
      ['goal', 'target', 'measured', 'met'],
      ...Object.entries(r.goals).map(([k, x]) => [k, x.goal, String(x.value), x.met ? 'yes' : 'NO']),
    ]),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
