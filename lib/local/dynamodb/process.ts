/**
 * DynamoDB Local as a child process: started on a given or free port, in memory or on a data folder,
 * with a database per access key id (no `-sharedDb`: the caller's credential, credential.ts, selects
 * its own), and resolved once it answers requests; stopped on stop() or when this process exits. A data
 * folder records the JVM's pid, so that a start after a hard kill (SIGKILL skips every exit hook) stops
 * the one left behind before it claims the port and the database; a data folder's `-sharedDb` database
 * from before is adopted by the credential.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { httpUrl, LOCAL_HOST, LOCAL_REGION } from '../constants';
import { LocalSetupError } from '../errors';
import { outputTail } from '../exec';
import { assertPortFree, freePort, portBusyError } from '../net';
import { type LocalDynamoDbCredential, newDynamoDbCredential } from './credential';
import { ensureDynamoDbLocal, JAR, LIB_DIR } from './jar';
import { checkJava } from './java';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  /** The credential whose database the caller uses (as given, or new). */
  credential: LocalDynamoDbCredential;
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
  /** The credential whose database the caller will use; default a new one. */
  credential?: LocalDynamoDbCredential;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** Records the JVM serving a data folder, so that a later start can stop one left behind. */
const PID_FILE = 'dynamodb-local.pid';
/**
 * The one database file of DynamoDB Local started with `-sharedDb`, as local mode did before it gave
 * each data folder a credential; without it, each access key id and region has its own file,
 * `<access key id>_<region>.db` (AWS: "DynamoDB local usage notes", `-sharedDb`).
 */
const SHARED_DB_FILE = 'shared-local-instance.db';

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
  const host = opts.host ?? LOCAL_HOST;
  const fixedPort = opts.port ? opts.port : undefined;
  const credential = opts.credential ?? newDynamoDbCredential();
  // A DynamoDB Local left running on this data by a local mode that was killed hard (SIGKILL skips
  // every exit hook) would hold the port and the database: stop it first.
  if (opts.dataDir) await reapOrphan(opts.dataDir);
  if (opts.dataDir) adoptSharedDatabase(opts.dataDir, credential);
  if (fixedPort !== undefined) await assertPortFree(fixedPort, opts.portEnvName);
  await checkJava();
  const dir = await ensureDynamoDbLocal();
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });

  // A picked port can be taken between the check and the JVM's bind: retry a few times.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    try {
      return await launch(dir, host, port, opts.dataDir ?? null, credential);
    } catch (err) {
      const bindFailure = err instanceof BindError;
      if (bindFailure && fixedPort !== undefined) throw portBusyError(port, opts.portEnvName);
      if (!bindFailure || attempt >= 3) throw err instanceof BindError ? err.setupError : err;
    }
  }
}

/** The JVM exited because its port was taken. */
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
  credential: LocalDynamoDbCredential,
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
    // No -sharedDb: a database per access key id and region, so a request that does not carry the
    // caller's (random) key id finds none of its tables. DynamoDB Local checks no signature and has no
    // bind option: this is what keeps its data from whoever else reaches the port.
  ];
  const child = spawn('java', args, {
    cwd: dir,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const stdoutTail = outputTail(child.stdout);
  const stderrTail = outputTail(child.stderr);

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

  const endpoint = httpUrl(host, port);
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    // The caller's own: another key id would make DynamoDB Local create an empty database for it.
    credentials: credential,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
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
  return { endpoint, port, pid: child.pid ?? 0, credential, stop };
}

/**
 * Gives a data folder's `-sharedDb` database (from before it had a credential) to `credential`, whose
 * database it becomes, unless that one already exists. The keys made before carry on working.
 */
function adoptSharedDatabase(dataDir: string, credential: LocalDynamoDbCredential): void {
  const shared = join(dataDir, SHARED_DB_FILE);
  const own = join(dataDir, `${credential.accessKeyId}_${LOCAL_REGION}.db`);
  if (existsSync(shared) && !existsSync(own)) renameSync(shared, own);
}

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
