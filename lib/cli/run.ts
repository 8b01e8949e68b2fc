/**
 * Runs the `latchkey` command in this process: `main` with the process's arguments, streams and
 * environment, and its result as the exit code. This is the module bin/latchkey-cli.mjs loads (as
 * TypeScript in a checkout, or bundled as dist/cli.js by bin/build.mjs); importing it runs the CLI.
 */
import { main } from './index';

// A closed pipe (`latchkey keys list | head -1`) ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
