/**
 * The test suite's configuration. A passing run is quiet: the `dot` reporter prints a dot per test as
 * progress (a run of several minutes never looks hung), then any failures and the closing summary;
 * `silent: 'passed-only'` shows console output of failing tests only, and the log-hygiene setup file
 * holds back handler log lines (after scanning every one). Pass `--reporter=default` (or `verbose`) to
 * see every file and test.
 */
import { defineConfig } from 'vitest/config';

// The AWS SDK warns once per process (this one, which runs the global setup, and every worker) about
// Node versions it will stop supporting; set before any of them loads it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Every test file fails if a credential-shaped value appears in a handler log line.
    setupFiles: ['test/reliability/log-hygiene.setup.ts'],
    reporters: ['dot'],
    silent: 'passed-only',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
