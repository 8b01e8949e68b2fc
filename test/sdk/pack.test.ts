/**
 * The package as a user installs it: `npm pack`, the tarball installed into a fresh project outside the
 * repository, its documentation (the README and `docs/`, every link of the README inside the tarball),
 * and its three surfaces used from there — `latchkey` (examples/sdk-demo.mjs against local
 * mode, with the whole node_modules under 10 MB), `latchkey/cdk` (a user's own stack protecting its own
 * route, synthesized offline and cdk-nag clean) and `latchkey/integration` (`checkSignedBody`); and
 * `latchkey dev`, local mode from the installed package (with the repository's DynamoDB Local jar, so
 * nothing is downloaded).
 *
 * npm test builds dist/ first, so the pack runs with --ignore-scripts. The user project gets
 * aws-cdk-lib, constructs and cdk-nag as symlinks to the repository's copies (installing aws-cdk-lib,
 * 160 MB, would take minutes here); Node resolves them to one real path, so the user's app and
 * latchkey/cdk share one aws-cdk-lib, as peer dependencies do in a real install.
 */
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicRoute, ROUTES } from '#core/routes';
import { SIGNING_SECRET_NAME } from '#local/constants';
import type { LocalMode } from '#local/local-mode';
import { freePort } from '#local/net';
import { client, createKey, startTestLatchkey } from '../helpers/local';
import { fencedBlock, isExternal, markdownFiles, markdownLinks, readMarkdown } from '../helpers/markdown';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures/package');
const MAX_NODE_MODULES_BYTES = 10 * 1024 * 1024;

let project: string;
/** The tarball's path. */
let tarball: string;
/** The paths in the tarball, from the package root (`README.md`, `docs/deploy.md`, …). */
let packedFiles: string[];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'latchkey-user-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], {
    cwd: ROOT,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout) as [
    { filename: string; files: { path: string }[] },
  ];
  packedFiles = files.map((file) => file.path);
  tarball = join(project, filename);
  writeFileSync(join(project, 'package.json'), '{"type": "module", "private": true}\n');
  await run(
    'npm',
    ['install', `./${filename}`, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    { cwd: project },
  );
  copyFileSync(join(ROOT, 'examples/sdk-demo.mjs'), join(project, 'sdk-demo.mjs'));
  for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(project, file));
}, 120_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

describe('the documentation in the tarball', () => {
  it('ships the README and every page of docs/, and every file they link to', () => {
    const pages = markdownFiles();
    expect(pages.filter((page) => page.startsWith('docs/')).length).toBeGreaterThanOrEqual(8);
    expect(packedFiles).toEqual(expect.arrayContaining(pages));
    const linked = pages.flatMap((page) =>
      markdownLinks(readMarkdown(page))
        .map((link) => link.target)
        .filter((target) => !isExternal(target) && !target.startsWith('#'))
        .map((target) => posix.normalize(posix.join(posix.dirname(page), target.split('#')[0] ?? ''))),
    );
    expect(linked).toEqual(expect.arrayContaining(['docs/deploy.md', 'docs/images/console-keys.png']));
    expect(packedFiles).toEqual(expect.arrayContaining(linked));
  });

  it('the SDK example of docs/sdk.md is examples/sdk-demo.mjs, which the next test runs', () => {
    const demo = readFileSync(join(ROOT, 'examples/sdk-demo.mjs'), 'utf8');
    const code = demo.replace(/^(\/\/.*\n)+/, '');
    expect(fencedBlock('docs/sdk.md', 'js sdk-demo')).toBe(code);
  });
});

