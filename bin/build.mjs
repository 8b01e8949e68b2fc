/**
 * `npm run build`: everything the package ships, built from the TypeScript sources into dist/.
 *
 *   dist/lambda/<name>/index.mjs       each Lambda, prebundled (lib/cdk/bundling.ts); LatchkeyFunction deploys it
 *   dist/lambda/inputs.json            the source files in those bundles (the freshness check below)
 *   dist/sdk/index.js                  import { LatchkeyClient } from 'latchkey'
 *   dist/cdk/index.js                  import { LatchkeyAuthorizer } from 'latchkey/cdk'
 *   dist/integration/index.js          import { checkSignedBody } from 'latchkey/integration'
 *   dist/verify/{index,lambda,hono,express}.js   import { createVerifier } from 'latchkey/verify' (+ adapters)
 *   dist/verify/inputs.json            the source files and external imports of those bundles (tests read it)
 *   dist/cli.js                        the `latchkey` command (bin/latchkey-cli.mjs runs it)
 *   dist/cli.inputs.json               the source files in dist/cli.js (the launcher's freshness check)
 *   dist/local/mode/index.js           local mode for `latchkey dev`, with its dependencies (lib/local/dev.ts)
 *   dist/types/…                       declarations of the entry points (package.json "exports")
 *
 * The SDK, CLI and constructs keep their dependencies external (aws-cdk-lib and constructs are the
 * user's, as peer dependencies; the CLI imports its AWS SDK clients lazily, as optional extras); the
 * Lambdas and the integration helper bundle theirs, so the package needs no AWS SDK at run time.
 * Declarations are emitted by tsc with the repo's extensionless relative imports; they are then given
 * explicit `.js` extensions so that consumers on `moduleResolution: node16/nodenext` resolve them too.
 *
 * `--lambdas` builds only the Lambda bundles, and only when a source file is newer than them (cdk.json
 * runs it before every synth, so `cdk deploy` never ships stale code). `--if-possible` (used by
 * "prepare") skips the build, with a note, when the dev dependencies that build it (esbuild,
 * typescript, tsx) are not installed, e.g. under `npm ci --omit=dev`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const ifPossible = process.argv.includes('--if-possible');
const lambdasOnly = process.argv.includes('--lambdas');
const packageImports = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).imports;

let esbuild;
let tscPath;
let bundling;
try {
  esbuild = await import('esbuild');
  tscPath = require.resolve('typescript/bin/tsc');
  const { tsImport } = await import('tsx/esm/api');
  bundling = await tsImport('../lib/cdk/bundling.ts', import.meta.url);
} catch (error) {
  if (ifPossible) {
    process.stderr.write('latchkey: skipping the build (esbuild, typescript or tsx is not installed)\n');
    process.exit(0);
  }
  throw error;
}

const lambdaDir = join(root, bundling.LAMBDA_BUNDLE_DIR);
const lambdaInputs = join(lambdaDir, 'inputs.json');

if (lambdasOnly) {
  if (!isFresh(lambdaInputs, Object.keys(bundling.LAMBDA_ENTRIES))) await buildLambdas();
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
await buildLambdas();

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};
await esbuild.build({ ...common, entryPoints: ['lib/sdk/index.ts'], outfile: 'dist/sdk/index.js' });
await esbuild.build({ ...common, entryPoints: ['lib/cdk/index.ts'], outfile: 'dist/cdk/index.js' });
// Bundled whole: what it shares with the handlers must not make the package depend on Powertools.
await esbuild.build({
  ...common,
  packages: undefined,
  minify: true,
  entryPoints: ['lambdas/integration.ts'],
  outfile: 'dist/integration/index.js',
});
// latchkey/verify and its adapters: latchkey's code bundled (shared chunks), the AWS SDK clients left to
// the user's install (optional peer dependencies), the frameworks imported as types only.
const verify = await esbuild.build({
  ...common,
  packages: undefined,
  external: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager', 'hono', 'express'],
  entryPoints: ['lib/verify/index.ts', 'lib/verify/lambda.ts', 'lib/verify/hono.ts', 'lib/verify/express.ts'],
  outdir: 'dist/verify',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
writeFileSync(
  join(dist, 'verify/inputs.json'),
  `${JSON.stringify(
    {
      sources: Object.keys(verify.metafile.inputs),
      external: [
        ...new Set(
          Object.values(verify.metafile.outputs).flatMap((o) =>
            o.imports.filter((i) => i.external).map((i) => i.path),
          ),
        ),
      ].sort(),
    },
    null,
    2,
  )}\n`,
);
const cli = await esbuild.build({
  ...common,
  entryPoints: ['lib/cli/run.ts'],
  outfile: 'dist/cli.js',
  metafile: true,
});
// The launcher (bin/latchkey-cli.mjs) runs the bundle in a checkout only while none of these is newer.
writeInputs(join(dist, 'cli.inputs.json'), cli.metafile);
// `latchkey dev` from an installed package, which has none of local mode's dev dependencies (the AWS SDK,
// Powertools): bundled with them, as the Lambdas are, for the Node versions the CLI supports. Three
// folders deep, as lib/local/dynamodb/jar.ts is, because that file finds its download cache from its own
// location (node_modules/.cache under the package root).
await esbuild.build({
  ...bundling.lambdaBuildOptions(root),
  target: 'node20',
  entryPoints: ['lib/local/dev.ts'],
  outfile: 'dist/local/mode/index.js',
});

const tsc = spawnSync(process.execPath, [tscPath, '-p', join(root, 'lib/tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  process.stderr.write('latchkey: emitting the declarations failed\n');
  process.exit(tsc.status ?? 1);
}
addJsExtensions(join(dist, 'types'));

/** Every Lambda of lib/cdk/bundling.ts into dist/lambda/<name>/index.mjs. */
async function buildLambdas() {
  rmSync(lambdaDir, { recursive: true, force: true });
  const inputs = new Set();
  for (const [name, entry] of Object.entries(bundling.LAMBDA_ENTRIES)) {
    const out = await esbuild.build({
      ...bundling.lambdaBuildOptions(root),
      entryPoints: [entry],
      outfile: join(lambdaDir, name, 'index.mjs'),
      metafile: true,
    });
    for (const file of Object.keys(out.metafile.inputs)) inputs.add(file);
  }
  mkdirSync(lambdaDir, { recursive: true });
  writeInputs(lambdaInputs, { inputs: Object.fromEntries([...inputs].map((f) => [f, {}])) });
}

