/**
 * cold_start: the authorizer bundled as the CDK stack bundles it, its size, and how long a fresh
 * `node` process takes to load it (its INIT) and answer one verification, next to two references
 * measured in the same rounds: bare `node` startup, and the floor latchkey's dependencies set — the same
 * AWS SDK DynamoDB client, bundled the same way, doing one GetItem (`test/bench/sdk-floor.ts`).
 *
 * The bundling options come from `lib/cdk/bundling.ts`, with which `npm run build` prebundles the Lambdas
 * that `lib/cdk/latchkey-function.ts` deploys: `esbuild --bundle <entry> --target=node24 --platform=node
 * --format=esm --minify --banner:js=<require shim> --main-fields=module,main
 * --alias:@aws-sdk/credential-provider-node=… --alias:mnemonist/lru-cache=…` with no externals.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { LAMBDA_ENTRIES, LRU_CACHE_ENTRY, LRU_CACHE_MODULE, lambdaBuildOptions } from '#cdk/bundling';
import { SETTINGS } from '#core/settings';
import { keyPk, SORT_KEYS } from '#core/table';

import { ADMIN_KEY_SECRET_NAME, SIGNING_SECRET_NAME } from '#local/constants';
import { startRuntimeApi } from '../helpers/runtime-api';
import { median, nowMs, progress, round } from './lib';
import { authorizerEvent, type Bench } from './setup';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = LAMBDA_ENTRIES.authorizer;
const FLOOR_ENTRY = 'test/bench/sdk-floor.ts';
/** Verifications after the first in each shutdown-extension run (the per-call figure's sample). */
const SHUTDOWN_REPEAT = 200;
const FLOOR_SECRETS_ENTRY = 'test/bench/sdk-floor-secrets.ts';
const POWERTOOLS_LOGGER = '@aws-lambda-powertools/logger';
const LOGGER_STAND_IN = './test/bench/logger-stand-in.ts';
const SECRETS_MANAGER = '@aws-sdk/client-secrets-manager';
const SECRETS_STAND_IN = './test/bench/secrets-stand-in.ts';

/** What `npm run build` bundles each Lambda with (lib/cdk/bundling.ts), quiet. */
export const CDK_BUNDLING: BuildOptions = { ...lambdaBuildOptions(ROOT), logLevel: 'silent' };

export interface ColdStartFigures {
  authorizer_bundle_bytes: number;
  /** Median wall time: spawn a fresh node, import the bundle (INIT), answer one bearer verification, exit. */
  authorizer_load_ms: number;
  /**
   * Median wall time of the floor latchkey's dependencies set: a fresh node, a script bundled the same
   * way that builds the same AWS SDK DynamoDB client and does one GetItem (test/bench/sdk-floor.ts), exit.
   */
  sdk_floor_ms: number;
  sdk_floor_bundle_bytes: number;
  /** authorizer_load_ms / sdk_floor_ms, both from this run. */
  floor_ratio: number;
  /**
   * Median CPU time (user + system) of the same child processes, read by each child as it exits: less
   * sensitive than wall time to a machine shared with other work.
   */
  authorizer_cpu_ms: number;
  sdk_floor_cpu_ms: number;
  /** authorizer_cpu_ms / sdk_floor_cpu_ms. */
  floor_cpu_ratio: number;
  /** Median wall time: spawn a fresh node on an empty ES module and exit. */
  node_baseline_ms: number;
  /** authorizer_load_ms / node_baseline_ms. */
  ratio: number;
  /** sdk_floor_ms / node_baseline_ms. */
  sdk_floor_node_ratio: number;
  /** Inside the child: process start → first line of user code (Node's own bootstrap). */
  bootstrap_ms: number;
  /** Inside the child: process start → bundle imported (its INIT done). */
  import_ms: number;
  /** Inside the child: the import alone (module load and INIT work), then the first verification. */
  init_ms: number;
  first_verify_ms: number;
  /** The same two for the floor: its import, then its one GetItem. */
  sdk_floor_init_ms: number;
  sdk_floor_first_call_ms: number;
  /** The authorizer bundle's bytes by origin (esbuild's metafile). */
  composition_bytes: Record<string, number>;
  /**
   * The shutdown flush's extension (lambdas/runtime/shutdown.ts), bounded mode: the production bundle
   * in the same rounds with `AWS_LAMBDA_RUNTIME_API` pointing at a stand-in Extensions API on loopback
   * (registered during INIT) and without it (the baseline: nothing registered), each followed by
   * `SHUTDOWN_REPEAT` verifications of the same key (hot after ten) whose median is the per-call figure.
   */
  shutdown_extension: {
    init_ms_baseline: number;
    init_ms_registered: number;
    init_ratio: number;
    load_ms_baseline: number;
    load_ms_registered: number;
    call_us_baseline: number;
    call_us_registered: number;
    call_ratio: number;
    calls_per_run: number;
  };
  runs: number;
  variants: Array<{
    name: string;
    bundle_bytes: number;
    load_ms: number;
    ratio: number;
    vs_sdk_floor: number;
    cpu_ms: number;
    cpu_vs_sdk_floor: number;
  }>;
}

