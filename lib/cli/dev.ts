/**
 * `latchkey dev`: local mode in the foreground, exactly what `npm start` runs in a checkout
 * (lib/local/dev.ts), from wherever latchkey is installed. Local mode needs the AWS SDK and the
 * handlers, which the CLI bundle leaves out: it is loaded only here, from the TypeScript source when
 * the CLI runs from source, else from its own bundle, dist/local/mode/index.js (bin/build.mjs).
 */
import { defineCommand } from './command';
import { CliError } from './errors';

type DevModule = typeof import('../local/dev');

async function loadLocalMode(): Promise<DevModule> {
  const fromSource = import.meta.url.endsWith('.ts');
  // A computed specifier: the bundler must not pull local mode into the CLI bundle.
  const specifier: string = new URL(fromSource ? '../local/dev.ts' : './local/mode/index.js', import.meta.url)
    .href;
  try {
    return (await import(specifier)) as DevModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError('not_built', 'local mode is not built; run `npm run build` in the latchkey package');
    }
    throw error;
  }
}

export const dev = defineCommand({
  name: 'dev',
  summary: 'local mode (DynamoDB Local, Secrets Manager endpoint, API gateway) until Ctrl-C',
  usage: 'latchkey dev',
  description:
    'Runs local mode in the foreground, as npm start does in a checkout: DynamoDB Local (needs Java 17+;\n' +
    'fetched on first use), a local Secrets Manager endpoint holding the admin key, and the local API\n' +
    'gateway with the same authorizer and handlers as the deployed stack. It prints one line per request;\n' +
    "the handlers' log lines go to <data dir>/latchkey.log. PORT (default 8787), LATCHKEY_SECRETS_PORT,\n" +
    'LATCHKEY_DYNAMODB_PORT, LATCHKEY_DATA_DIR (default .latchkey) and LATCHKEY_* settings configure it.',
  args: [],
  api: false,
  options: {},
  examples: ['latchkey dev', 'PORT=9000 LATCHKEY_DATA_DIR=/tmp/lk latchkey dev'],
  async run(ctx) {
    const local = await loadLocalMode();
    try {
      await local.runDev({ env: ctx.env, out: ctx.out, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (error) {
      if (error instanceof Error && error.name === 'LocalSetupError') {
        throw new CliError('local_setup', error.message);
      }
      throw error;
    }
  },
});
