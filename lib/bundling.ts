/**
 * How the stack bundles every Lambda with esbuild (used by `LatchkeyFunction`, and by the cold-start
 * benchmark to build the exact same bundle). No CDK import here, so the benchmark stays light.
 */

/**
 * esbuild needs this banner for ESM bundles: some bundled CommonJS dependencies call `require` for
 * Node built-ins, which does not exist in an ES module.
 */
export const ESM_REQUIRE_SHIM =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The SDK's default credential chain, replaced in the bundles by an environment-only provider. */
export const CREDENTIAL_PROVIDER = '@aws-sdk/credential-provider-node';

/** Relative to the repository root (esbuild's working directory when CDK bundles). */
export const ENV_CREDENTIALS_ENTRY = './lambdas/adapters/env-credentials.ts';

export const BUNDLE_TARGET = 'node24';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];
