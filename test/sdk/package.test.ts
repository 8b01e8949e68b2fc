import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as named from 'latchkey';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as source from '#sdk/index';
import { startScriptedServer } from './proxy';

/**
 * How the SDK and the CLI ship: `import … from 'latchkey'` resolves through package.json "exports" to
 * the bundle `npm run build` writes (npm test builds it first, `npm install` through "prepare"), its
 * declarations type-check for a consumer on `moduleResolution: nodenext`, and "bin" runs the launcher.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe("import … from 'latchkey'", () => {
  it('is the built bundle, with the same API as the source', async () => {
    const require = createRequire(join(ROOT, 'package.json'));
    expect(require.resolve('latchkey')).toBe(join(ROOT, 'dist/sdk/index.js'));
    expect(Object.keys(named).sort()).toEqual(Object.keys(source).sort());
    expectTypeOf<named.ApiKey>().toEqualTypeOf<source.ApiKey>();
    expectTypeOf<named.LatchkeyClientOptions>().toEqualTypeOf<source.LatchkeyClientOptions>();
    expectTypeOf<named.LatchkeyClient['createKey']>().toEqualTypeOf<source.LatchkeyClient['createKey']>();

    const server = await startScriptedServer(() => ({
      status: 401,
      body: '{"error":{"code":"unauthorized","message":"A valid API key or admin key is required.","request_id":"r"}}',
    }));
    try {
      const client = new named.LatchkeyClient({ baseUrl: server.url, key: 'x'.repeat(32) });
      const error = await client.whoami().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(named.LatchkeyError);
      expect(error).toMatchObject({ kind: 'http', status: 401, code: 'unauthorized', requestId: 'r' });
    } finally {
      await server.close();
    }
  });

  it('type-checks and runs in a consumer project on moduleResolution nodenext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));
    temp.push(dir);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules/latchkey'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type": "module", "private": true}');
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import { type ApiKey, LatchkeyClient, LatchkeyError, signRequest } from 'latchkey';",
        "const client = new LatchkeyClient({ baseUrl: 'http://127.0.0.1:1', key: 'x'.repeat(32), retries: 0 });",
        'const keys: ApiKey[] = [];',
        'for await (const key of client.iterateKeys()) keys.push(key);',
        "const signed: string = signRequest({ token: 'lk_AAAAAAAAAAAAAAAA_x', method: 'GET', path: '/' }).authorization;",
        'export { keys, signed };',
        'export const kind: LatchkeyError["kind"] = "network";',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // The DOM lib's fetch types, not @types/node: the declarations need nothing from Node.
          lib: ['ES2022', 'DOM'],
          types: [],
          skipLibCheck: false,
          skipDefaultLibCheck: true,
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await run(
      process.execPath,
      [createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc'), '-p', dir],
      dir,
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);

    writeFileSync(
      join(dir, 'consumer.mjs'),
      [
        "import { LatchkeyClient, LatchkeyError } from 'latchkey';",
        "const client = new LatchkeyClient({ baseUrl: 'http://127.0.0.1:9', key: 'x'.repeat(32), retries: 0 });",
        'const error = await client.whoami().catch((e) => e);',
        'console.log(error instanceof LatchkeyError, error.kind, error.code);',
      ].join('\n'),
    );
    const node = await run(process.execPath, ['consumer.mjs'], dir);
    expect(node.stdout.trim()).toBe('true network network_error');
  }, 60_000);
});

function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
