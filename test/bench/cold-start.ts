/**
 * cold_start: the authorizer bundled as the CDK stack bundles it, its size, and how long a fresh
 * `node` process takes to load it and answer one verification, next to bare `node` startup.
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
import { type BuildOptions, build } from 'esbuild';
import {
  CREDENTIAL_PROVIDER,
  ENV_CREDENTIALS_ENTRY,
  LAMBDA_ENTRIES,
  LRU_CACHE_ENTRY,
  LRU_CACHE_MODULE,
  lambdaBuildOptions,
} from '#cdk/bundling';
import { SETTINGS } from '#core/settings';

import { ADMIN_KEY_SECRET_NAME, SIGNING_SECRET_NAME } from '#local/constants';
import { median, nowMs, progress, round } from './lib';
import { authorizerEvent, type Bench } from './setup';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = LAMBDA_ENTRIES.authorizer;

/** What `npm run build` bundles each Lambda with (lib/cdk/bundling.ts), quiet. */
export const CDK_BUNDLING: BuildOptions = { ...lambdaBuildOptions(ROOT), logLevel: 'silent' };

export interface ColdStartFigures {
  authorizer_bundle_bytes: number;
  /** Median wall time: spawn a fresh node, import the bundle, answer one bearer verification, exit. */
  authorizer_load_ms: number;
  /** Median wall time: spawn a fresh node on an empty ES module and exit. */
  node_baseline_ms: number;
  ratio: number;
  /** Inside the child: process start → first line of user code (Node's own bootstrap). */
  bootstrap_ms: number;
  /** Inside the child: process start → bundle imported, and the first verification itself. */
  import_ms: number;
  first_verify_ms: number;
  runs: number;
  variants: Array<{ name: string; bundle_bytes: number; load_ms: number; ratio: number }>;
}

interface Variant {
  name: string;
  options: BuildOptions;
}

const VARIANTS: Variant[] = [
  { name: 'as CDK builds it (ESM, minified, SDK bundled, env-only credentials)', options: CDK_BUNDLING },
  {
    name: 'same with the SDK’s full credential chain',
    options: { ...CDK_BUNDLING, alias: { [LRU_CACHE_MODULE]: LRU_CACHE_ENTRY } },
  },
  { name: 'ESM, not minified', options: { ...CDK_BUNDLING, minify: false } },
  {
    // The SDK's CommonJS build requires mnemonist's LRU cache as a CommonJS class: no stand-in here.
    name: 'CJS, default main fields',
    options: {
      ...CDK_BUNDLING,
      format: 'cjs',
      mainFields: undefined,
      banner: undefined,
      alias: { [CREDENTIAL_PROVIDER]: ENV_CREDENTIALS_ENTRY },
    },
  },
  {
    name: 'ESM, SDK external (runtime copy)',
    options: { ...CDK_BUNDLING, external: ['@aws-sdk/*', '@smithy/*'] },
  },
];

const CHILD = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
let verified = imported;
if (process.env.BENCH_EVENT) {
  const result = await handler(JSON.parse(process.env.BENCH_EVENT));
  if (result.policyDocument.Statement[0].Effect !== 'Allow') throw new Error('not allowed');
  verified = performance.now();
}
process.stderr.write('BENCH ' + JSON.stringify({ started, imported, verified }) + '\\n');
process.exit(0);
`;

interface ChildTiming {
  wall: number;
  started: number;
  imported: number;
  verify: number;
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
      const t = line ? (JSON.parse(line) as { started: number; imported: number; verified: number }) : null;
      resolve({
        wall,
        started: t?.started ?? 0,
        imported: t?.imported ?? 0,
        verify: t ? t.verified - t.imported : 0,
      });
    });
  });
}

export async function benchColdStart(bench: Bench, options: { runs: number }): Promise<ColdStartFigures> {
  const { local } = bench;
  // Inside the repository's node_modules/.cache, so that the SDK-external variant resolves the SDK
  // from node_modules as a Lambda resolves the runtime's copy.
  const cacheRoot = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
  mkdirSync(cacheRoot, { recursive: true });
  const dir = mkdtempSync(join(cacheRoot, 'latchkey-bench-bundle-'));
  try {
    const key = await bench.createKey({ name: 'bench cold start' });
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
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

    const bundles: Array<{ variant: Variant; file: string; bytes: number }> = [];
    for (const [i, variant] of VARIANTS.entries()) {
      const ext = variant.options.format === 'cjs' ? 'cjs' : 'mjs';
      const outfile = join(dir, `v${i}`, `index.${ext}`);
      await build({ ...variant.options, entryPoints: [ENTRY], outfile });
      bundles.push({ variant, file: outfile, bytes: statSync(outfile).size });
    }

    const baseline: number[] = [];
    const walls: number[][] = bundles.map(() => []);
    const imports: number[] = [];
    const bootstraps: number[] = [];
    const verifies: number[] = [];
    const script = join(dir, 'child.mjs');
    for (let run = 0; run < options.runs + 1; run++) {
      const record = run > 0; // the first round warms the page cache
      const b = await runNode(join(dir, 'empty.mjs'), env, dir);
      if (record) baseline.push(b.wall);
      for (const [i, bundle] of bundles.entries()) {
        const t = await runNode(script, { ...env, BENCH_BUNDLE: bundle.file }, dir);
        if (!record) continue;
        walls[i]?.push(t.wall);
        if (i === 0) {
          bootstraps.push(t.started);
          imports.push(t.imported);
          verifies.push(t.verify);
        }
      }
      if (run % 5 === 0) progress('cold start', `${run}/${options.runs} runs`);
    }
    const nodeBaseline = median(baseline);
    const variants = bundles.map((bundle, i) => {
      const load = median(walls[i] ?? []);
      return {
        name: bundle.variant.name,
        bundle_bytes: bundle.bytes,
        load_ms: round(load, 1),
        ratio: round(load / nodeBaseline, 2),
      };
    });
    const main = variants[0] as (typeof variants)[number];
    return {
      authorizer_bundle_bytes: main.bundle_bytes,
      authorizer_load_ms: main.load_ms,
      node_baseline_ms: round(nodeBaseline, 1),
      ratio: main.ratio,
      bootstrap_ms: round(median(bootstraps), 1),
      import_ms: round(median(imports), 1),
      first_verify_ms: round(median(verifies), 1),
      runs: options.runs,
      variants,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
