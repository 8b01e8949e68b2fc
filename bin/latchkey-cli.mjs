#!/usr/bin/env node
/**
 * The `latchkey` command (package.json "bin", so `npx latchkey …`). It runs the bundle that
 * `npm run build` writes to dist/cli.js. In a checkout, where lib/cli/run.ts exists, it does so only
 * while none of the bundle's source files is newer than it, and otherwise runs the TypeScript source
 * through tsx (a devDependency), so the command never lags behind the code.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

const source = new URL('../lib/cli/run.ts', import.meta.url);
const bundle = new URL('../dist/cli.js', import.meta.url);
const bundleInputs = new URL('../dist/cli.inputs.json', import.meta.url);

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(bundleInputs, 'utf8'));
    return inputs.every((file) => statSync(new URL(`../${file}`, import.meta.url)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

const tsx = existsSync(source) && !bundleIsFresh() ? await loadTsx() : null;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  process.stderr.write(
    'latchkey: not_built: the CLI is not built; run `npm run build` in the latchkey package\n',
  );
  process.exitCode = 1;
}
