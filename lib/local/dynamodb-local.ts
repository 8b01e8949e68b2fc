/**
 * AWS's own DynamoDB Local, obtained lazily from the npm package that ships its jar, started as a child
 * process, and the key table created in it exactly as the CDK stack defines it.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../../lambdas/core/table';

/** A local-mode prerequisite is missing or misconfigured; `message` is one line telling the user what to do. */
export class LocalSetupError extends Error {
  override name = 'LocalSetupError';
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Folder for the database file; null or undefined: in memory. */
  dataDir?: string | null;
  /** Host used in the returned endpoint and for the port check (default 127.0.0.1). */
  host?: string;
  /** Environment variable to suggest when the port is busy. */
  portEnvName?: string;
}

const PACKAGE_SPEC = 'amplify-dynamodb-simulator@2.9.30';
const PACKAGE_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
const CACHE_NAME = 'dynamodb-local-2.9.30';
const JAR = 'DynamoDBLocal.jar';
const LIB_DIR = 'DynamoDBLocal_lib';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const JAVA_INSTALL_HINT = 'install it (e.g. `apt-get install openjdk-17-jre-headless`) and retry';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Dummy credentials: DynamoDB Local accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

// ---------------------------------------------------------------------------------------------------
// Obtaining the jar

let ensurePromise: Promise<string> | undefined;

/** Returns the folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, downloading it on first use. */
export function ensureDynamoDbLocal(): Promise<string> {
  ensurePromise ??= obtainDynamoDbLocal().catch((err: unknown) => {
    ensurePromise = undefined;
    throw err;
  });
  return ensurePromise;
}

function cacheDir(): string {
  const override = process.env.LATCHKEY_DYNAMODB_LOCAL_DIR;
  if (override) return resolve(override);
  return join(repoRoot, 'node_modules', '.cache', 'latchkey', CACHE_NAME);
}