/** The source files (not node_modules) of a build, for the freshness checks. */
function writeInputs(file, metafile) {
  const sources = Object.keys(metafile.inputs).filter((f) => !f.includes('node_modules/'));
  writeFileSync(file, `${JSON.stringify(sources, null, 2)}\n`);
}

/** Whether every output exists and no listed source is newer than the inputs file written with them. */
function isFresh(inputsFile, names) {
  try {
    const built = statSync(inputsFile).mtimeMs;
    if (!names.every((n) => existsSync(join(lambdaDir, n, 'index.mjs')))) return false;
    const sources = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return sources.every((f) => statSync(join(root, f)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/**
 * A declaration's `#core/x`-style import (package.json "imports", which point at the TypeScript sources)
 * as a relative path to the same module's declaration under dist/types.
 */
function relativeToAlias(file, specifier) {
  const [alias, rest] = [
    specifier.slice(0, specifier.indexOf('/')),
    specifier.slice(specifier.indexOf('/') + 1),
  ];
  const target = packageImports[`${alias}/*`];
  if (!target)
    throw new Error(`latchkey: ${file} imports ${specifier}, which package.json "imports" does not map`);
  const source = target.replace('*', rest).replace(/\.ts$/, '');
  const relativePath = relative(dirname(file), join(dist, 'types', source));
  return relativePath.startsWith('.') ? relativePath : `./${relativePath}`;
}

/** Gives every relative import in the declarations an explicit `.js` extension (and resolves aliases). */
function addJsExtensions(dir) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      addJsExtensions(file);
      continue;
    }
    if (!name.endsWith('.d.ts')) continue;
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(
      /((?:from|import)\s*\(?\s*['"])((?:\.{1,2}|#[a-z]+)\/[^'"]*?)(['"])/g,
      (_match, before, imported, after) => {
        const specifier = imported.startsWith('#') ? relativeToAlias(file, imported) : imported;
        if (/\.(?:js|mjs|cjs|json)$/.test(specifier)) return `${before}${specifier}${after}`;
        const target = resolve(dirname(file), specifier);
        const suffix = existsSync(`${target}.d.ts`)
          ? '.js'
          : existsSync(join(target, 'index.d.ts'))
            ? '/index.js'
            : '';
        return `${before}${specifier}${suffix}${after}`;
      },
    );
    if (fixed !== text) writeFileSync(file, fixed);
  }
}
