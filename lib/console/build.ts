/**
 * `npm run build:console`: type-checks the browser sources against the DOM library, bundles them with
 * esbuild (minified ESM, es2020) into `app.js`, minifies `app.css`, and writes the three shipped assets
 * twice: to `dist/console/` (to inspect and measure) and, as one JSON object of their texts, to
 * `lib/console/assets.generated.json`, which `lib/console/serve.ts` imports so that any
 * esbuild bundle of the serving code (a Lambda's, the local gateway's) carries the console inside it
 * and `cdk deploy` needs no upload step. The JSON is committed; test/console/assets.test.ts fails when
 * it differs from a fresh build of these sources.
 *
 * The browser sources in `app/` are type-checked against the DOM library by their own tsconfig
 * (`tsc -p lib/console/app`, part of `npm run check`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), 'app');
const root = resolve(here, '../../..');
export const GENERATED_ASSETS = join(root, 'lib/console/assets.generated.json');

export interface ConsoleAssetTexts {
  'index.html': string;
  'app.js': string;
  'app.css': string;
}

/** Builds the three assets in memory. Deterministic for the same sources and esbuild version. */
export async function buildConsoleAssets(): Promise<ConsoleAssetTexts> {
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'silent',
  } as const;
  const js = await esbuild.build({
    ...common,
    entryPoints: [join(here, 'main.ts')],
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
  });
  const css = await esbuild.build({ ...common, entryPoints: [join(here, 'app.css')], target: 'chrome100' });
  const html = readFileSync(join(here, 'index.html'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .join('');
  const text = (r: esbuild.BuildResult) => r.outputFiles?.[0]?.text ?? '';
  return { 'index.html': `${html}\n`, 'app.js': text(js), 'app.css': text(css) };
}

/** The generated module's exact text for a set of assets. */
export function generatedJson(assets: ConsoleAssetTexts): string {
  return `${JSON.stringify(assets, null, 2)}\n`;
}

async function main(): Promise<void> {
  const assets = await buildConsoleAssets();
  const out = join(root, 'dist/console');
  mkdirSync(out, { recursive: true });
  let raw = 0;
  let gz = 0;
  for (const [name, body] of Object.entries(assets)) {
    writeFileSync(join(out, name), body);
    raw += Buffer.byteLength(body);
    gz += gzipSync(body, { level: 9 }).length;
  }
  writeFileSync(GENERATED_ASSETS, generatedJson(assets));
  process.stdout.write(
    `console assets: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