interface Variant {
  name: string;
  options: BuildOptions;
  entry: string;
  /** What the child checks the first call returned. */
  check: 'allow' | 'item';
}

const VARIANTS: Variant[] = [
  {
    name: 'as CDK builds it (ESM, minified, SDK bundled, env-only credentials)',
    options: CDK_BUNDLING,
    entry: ENTRY,
    check: 'allow',
  },
  {
    name: 'same with the SDK’s full credential chain',
    options: { ...CDK_BUNDLING, alias: { [LRU_CACHE_MODULE]: LRU_CACHE_ENTRY } },
    entry: ENTRY,
    check: 'allow',
  },
  { name: 'ESM, not minified', options: { ...CDK_BUNDLING, minify: false }, entry: ENTRY, check: 'allow' },
  // No CommonJS variant: the handlers wait for their INIT work with a top-level await, which only an ES
  // module has (CommonJS measured 321 ms against ESM's 209 ms before that, in docs/performance.md's history).
  {
    name: 'ESM, SDK external (runtime copy)',
    options: { ...CDK_BUNDLING, external: ['@aws-sdk/*', '@smithy/*'] },
    entry: ENTRY,
    check: 'allow',
  },
  {
    name: 'same without Powertools’ logger (a JSON-line stand-in, for its cost only)',
    options: { ...CDK_BUNDLING, alias: { ...CDK_BUNDLING.alias, [POWERTOOLS_LOGGER]: LOGGER_STAND_IN } },
    entry: ENTRY,
    check: 'allow',
  },
  {
    name: 'same with Secrets Manager answered in-process (no second SDK client, for its cost only)',
    options: { ...CDK_BUNDLING, alias: { ...CDK_BUNDLING.alias, [SECRETS_MANAGER]: SECRETS_STAND_IN } },
    entry: ENTRY,
    check: 'allow',
  },
  {
    name: 'same with neither (latchkey’s own code and DynamoDB calls, over the floor)',
    options: {
      ...CDK_BUNDLING,
      alias: {
        ...CDK_BUNDLING.alias,
        [SECRETS_MANAGER]: SECRETS_STAND_IN,
        [POWERTOOLS_LOGGER]: LOGGER_STAND_IN,
      },
    },
    entry: ENTRY,
    check: 'allow',
  },
  {
    name: 'SDK floor + reading the two secrets at load (a second client, Secrets Manager)',
    options: CDK_BUNDLING,
    entry: FLOOR_SECRETS_ENTRY,
    check: 'item',
  },
  {
    name: 'SDK floor: the same DynamoDB client, one GetItem (bundled as CDK builds it)',
    options: CDK_BUNDLING,
    entry: FLOOR_ENTRY,
    check: 'item',
  },
];

