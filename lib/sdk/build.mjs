/**
 * `npm run build`: the SDK and the CLI as Node 20 ESM bundles, plus type declarations for the SDK.
 *
 *   dist/sdk/index.js                  import { LatchkeyClient } from 'latchkey'   (package.json "exports")
 *   dist/cli.js                        the `latchkey` command (bin/latchkey-cli.mjs runs it)
 *   dist/cli.inputs.json               the source files in dist/cli.js (the launcher's freshness check)
 *   dist/types/lib/sdk/index.d.ts      "types"
 *
 * Dependencies stay external (the CLI imports @aws-sdk/client-secrets-manager lazily, for `admin-key`).
 * Declarations are emitted by tsc with the repo's extensionless relative imports; they are then given
 * explicit `.js` extensions so that consumers on `moduleResolution: node16/nodenext` resolve them too.
 *
 * `--if-possible` (used by "prepare") skips the build, with a note, when the dev dependencies that
 * build it (esbuild, typescript) are not installed, e.g. under `npm ci --omit=dev`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const ifPossible = process.argv.includes('--if-possible');

let esbuild;
let tscPath;
try {
  esbuild = await import('esbuild');
  tscPath = require.resolve('typescript/bin/tsc');
} catch (error) {
  if (ifPossible) {
    process.stderr.write('latchkey: skipping the SDK/CLI build (esbuild or typescript is not installed)\n');
    process.exit(0);
  }
  throw error;
}

rmSync(dist, { recursive: true, force: true });

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
const cli = await esbuild.build({
  ...common,
  entryPoints: ['lib/cli/run.ts'],
  outfile: 'dist/cli.js',
  metafile: true,
});
// The launcher (bin/latchkey-cli.mjs) runs the bundle in a checkout only while none of these is newer.
writeFileSync(
  join(dist, 'cli.inputs.json'),
  `${JSON.stringify(Object.keys(cli.metafile.inputs), null, 2)}\n`,
);

const tsc = spawnSync(process.execPath, [tscPath, '-p', join(root, 'lib/sdk/tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  process.stderr.write('latchkey: emitting the SDK declarations failed\n');
  process.exit(tsc.status ?? 1);
}
addJsExtensions(join(dist, 'types'));

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
      /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)(['"])/g,
      (match, before, specifier, after) => {
        if (/\.(?:js|mjs|cjs|json)$/.test(specifier)) return match;
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