async function obtainDynamoDbLocal(): Promise<string> {
  const target = cacheDir();
  if (existsSync(join(target, JAR))) return target;

  const parent = resolve(target, '..');
  await mkdir(parent, { recursive: true });
  const downloadDir = await mkdtemp(join(tmpdir(), 'latchkey-ddb-'));
  // Extract next to the target (same filesystem) so the final rename is atomic.
  const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const tarball = await npmPack(downloadDir);
    const actual = await sha512Integrity(tarball);
    if (actual !== PACKAGE_INTEGRITY) {
      throw new LocalSetupError(
        `DynamoDB Local download (${PACKAGE_SPEC}) failed its integrity check (expected ${PACKAGE_INTEGRITY}, got ${actual}): refusing to use it`,
      );
    }
    await mkdir(staging);
    await run('tar', ['-xzf', tarball, '-C', staging, '--strip-components=2', 'package/emulator'], {
      what: 'extracting DynamoDB Local with tar',
    });
    if (!existsSync(join(staging, JAR)) || !existsSync(join(staging, LIB_DIR))) {
      throw new LocalSetupError(
        `${PACKAGE_SPEC} does not contain emulator/${JAR}: cannot run DynamoDB Local`,
      );
    }
    try {
      await rename(staging, target);
    } catch (err) {
      // Another process won the race: use its copy.
      if (!existsSync(join(target, JAR))) {
        throw new LocalSetupError(
          `Could not install DynamoDB Local into ${target} (${errorCode(err)}): delete that folder and retry`,
        );
      }
    }
    return target;
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

async function npmPack(destination: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['pack', PACKAGE_SPEC, '--pack-destination', destination, '--silent'], {
    what: `downloading DynamoDB Local (npm pack ${PACKAGE_SPEC})`,
    cwd: repoRoot,
    shell: process.platform === 'win32',
  });
  const tarballs = (await readdir(destination)).filter((f) => f.endsWith('.tgz'));
  const tarball = tarballs[0];
  if (tarballs.length !== 1 || !tarball) {
    throw new LocalSetupError(`npm pack ${PACKAGE_SPEC} produced no tarball: check npm and retry`);
  }
  return join(destination, tarball);
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

function run(
  command: string,
  args: string[],
  opts: { what: string; cwd?: string; shell?: boolean },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd: opts.cwd, shell: opts.shell, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) {
          resolvePromise({ stdout, stderr });
          return;
        }
        const code = errorCode(err);
        const detail =
          code === 'ENOENT'
            ? `${command} not found on PATH`
            : firstErrorLine(stderr) || lastLine(stdout) || code;
        reject(new LocalSetupError(`Failed ${opts.what}: ${detail}`));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------
// Java

let javaChecked: Promise<void> | undefined;

function checkJava(): Promise<void> {
  javaChecked ??= new Promise<void>((resolvePromise, reject) => {
    execFile('java', ['-version'], (err, stdout, stderr) => {
      if (err && errorCode(err) === 'ENOENT') {
        reject(new LocalSetupError(`Java 17 or newer is required for DynamoDB Local: ${JAVA_INSTALL_HINT}`));
        return;
      }
      const major = parseJavaMajor(`${stderr}\n${stdout}`);
      if (major === undefined) {
        reject(
          new LocalSetupError(
            `Could not determine the Java version (\`java -version\` said: ${lastLine(stderr) || 'nothing'}); Java 17 or newer is required for DynamoDB Local: ${JAVA_INSTALL_HINT}`,
          ),
        );
      } else if (major < 17) {
        reject(
          new LocalSetupError(
            `Java 17 or newer is required for DynamoDB Local (found Java ${major}): ${JAVA_INSTALL_HINT}`,
          ),
        );
      } else {
        resolvePromise();
      }
    });
  }).catch((err: unknown) => {
    javaChecked = undefined;
    throw err;
  });
  return javaChecked;
}

/** `openjdk version "17.0.15"` → 17; `java version "1.8.0_292"` → 8; `openjdk version "21" …` → 21. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

// ---------------------------------------------------------------------------------------------------
// Ports

/** Rejects with a LocalSetupError when something already listens on `port`. */
export async function assertPortFree(port: number, portEnvName?: string): Promise<void> {
  const free = await new Promise<boolean>((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => {
      if (errorCode(err) === 'EADDRINUSE' || errorCode(err) === 'EACCES') resolvePromise(false);
      else reject(err);
    });
    // No host: all interfaces, as DynamoDB Local binds them all.
    server.listen({ port, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
  if (!free) throw portBusyError(port, portEnvName);
}

export function portBusyError(port: number, portEnvName?: string): LocalSetupError {
  const fix = portEnvName ? `set ${portEnvName} to another port` : 'choose another port';
  return new LocalSetupError(`Port ${port} is already in use: stop whatever is using it or ${fix}`);
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Process

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a JVM behind when this process ends without calling stop().
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  child.once('exit', () => running.delete(child));
}

/** Starts DynamoDB Local and resolves once it answers requests. */
export async function startDynamoDbLocal(opts: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const host = opts.host ?? '127.0.0.1';
  const fixedPort = opts.port ? opts.port : undefined;
  // A DynamoDB Local left running on this data by a local mode that was killed hard (SIGKILL skips
  // every exit hook) would hold the port and the database: stop it first.
  if (opts.dataDir) await reapOrphan(opts.dataDir);
  if (fixedPort !== undefined) await assertPortFree(fixedPort, opts.portEnvName);
  await checkJava();
  const dir = await ensureDynamoDbLocal();
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });

  // A picked port can be taken between the check and the JVM's bind: retry a few times.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    try {
      return await launch(dir, host, port, opts.dataDir ?? null);
    } catch (err) {
      const bindFailure = err instanceof BindError;
      if (bindFailure && fixedPort !== undefined) throw portBusyError(port, opts.portEnvName);
      if (!bindFailure || attempt >= 3) throw err instanceof BindError ? err.setupError : err;
    }
  }
}