const CHILD = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
let verified = imported;
if (process.env.BENCH_EVENT) {
  const result = await handler(JSON.parse(process.env.BENCH_EVENT));
  const ok = process.env.BENCH_CHECK === 'item'
    ? result.Item !== undefined
    : result.policyDocument.Statement[0].Effect === 'Allow';
  if (!ok) throw new Error('the first call did not succeed');
  verified = performance.now();
}
const cpu = process.cpuUsage();
const perCall = [];
for (let i = 0; i < Number(process.env.BENCH_REPEAT ?? 0); i++) {
  const t0 = performance.now();
  await handler(JSON.parse(process.env.BENCH_EVENT));
  perCall.push(performance.now() - t0);
}
perCall.sort((a, b) => a - b);
const callUs = perCall.length ? perCall[Math.floor(perCall.length / 2)] * 1000 : 0;
process.stderr.write('BENCH ' + JSON.stringify({ started, imported, verified, callUs, cpu: (cpu.user + cpu.system) / 1000 }) + '\\n');
process.exit(0);
`;

/** Output bytes of a bundle by origin, largest first. */
function compositionOf(metafile: Metafile): Record<string, number> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, input] of Object.entries(output.inputs)) {
      const o = origin(file);
      totals.set(o, (totals.get(o) ?? 0) + input.bytesInOutput);
    }
  }
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]));
}

/** Which part of the bundle an input file belongs to. */
function origin(file: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (!m) return 'latchkey';
  const pkg = m[1] as string;
  if (pkg === '@aws-sdk/client-dynamodb' || pkg === '@aws-sdk/client-secrets-manager') return pkg;
  if (pkg.startsWith('@aws-sdk/')) return '@aws-sdk/* (shared)';
  if (pkg.startsWith('@smithy/')) return '@smithy/*';
  if (pkg.startsWith('@aws-lambda-powertools/')) return '@aws-lambda-powertools/*';
  return 'other';
}

interface ChildTiming {
  wall: number;
  started: number;
  imported: number;
  verify: number;
  /** Median of the BENCH_REPEAT calls after the first, in microseconds (0 without). */
  callUs: number;
  /** CPU milliseconds (user + system) of the whole child, bootstrap included. */
  cpu: number;
}

function runNode(script: string, env: Record<string, string>, cwd: string): Promise<ChildTiming> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const child = spawn(process.execPath, [script], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = nowMs() - t0;
      if (code !== 0) {
        reject(new Error(`child exited with ${code}: ${err.slice(-500)}`));
        return;
      }
      const line = /^BENCH (.*)$/m.exec(err)?.[1];
      const t = line
        ? (JSON.parse(line) as {
            started: number;
            imported: number;
            verified: number;
            callUs: number;
            cpu: number;
          })
        : null;
      resolve({
        wall,
        started: t?.started ?? 0,
        imported: t?.imported ?? 0,
        verify: t ? t.verified - t.imported : 0,
        callUs: t?.callUs ?? 0,
        cpu: t?.cpu ?? 0,
      });
    });
  });
}

export async function benchColdStart(bench: Bench, options: { runs: number }): Promise<ColdStartFigures> {
  const { local } = bench;
  // What the in-process Secrets Manager stand-in answers: the two secrets the endpoint holds.
  const standInSecrets = {
    [ADMIN_KEY_SECRET_NAME]: local.adminKey,
    [SIGNING_SECRET_NAME]: await local.runtime.signingSecret.get(),
  };
  // Inside the repository's node_modules/.cache, so that the SDK-external variant resolves the SDK
  // from node_modules as a Lambda resolves the runtime's copy.
  const cacheRoot = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
  mkdirSync(cacheRoot, { recursive: true });
  const dir = mkdtempSync(join(cacheRoot, 'latchkey-bench-bundle-'));
  const runtimeApi = await startRuntimeApi();
  try {
    const key = await bench.createKey({ name: 'bench cold start' });
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      // Lambda sets it in every function's environment; where it is set, the handler modules do their
      // INIT work (secrets, clients, the DynamoDB connection) while they load (lambdas/runtime/init.ts).
      AWS_LAMBDA_FUNCTION_NAME: 'latchkey-bench-authorizer',
      // The bench's one credential (test/bench/setup.ts): the secrets endpoint's and DynamoDB Local's.
      AWS_ACCESS_KEY_ID: local.secretsCredential.accessKeyId,
      AWS_SECRET_ACCESS_KEY: local.secretsCredential.secretAccessKey,
      [SETTINGS.tableName.env]: local.tableName,
      [SETTINGS.adminKeySecretId.env]: ADMIN_KEY_SECRET_NAME,
      [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
      [SETTINGS.dynamodbEndpoint.env]: local.dynamodbEndpoint,
      [SETTINGS.secretsEndpoint.env]: local.secretsEndpoint,
      BENCH_EVENT: JSON.stringify(authorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/echo/x')),
      // The AWS SDK warns once about Node < 22 on stderr; Lambda's nodejs24.x has no such warning.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    writeFileSync(join(dir, 'empty.mjs'), '');

    const floorEnv: Record<string, string> = {
      BENCH_FLOOR_ENDPOINT: local.dynamodbEndpoint,
      BENCH_FLOOR_TABLE: local.tableName,
      BENCH_FLOOR_PK: keyPk(key.id),
      BENCH_FLOOR_SK: SORT_KEYS.key,
      BENCH_FLOOR_SECRETS_ENDPOINT: local.secretsEndpoint,
      BENCH_FLOOR_SECRET_IDS: `${ADMIN_KEY_SECRET_NAME},${SIGNING_SECRET_NAME}`,
      BENCH_STAND_IN_SECRETS: JSON.stringify(standInSecrets),
    };

    const bundles: Array<{ variant: Variant; file: string; bytes: number }> = [];
    let composition: Record<string, number> = {};
    for (const [i, variant] of VARIANTS.entries()) {
      const outfile = join(dir, `v${i}`, 'index.mjs');
      const out = await build({
        ...variant.options,
        entryPoints: [variant.entry],
        outfile,
        metafile: i === 0,
      });
      if (out.metafile) composition = compositionOf(out.metafile);
      bundles.push({ variant, file: outfile, bytes: statSync(outfile).size });
    }

    const baseline: number[] = [];
    const walls: number[][] = bundles.map(() => []);
    const inner: ChildTiming[][] = bundles.map(() => []);
    const script = join(dir, 'child.mjs');
    const shutdownRuns: { baseline: ChildTiming[]; registered: ChildTiming[] } = {
      baseline: [],
      registered: [],
    };
    for (let run = 0; run < options.runs + 1; run++) {
      const record = run > 0; // the first round warms the page cache
      const b = await runNode(join(dir, 'empty.mjs'), env, dir);
      if (record) baseline.push(b.wall);
      const production = bundles[0] as (typeof bundles)[number];
      const shutdownEnv = {
        ...env,
        BENCH_BUNDLE: production.file,
        BENCH_CHECK: 'allow',
        BENCH_REPEAT: String(SHUTDOWN_REPEAT),
      };
      const without = await runNode(script, shutdownEnv, dir);
      const withExtension = await runNode(
        script,
        { ...shutdownEnv, AWS_LAMBDA_RUNTIME_API: runtimeApi.address },
        dir,
      );
      if (record) {
        shutdownRuns.baseline.push(without);
        shutdownRuns.registered.push(withExtension);
      }
      for (const [i, bundle] of bundles.entries()) {
        const childEnv = {
          ...env,
          ...floorEnv,
          BENCH_BUNDLE: bundle.file,
          BENCH_CHECK: bundle.variant.check,
        };
        const t = await runNode(script, childEnv, dir);
        if (!record) continue;
        walls[i]?.push(t.wall);
        inner[i]?.push(t);
      }
      if (run % 5 === 0) progress('cold start', `${run}/${options.runs} runs`);
    }
    const nodeBaseline = median(baseline);
    const floorLoad = median(walls[walls.length - 1] ?? []);
    const cpuOf = (i: number) => median((inner[i] ?? []).map((t) => t.cpu));
    const floorCpu = cpuOf(inner.length - 1);
    const variants = bundles.map((bundle, i) => {
      const load = median(walls[i] ?? []);
      return {
        name: bundle.variant.name,
        bundle_bytes: bundle.bytes,
        load_ms: round(load, 1),
        ratio: round(load / nodeBaseline, 2),
        vs_sdk_floor: round(load / floorLoad, 2),
        cpu_ms: round(cpuOf(i), 1),
        cpu_vs_sdk_floor: round(cpuOf(i) / floorCpu, 2),
      };
    });
    const main = variants[0] as (typeof variants)[number];
    const floor = variants[variants.length - 1] as (typeof variants)[number];
    const mainInner = inner[0] ?? [];
    const floorInner = inner[inner.length - 1] ?? [];
    const med = (timings: ChildTiming[], f: (t: ChildTiming) => number) => round(median(timings.map(f)), 1);
    return {
      authorizer_bundle_bytes: main.bundle_bytes,
      authorizer_load_ms: main.load_ms,
      sdk_floor_ms: floor.load_ms,
      sdk_floor_bundle_bytes: floor.bundle_bytes,
      floor_ratio: main.vs_sdk_floor,
      authorizer_cpu_ms: main.cpu_ms,
      sdk_floor_cpu_ms: floor.cpu_ms,
      floor_cpu_ratio: main.cpu_vs_sdk_floor,
      node_baseline_ms: round(nodeBaseline, 1),
      ratio: main.ratio,
      sdk_floor_node_ratio: floor.ratio,
      bootstrap_ms: med(mainInner, (t) => t.started),
      import_ms: med(mainInner, (t) => t.imported),
      init_ms: med(mainInner, (t) => t.imported - t.started),
      first_verify_ms: med(mainInner, (t) => t.verify),
      sdk_floor_init_ms: med(floorInner, (t) => t.imported - t.started),
      sdk_floor_first_call_ms: med(floorInner, (t) => t.verify),
      composition_bytes: composition,
      shutdown_extension: shutdownFigures(shutdownRuns, runtimeApi.registrations.length),
      runs: options.runs,
      variants: variants.slice(0, -1),
    };
  } finally {
    await runtimeApi.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function shutdownFigures(
  runs: { baseline: ChildTiming[]; registered: ChildTiming[] },
  registrations: number,
): ColdStartFigures['shutdown_extension'] {
  if (registrations < runs.registered.length) throw new Error('the shutdown extension did not register');
  const med = (timings: ChildTiming[], f: (t: ChildTiming) => number) => median(timings.map(f));
  const init = (t: ChildTiming) => t.imported - t.started;
  const initBaseline = med(runs.baseline, init);
  const initRegistered = med(runs.registered, init);
  const callBaseline = med(runs.baseline, (t) => t.callUs);
  const callRegistered = med(runs.registered, (t) => t.callUs);
  return {
    init_ms_baseline: round(initBaseline, 1),
    init_ms_registered: round(initRegistered, 1),
    init_ratio: round(initRegistered / initBaseline, 2),
    load_ms_baseline: round(
      med(runs.baseline, (t) => t.wall),
      1,
    ),
    load_ms_registered: round(
      med(runs.registered, (t) => t.wall),
      1,
    ),
    call_us_baseline: round(callBaseline, 1),
    call_us_registered: round(callRegistered, 1),
    call_ratio: round(callRegistered / callBaseline, 2),
    calls_per_run: SHUTDOWN_REPEAT,
  };
}
