/**
 * How every latchkey Lambda is bundled, in one place: `npm run build` (bin/build.mjs) prebundles
 * each handler with these esbuild options into `dist/lambda/<name>/index.mjs`, `LatchkeyFunction`
 * deploys that directory with `lambda.Code.fromAsset`, and the cold-start benchmark builds the exact
 * same bundle. Prebundling at build time is what lets the constructs work from node_modules: a user's
 * synth needs neither esbuild, nor our TypeScript sources, nor our lockfile. No CDK or esbuild import
 * here, so the build script and the benchmark stay light.
 */

/**
 * esbuild needs this banner for ESM bundles: some bundled CommonJS dependencies call `require` for
 * Node built-ins, which does not exist in an ES module.
 */
export const ESM_REQUIRE_SHIM =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The SDK's default credential chain, replaced in the bundles by an environment-only provider. */
export const CREDENTIAL_PROVIDER = '@aws-sdk/credential-provider-node';

/** Relative to the repository root. */
export const ENV_CREDENTIALS_ENTRY = './lambdas/shims/env-credentials.ts';

/**
 * mnemonist's LRU cache (the DynamoDB client's endpoint-discovery cache), replaced by a Map-based one.
 * The stand-in is an ES module, for the SDK's ES builds (`module` main field) that import its default.
 */
export const LRU_CACHE_MODULE = 'mnemonist/lru-cache';
export const LRU_CACHE_ENTRY = './lambdas/shims/lru-cache.ts';

export const BUNDLE_TARGET = 'node24';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/** The prebundled Lambdas: bundle name → handler file (relative to the repository root). */
export const LAMBDA_ENTRIES = {
  authorizer: 'lambdas/handlers/authorizer.ts',
  management: 'lambdas/handlers/management.ts',
  echo: 'lambdas/handlers/echo.ts',
  public: 'lambdas/handlers/public.ts',
  leaks: 'lambdas/handlers/leaks.ts',
  'admin-key-rotation': 'lambdas/handlers/admin-key-rotation.ts',
  events: 'lambdas/handlers/events.ts',
  expiring: 'lambdas/handlers/expiring.ts',
  webhooks: 'lambdas/handlers/webhooks.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** Where the bundles go, relative to the package root; each is `<dir>/<name>/index.mjs`. */
export const LAMBDA_BUNDLE_DIR = 'dist/lambda';
/** The handler setting of every bundled function (`index.mjs`, export `handler`). */
export const LAMBDA_HANDLER = 'index.handler';

/**
 * esbuild's options for one Lambda (a plain object, so this module needs no esbuild import): ESM,
 * minified, the AWS SDK and Powertools bundled in (smaller cold start, pinned versions), the SDK's
 * credential chain aliased to the environment-only provider (Lambda supplies credentials in the
 * environment) and mnemonist's LRU cache to a Map-based one. `root` is the repository root.
 */
export function lambdaBuildOptions(root: string) {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node' as const,
    target: BUNDLE_TARGET,
    format: 'esm' as const,
    minify: true,
    sourcemap: false,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_SHIM },
    alias: { [CREDENTIAL_PROVIDER]: ENV_CREDENTIALS_ENTRY, [LRU_CACHE_MODULE]: LRU_CACHE_ENTRY },
    external: [] as string[],
    logLevel: 'warning' as const,
  };
}
