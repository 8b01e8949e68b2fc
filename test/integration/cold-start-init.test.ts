/**
 * The authorizer's INIT work happens before its first invocation, and a failure there leaves nothing
 * allowed. The built bundle (`dist/lambda/authorizer/index.mjs`, what the stack deploys) runs in a
 * child process with a Lambda function's environment, against DynamoDB Local and the local Secrets
 * Manager endpoint, both reached through a counting proxy on loopback: the proxy sees every AWS call
 * (by its `X-Amz-Target`) and every new connection, and the test reads them between the import (INIT)
 * and the first invocation. The proxy also produces the one fault: Secrets Manager answering 500.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LAMBDA_BUNDLE_DIR } from '#cdk/bundling';
import { SETTINGS } from '#core/settings';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { warmRuntime } from '#lambda/runtime/init';
import { createRuntime } from '#lambda/runtime/runtime';
import { ADMIN_KEY_SECRET_NAME, SIGNING_SECRET_NAME } from '#local/constants';
import { authorizerEvent } from '../helpers/authorizer-event';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';
import { ROOT } from '../helpers/process';

const BUNDLE = join(ROOT, LAMBDA_BUNDLE_DIR, 'authorizer', 'index.mjs');

/** A loopback proxy in front of DynamoDB Local and the secrets endpoint that counts what it forwards. */
interface CountingProxy {
  url: string;
  /** Every AWS call forwarded, as its `X-Amz-Target` (e.g. `DynamoDB_20120810.GetItem`). */
  calls: string[];
  /** Connections accepted. */
  connections: number;
  /** While set, Secrets Manager calls get a 500 InternalServiceError instead of being forwarded. */
  failSecrets: boolean;
  close(): Promise<void>;
}

async function startCountingProxy(targets: { dynamodb: string; secrets: string }): Promise<CountingProxy> {
  const proxy: CountingProxy = {
    url: '',
    calls: [],
    connections: 0,
    failSecrets: false,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    proxy.calls.push(target);
    const isSecrets = target.startsWith('secretsmanager.');
    if (isSecrets && proxy.failSecrets) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalServiceError', message: 'injected by the test' }));
      return;
    }
    const upstream = new URL(req.url ?? '/', isSecrets ? targets.secrets : targets.dynamodb);
    // The Host header goes through unchanged: the client signed it.
    const forward = request(upstream, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', () => {
    proxy.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/**
 * The child: imports the bundle (its INIT), reports on fd 3, then invokes the handler once per line
 * read from stdin and reports each outcome. Its own log lines (stdout, stderr) are kept, not printed.
 */
const CHILD = `
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
const report = (m) => writeSync(3, JSON.stringify(m) + '\\n');
const { handler } = await import(process.env.BUNDLE);
report({ imported: true });
for await (const line of createInterface({ input: process.stdin })) {
  try {
    const result = await handler(JSON.parse(line));
    report({ effect: result.policyDocument.Statement[0].Effect });
  } catch (error) {
    report({ error: error.message });
  }
}
`;

interface BundleChild {
  /** Resolves once the bundle is imported: INIT is over. */
  imported: Promise<void>;
  /** Invokes the handler once: the policy's effect, or the message of what it threw. */
  invoke(event: unknown): Promise<{ effect?: string; error?: string }>;
  stop(): void;
}

function startBundle(env: Record<string, string>): BundleChild {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', BUNDLE, ...env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`the bundle exited with ${code}: ${logs.slice(-2000)}`))),
  );
  exited.catch(() => {});
  const fd3 = child.stdio[3];
  if (!fd3 || !('on' in fd3)) throw new Error('no report pipe');
  createInterface({ input: fd3 as NodeJS.ReadableStream }).on('line', (line) => {
    waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
  });
  const next = () =>
    Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve)), exited]);
  return {
    imported: next().then(() => undefined),
    invoke: (event) => {
      const answer = next();
      child.stdin?.write(`${JSON.stringify(event)}\n`);
      return answer as Promise<{ effect?: string; error?: string }>;
    },
    stop: () => {
      child.kill();
    },
  };
}

