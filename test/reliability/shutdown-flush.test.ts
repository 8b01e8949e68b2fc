/**
 * No counts lost when Lambda shuts execution environments down. Several bounded-mode authorizer
 * instances — each the built bundle (`dist/lambda/authorizer/index.mjs`, what the stack deploys) in its
 * own child process with a Lambda function's environment — share one hot key against DynamoDB Local.
 * Their `AWS_LAMBDA_RUNTIME_API` is a stand-in Extensions API (test/helpers/runtime-api.ts), so each
 * registers its shutdown extension during INIT as it would on Lambda. Mid-traffic, some instances are
 * shut down the way Lambda does it once an extension is registered: SIGTERM to an idle runtime, SIGKILL
 * if it is still there after the limit. The rest follow at the end. Every allowed call must then be counted
 * on the key's item — including those an instance had counted in memory and not written when it stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LAMBDA_BUNDLE_DIR } from '#cdk/bundling';
import { SETTINGS } from '#core/settings';
import { SHUTDOWN_EXTENSION_NAME } from '#lambda/runtime/shutdown';
import { ADMIN_KEY_SECRET_NAME, SIGNING_SECRET_NAME } from '#local/constants';
import { authorizerEvent } from '../helpers/authorizer-event';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { ROOT } from '../helpers/process';
import { type RuntimeApiStandIn, startRuntimeApi } from '../helpers/runtime-api';

const BUNDLE = join(ROOT, LAMBDA_BUNDLE_DIR, 'authorizer', 'index.mjs');
/**
 * When the stand-in for Lambda sends SIGKILL after SIGTERM. Lambda allows a runtime with an internal
 * extension 500 ms, on the function's own CPU; on a shared test machine a child's scheduling alone can
 * take longer, so the stand-in waits 2 s. What keeps the flush inside Lambda's 500 ms is its own budget
 * (`SHUTDOWN_FLUSH_BUDGET_MS`, test/unit/shutdown.test.ts).
 */
const SHUTDOWN_LIMIT_MS = 2_000;
const INSTANCES = 4;
/** Requests each of the instances shut down last sends (the first two send half). */
const REQUESTS = 60;
/** Long, so that much of what an instance counts is still in memory when it is stopped. */
const BOUND_MS = 5_000;

/** Imports the bundle (its INIT), then answers the parent's invocations one at a time over IPC. */
const CHILD = `
const { handler } = await import(process.env.BUNDLE);
process.send({ ready: true });
process.on('message', async ({ id, event }) => {
  try {
    const result = await handler(event);
    process.send({ id, effect: result.policyDocument.Statement[0].Effect });
  } catch (error) {
    process.send({ id, error: error.message });
  }
});
`;

interface Instance {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  invoke(event: unknown): Promise<{ effect?: string; error?: string }>;
}

function startInstance(env: Record<string, string>): Instance {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', BUNDLE, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let logs = '';
  const keep = (d: Buffer) => {
    logs = (logs + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waiting = new Map<number, (m: { effect?: string; error?: string }) => void>();
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    void exited.then(() => reject(new Error(`the instance exited during INIT: ${logs}`)));
  });
  child.on('message', (m: { ready?: boolean; id?: number; effect?: string; error?: string }) => {
    if (m.ready) readyResolve();
    else if (m.id !== undefined) waiting.get(m.id)?.(m);
  });
  let next = 0;
  return {
    child,
    ready,
    exited,
    invoke: (event) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        child.send({ id, event });
      }),
  };
}

/** Lambda's shutdown of an idle environment: SIGTERM, then SIGKILL if the process outlives the limit. */
async function shutDown(instance: Instance): Promise<{ code: number | null; ms: number; killed: boolean }> {
  const started = performance.now();
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), SHUTDOWN_LIMIT_MS);
  const { code, signal } = await instance.exited;
  clearTimeout(timer);
  return { code, ms: performance.now() - started, killed: signal === 'SIGKILL' };
}

describe('bounded mode, instances shut down mid-traffic', () => {
  // One AWS identity for both services, as a Lambda function has (from its environment).
  const t = useLatchkey({ secretsCredential: inject('dynamodbCredential') });
  let api: RuntimeApiStandIn;
  const instances: Instance[] = [];

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
    api = await startRuntimeApi();
  });
  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await api?.close();
  });

  it('counts every allowed call', { timeout: 60_000 }, async () => {
    const key = await createKey(t.call, t.admin, { rate_limit_per_minute: 100_000 });
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: t.local.secretsCredential.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.local.secretsCredential.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: 'latchkey-authorizer',
      AWS_LAMBDA_RUNTIME_API: api.address,
      [SETTINGS.tableName.env]: t.local.tableName,
      [SETTINGS.adminKeySecretId.env]: ADMIN_KEY_SECRET_NAME,
      [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
      [SETTINGS.dynamodbEndpoint.env]: t.local.dynamodbEndpoint,
      [SETTINGS.secretsEndpoint.env]: t.local.secretsEndpoint,
      [SETTINGS.verifyMode.env]: 'bounded',
      [SETTINGS.hotKeyBoundMs.env]: String(BOUND_MS),
    };
    for (let i = 0; i < INSTANCES; i++) instances.push(startInstance(env));
    await Promise.all(instances.map((instance) => instance.ready));

    // Each registered its extension for no events during INIT, and called next once.
    expect(api.registrations).toHaveLength(INSTANCES);
    for (let i = 0; i < 50 && api.nextCalls.length < INSTANCES; i++)
      await new Promise((r) => setTimeout(r, 10));
    for (const registration of api.registrations) {
      expect(registration).toMatchObject({ name: SHUTDOWN_EXTENSION_NAME, events: [] });
      expect(api.nextCalls).toContain(registration.id);
    }

    const event = authorizerEvent(`Bearer ${key.token}`, 'GET', '/v1/echo/hot');
    const stored = async () =>
      (await t.call<{ key: { calls: number } }>('GET', `/v1/keys/${key.id}`, { token: t.admin })).body.key
        .calls;
    let allowed = 0;
    const refused: string[] = [];
    const shutdowns: Array<{ code: number | null; ms: number; killed: boolean }> = [];
    /** At each shutdown: calls allowed so far that the table did not show yet (counted in memory). */
    const unwritten: number[] = [];
    // Each instance sends back to back (hot after ten in a second); two are shut down halfway, while the
    // others are still busy, and the others at the end — each between invocations, as Lambda shuts down
    // an idle environment.
    await Promise.all(
      instances.map(async (instance, i) => {
        const requests = i < 2 ? REQUESTS / 2 : REQUESTS;
        for (let n = 0; n < requests; n++) {
          const answer = await instance.invoke(event);
          if (answer.effect === 'Allow') allowed++;
          else refused.push(answer.error ?? answer.effect ?? 'unknown');
        }
        const before = allowed;
        unwritten.push(before - (await stored()));
        shutdowns.push(await shutDown(instance));
      }),
    );

    expect(refused).toEqual([]);
    expect(allowed).toBe(REQUESTS * (INSTANCES - 1));
    // Each flushed and exited on its own, inside Lambda's limit.
    for (const s of shutdowns) {
      expect(s.killed, JSON.stringify(shutdowns)).toBe(false);
      expect(s.code).toBe(0);
      expect(s.ms).toBeLessThan(SHUTDOWN_LIMIT_MS);
    }
    // Some calls were only in an instance's memory when it was told to stop…
    expect(Math.max(...unwritten), JSON.stringify(unwritten)).toBeGreaterThan(0);
    // …and every allowed call is on the key's item.
    expect(await stored()).toBe(allowed);
  });
});