class BindError extends Error {
  constructor(readonly setupError: LocalSetupError) {
    super(setupError.message);
  }
}

async function launch(
  dir: string,
  host: string,
  port: number,
  dataDir: string | null,
): Promise<DynamoDbLocal> {
  const args = [
    '-Xmx256m',
    `-Djava.library.path=${join(dir, LIB_DIR)}`,
    '-jar',
    join(dir, JAR),
    '-port',
    String(port),
    '-disableTelemetry',
    ...(dataDir ? ['-dbPath', resolve(dataDir)] : ['-inMemory']),
    '-sharedDb',
  ];
  const child = spawn('java', args, {
    cwd: dir,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const stdoutTail = tail(child.stdout);
  const stderrTail = tail(child.stderr);

  let exited = false;
  const exitPromise = new Promise<void>((resolvePromise) => {
    child.once('exit', () => {
      exited = true;
      resolvePromise();
    });
    child.once('error', () => {
      exited = true;
      resolvePromise();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exitPromise;
        clearTimeout(timer);
      }
      running.delete(child);
    })();
    return stopping;
  };

  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (exited) {
        const output = stderrTail() || stdoutTail();
        const message = `DynamoDB Local exited before it was ready (exit code ${child.exitCode ?? child.signalCode}): ${output || 'no output'}`;
        if (/address already in use|BindException/i.test(output))
          throw new BindError(new LocalSetupError(message));
        throw new LocalSetupError(message);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        // Not answering yet.
      }
      if (Date.now() > deadline) {
        await stop();
        throw new LocalSetupError(
          `DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s: ${stderrTail() || stdoutTail() || 'no output'}`,
        );
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }

  if (dataDir && child.pid) {
    const pidFile = join(dataDir, PID_FILE);
    writeFileSync(pidFile, String(child.pid));
    void exitPromise.then(() => rmSync(pidFile, { force: true }));
  }
  return { endpoint, port, pid: child.pid ?? 0, stop };
}

/** Records the JVM serving a data folder, so that a later start can stop one left behind. */
const PID_FILE = 'dynamodb-local.pid';

/** Stops a DynamoDB Local recorded in `dataDir` if it is still running on that very folder. */
async function reapOrphan(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, PID_FILE);
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const commandLine = (): string => {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return ''; // no such process
    }
  };
  if (Number.isInteger(pid) && pid > 1) {
    const args = commandLine();
    if (args.includes(JAR) && args.includes(resolve(dataDir))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && commandLine() !== ''; i++) await sleep(100);
    }
  }
  rmSync(pidFile, { force: true });
}

/** Keeps the last few lines of a stream; returns them joined on one line. */
function tail(stream: NodeJS.ReadableStream | null, maxChars = 2_000): () => string {
  let buf = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buf = (buf + chunk).slice(-maxChars);
  });
  return () =>
    buf
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-5)
      .join(' | ');
}

// ---------------------------------------------------------------------------------------------------
// Table

/** Creates the key table (idempotent): pk/sk, GSI `gsi1`, on-demand billing, TTL on `ttl`. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, ttlAttribute, gsi1 } = TABLE_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'S' },
          { AttributeName: gsi1.partitionKey, AttributeType: 'S' },
          { AttributeName: gsi1.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi1.name,
            KeySchema: [
              { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }

  for (let i = 0; ; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (i >= 600) throw new Error(`Table ${tableName} did not become ACTIVE`);
    await sleep(100);
  }

  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    if (!(errorName(err) === 'ValidationException' && /already enabled/i.test(String(errorMessage(err))))) {
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : String(err);
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function errorMessage(err: unknown): string | undefined {
  return err instanceof Error ? err.message : undefined;
}

/** The first line that reads like an error (npm prints warnings first), else the last line. */
function firstErrorLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /\berr(or|!)/i.test(l)) ?? lines.pop() ?? '';
}

function lastLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}