describe('the packed tarball, installed in a fresh project', () => {
  let local: LocalMode;
  beforeAll(async () => {
    local = await startTestLatchkey();
  });
  afterAll(() => local?.stop());

  it('latchkey: the SDK demo runs against local mode, with node_modules under 10 MB', async () => {
    const bytes = sizeOf(join(project, 'node_modules'));
    expect(bytes).toBeLessThan(MAX_NODE_MODULES_BYTES);
    expect(readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual([
      'latchkey',
    ]);

    const { stdout } = await run(process.execPath, ['sdk-demo.mjs'], {
      cwd: project,
      env: { ...process.env, LATCHKEY_URL: local.url, ADMIN_KEY: local.adminKey },
    });
    expect(stdout.trim()).toMatch(/^200 [A-Za-z0-9]{16}$/);
  });

  it('latchkey/integration: checkSignedBody passes bearer requests and refuses a tampered signed body; getCaller reads the caller', async () => {
    const { stdout } = await run(process.execPath, ['integration.mjs'], { cwd: project });
    expect(stdout.trim()).toBe('null 401 acme gold');
  });

  it('latchkey/cdk: a stack of your own protects its own route, synthesized offline and nag clean', async () => {
    linkFromRepository('aws-cdk-lib', 'constructs', 'cdk-nag');
    const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
    const { stdout } = await run(process.execPath, ['app.mjs', join(project, 'cdk.out')], {
      cwd: project,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    const summary = JSON.parse(stdout) as { methods: string[]; functions: string[] };
    // Every method is behind the latchkey authorizer except latchkey's public routes (OpenAPI, console).
    const publicRoutes = ROUTES.filter(isPublicRoute).length;
    expect(summary.methods.filter((m) => m === 'NONE')).toHaveLength(publicRoutes);
    expect(summary.methods.filter((m) => m !== 'NONE' && m !== 'CUSTOM')).toEqual([]);
    expect(summary.methods.filter((m) => m === 'CUSTOM').length).toBeGreaterThan(publicRoutes);
    // The user's function and latchkey's prebundled ones (authorizer, management, public, GitHub leak
    // reports; no sample echo route in a stack of your own, and no rotation).
    expect(summary.functions).toHaveLength(5);
    const assets = readdirSync(join(project, 'cdk.out')).filter((f) => f.startsWith('asset.'));
    for (const asset of assets) {
      const files = readdirSync(join(project, 'cdk.out', asset));
      expect(files).toEqual(['index.mjs']);
    }
    expect(assets.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('every export of package.json imports from the installed package, each with its own names', async () => {
    linkFromRepository('aws-cdk-lib', 'constructs', 'hono', 'express');
    mkdirSync(join(project, 'node_modules/@aws-sdk'), { recursive: true });
    linkFromRepository('@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager');
    const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const specifiers = Object.keys(exports).map((k) => (k === '.' ? 'latchkey' : `latchkey/${k.slice(2)}`));
    const script = `for (const s of ${JSON.stringify(specifiers)}) {
      const m = await import(s, s.endsWith('.json') ? { with: { type: 'json' } } : undefined);
      console.log(s, Object.keys(m).filter((k) => k !== 'default').length || Object.keys(m.default).length);
    }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const counts = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')),
    );
    expect(Object.keys(counts)).toEqual(specifiers);
    for (const [specifier, count] of Object.entries(counts))
      expect(Number(count), specifier).toBeGreaterThan(0);
  }, 60_000);

  it('examples/cdk-app: the complete example app synthesizes offline from the tarball', async () => {
    linkFromRepository('aws-cdk-lib', 'constructs', 'tsx', 'esbuild');
    const example = join(project, 'cdk-app');
    cpSync(join(ROOT, 'examples/cdk-app'), example, {
      recursive: true,
      filter: (source) => !source.endsWith('package.json') && !source.endsWith('cdk.json'),
    });
    const outdir = join(project, 'cdk-app.out');
    const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
    await run(process.execPath, ['--import', 'tsx', join(example, 'app.ts')], {
      cwd: project,
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_OUTDIR: outdir,
        // Bundling skipped, as in the unit tests: the user's own function needs no esbuild run here.
        CDK_CONTEXT_JSON: JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] }),
      },
    });
    const template = JSON.parse(readFileSync(join(outdir, 'Shop.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      Outputs: Record<string, unknown>;
    };
    const resources = Object.values(template.Resources);
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
    const descriptions = functions.map((f) => String(f.Properties.Description ?? ''));
    // The orders function, and latchkey's authorizer, management, public and leak-report functions: no
    // sample route.
    expect(functions).toHaveLength(5);
    expect(descriptions.filter((d) => d.includes('sample application route'))).toEqual([]);
    const authorizer = functions.find((f) => String(f.Properties.Description).includes('REQUEST authorizer'));
    const env = authorizer?.Properties.Environment as { Variables: Record<string, string> } | undefined;
    expect(JSON.parse(env?.Variables.LATCHKEY_APPLICATION_ROUTES ?? '[]')).toEqual([
      { method: 'GET', path: '/orders', permission: 'orders:read' },
      { method: 'POST', path: '/orders', permission: 'orders:write' },
      { method: 'GET', path: '/orders/{id}', permission: 'orders:read' },
    ]);
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'ConsoleUrl', 'AdminKeySecretArn', 'AuthorizerLogGroupName']),
    );
    const methods = resources.filter((r) => r.Type === 'AWS::ApiGateway::Method');
    expect(methods.filter((m) => m.Properties.AuthorizationType === 'NONE')).toHaveLength(
      ROUTES.filter(isPublicRoute).length,
    );
  }, 120_000);
});

describe('latchkey/verify from the tarball, in a project without aws-cdk-lib', () => {
  let local: LocalMode;
  let fresh: string;
  beforeAll(async () => {
    local = await startTestLatchkey();
    fresh = mkdtempSync(join(tmpdir(), 'latchkey-verify-user-'));
    writeFileSync(join(fresh, 'package.json'), '{"type": "module", "private": true}\n');
    await run(
      'npm',
      ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: fresh },
    );
    copyFileSync(join(FIXTURES, 'verify.mjs'), join(fresh, 'verify.mjs'));
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
    rmSync(fresh, { recursive: true, force: true });
  });

  it('installs nothing but latchkey (its peers are optional), and verifies with the AWS SDK clients alone', async () => {
    expect(readdirSync(join(fresh, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['latchkey']);
    // The user's own AWS SDK clients: the repository's copies stand in for `npm install` of them.
    mkdirSync(join(fresh, 'node_modules/@aws-sdk'));
    for (const name of ['client-dynamodb', 'client-secrets-manager']) {
      symlinkSync(
        join(ROOT, 'node_modules/@aws-sdk', name),
        join(fresh, 'node_modules/@aws-sdk', name),
        'dir',
      );
    }
    const key = await createKey(client(local.url), local.adminKey);
    const { stdout } = await run(process.execPath, ['verify.mjs'], {
      cwd: fresh,
      env: {
        ...process.env,
        LOCAL: JSON.stringify({
          tableName: local.tableName,
          signingSecretId: SIGNING_SECRET_NAME,
          dynamodbEndpoint: local.dynamodbEndpoint,
          dynamodbIdentity: local.dynamodbIdentity,
          secretsEndpoint: local.secretsEndpoint,
          secretsCredential: local.secretsCredential,
          token: key.token,
        }),
      },
    });
    expect(stdout.trim()).toBe('true default 401 absent');
  }, 60_000);
});

describe('latchkey dev from the installed package', () => {
  it('starts local mode with the bundled handlers and SDK, answers, and stops on SIGINT', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(await freePort()),
      LATCHKEY_SECRETS_PORT: String(await freePort()),
      LATCHKEY_DYNAMODB_PORT: String(await freePort()),
      LATCHKEY_DATA_DIR: join(project, '.latchkey'),
      LATCHKEY_DYNAMODB_LOCAL_DIR: join(ROOT, 'node_modules/.cache/latchkey/dynamodb-local-2.9.30'),
    };
    const child = spawn(process.execPath, ['node_modules/latchkey/bin/latchkey-cli.mjs', 'dev'], {
      cwd: project,
      env,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!/latchkey listening on/.test(out) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toMatch(/latchkey listening on http:\/\/127\.0\.0\.1:\d+/);
      const adminKey = /Admin key \(generated now, shown once here\): (\S+)/.exec(out)?.[1] ?? '';
      const res = await fetch(`http://127.0.0.1:${env.PORT}/v1/whoami`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(res.status).toBe(200);
      // The banner's script form points at the installed launcher.
      expect(out).toContain('node node_modules/latchkey/bin/latchkey-cli.mjs whoami');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});

/** Links packages of the repository's node_modules into the user project (once), as peer dependencies. */
function linkFromRepository(...names: string[]): void {
  for (const name of names) {
    const target = join(project, 'node_modules', name);
    if (!existsSync(target)) symlinkSync(join(ROOT, 'node_modules', name), target, 'dir');
  }
}
