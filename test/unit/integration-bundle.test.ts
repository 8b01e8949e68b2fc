import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * `latchkey/integration` is bundled into users' own Lambdas: it must stay a few kilobytes, with nothing
 * from node_modules (no logger, no AWS SDK). Built here with the options bin/build.mjs uses for it.
 */
describe('the latchkey/integration bundle', () => {
  it('holds only latchkey code, under 8 KB minified', async () => {
    const result = await build({
      absWorkingDir: new URL('../..', import.meta.url).pathname,
      entryPoints: ['lambdas/integration.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((file) => file.includes('node_modules/'))).toEqual([]);
    expect(result.outputFiles[0]?.contents.byteLength).toBeLessThan(8 * 1024);
  });
});