describe('the built authorizer bundle in a Lambda environment', () => {
  // One AWS identity for both services, as a Lambda function has (from its environment).
  const t = useLatchkey({ secretsCredential: inject('dynamodbCredential') });
  let proxy: CountingProxy;
  let child: BundleChild | undefined;
  let token: string;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
    proxy = await startCountingProxy({
      dynamodb: t.local.dynamodbEndpoint,
      secrets: t.local.secretsEndpoint,
    });
    token = (await createKey(t.call, t.admin)).token;
  });
  afterAll(() => proxy?.close());
  afterEach(() => {
    child?.stop();
    child = undefined;
    proxy.calls.length = 0;
    proxy.connections = 0;
    proxy.failSecrets = false;
  });

  const lambdaEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: t.local.secretsCredential.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.local.secretsCredential.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [SETTINGS.tableName.env]: t.local.tableName,
    [SETTINGS.adminKeySecretId.env]: ADMIN_KEY_SECRET_NAME,
    [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
    [SETTINGS.dynamodbEndpoint.env]: proxy.url,
    [SETTINGS.secretsEndpoint.env]: proxy.url,
    // Lambda sets it in every function's environment.
    AWS_LAMBDA_FUNCTION_NAME: 'latchkey-authorizer',
    ...extra,
  });

  const snapshot = () => ({ calls: [...proxy.calls].sort(), connections: proxy.connections });
  const since = (before: { calls: string[]; connections: number }) => ({
    calls: proxy.calls.slice(before.calls.length).sort(),
    connections: proxy.connections - before.connections,
  });

  it('fetches both secrets and opens the DynamoDB connection during INIT; the first request makes one call on it', async () => {
    child = startBundle(lambdaEnv());
    await child.imported;
    const init = snapshot();
    expect(init.calls).toEqual([
      'DynamoDB_20120810.GetItem',
      'secretsmanager.GetSecretValue',
      'secretsmanager.GetSecretValue',
    ]);
    // DynamoDB's, and Secrets Manager's two (its two fetches run at once), kept alive.
    expect(init.connections).toBe(3);

    const first = await child.invoke(authorizerEvent(`Bearer ${token}`));
    expect(first).toEqual({ effect: 'Allow' });
    const during = since(init);
    // Its own work only: the verification's one DynamoDB call, on the connection INIT opened.
    expect(during.calls).toHaveLength(1);
    expect(during.calls[0]).toMatch(/^DynamoDB_20120810\./);
    expect(during.connections).toBe(0);
  });

  it('outside a Lambda environment nothing runs at import (the first request does it all)', async () => {
    child = startBundle(lambdaEnv({ AWS_LAMBDA_FUNCTION_NAME: '' }));
    await child.imported;
    expect(snapshot()).toEqual({ calls: [], connections: 0 });
    expect(await child.invoke(authorizerEvent(`Bearer ${token}`))).toEqual({ effect: 'Allow' });
    expect(proxy.calls).toContain('secretsmanager.GetSecretValue');
    expect(proxy.connections).toBe(2);
  });

  it('a Secrets Manager failure during INIT refuses every request with the dependency failure until the secret is back', async () => {
    proxy.failSecrets = true;
    child = startBundle(lambdaEnv());
    await child.imported; // INIT completes: the instance is up, holding no secret
    expect(proxy.calls.filter((c) => c.startsWith('secretsmanager.')).length).toBeGreaterThan(0);

    const before = snapshot();
    for (const credential of [`Bearer ${token}`, `Bearer ${t.admin}`]) {
      // Not Allow, and not the credential failure: the dependency failure (API Gateway: 5xx).
      expect(await child.invoke(authorizerEvent(credential))).toEqual({ error: 'Dependency failure' });
    }
    // Each request tried the secret again.
    expect(since(before).calls).toContain('secretsmanager.GetSecretValue');

    proxy.failSecrets = false;
    expect(await child.invoke(authorizerEvent(`Bearer ${token}`))).toEqual({ effect: 'Allow' });
    expect(await child.invoke(authorizerEvent(`Bearer ${t.admin}`))).toEqual({ effect: 'Allow' });
  });
});

describe('warmRuntime with a failing secret fetch (SDK fault injected)', () => {
  const t = useLatchkey({ settings: { LATCHKEY_SECRET_CACHE_SECONDS: '0' } });

  it('reports the failure without throwing, and the handler built on it refuses until the fetch succeeds', async () => {
    const fault: { error: Error | null } = {
      error: Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
    };
    const secrets = new SecretsManagerClient({
      endpoint: t.local.secretsEndpoint,
      region: 'us-east-1',
      credentials: t.local.secretsCredential,
      maxAttempts: 1,
    });
    secrets.middlewareStack.add(
      (next) => async (args) => {
        if (fault.error) throw fault.error;
        return next(args);
      },
      { step: 'initialize', name: 'faultInjection' },
    );
    const runtime = createRuntime(t.local.config, { secrets, dynamo: t.local.runtime.dynamo });
    expect(await warmRuntime(runtime)).toEqual({ adminKey: 'failed', signingSecret: 'failed', dynamo: 'ok' });

    const handler = createAuthorizerHandler(runtime);
    const key = await createKey(t.call, t.admin);
    await expect(handler(authorizerEvent(`Bearer ${key.token}`))).rejects.toThrow('Dependency failure');
    await expect(handler(authorizerEvent(`Bearer ${t.admin}`))).rejects.toThrow('Dependency failure');

    fault.error = null;
    const allowed = await handler(authorizerEvent(`Bearer ${key.token}`));
    expect(allowed.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });
});
