/**
 * Local mode in the foreground, as `npm start` (bin/start.ts) and `latchkey dev` (lib/cli/dev.ts) run
 * it: read PORT, LATCHKEY_DATA_DIR and the LATCHKEY_* settings from the environment, start local mode
 * (lib/local/local-mode.ts), print the banner (endpoints, data folder, the admin key once, how to call
 * it from the CLI), then one access line per request (lib/local/access-log.ts) in place of the handlers'
 * JSON lines, which still go to `<data dir>/latchkey.log`, until SIGINT, SIGTERM or the given signal.
 * `npm run build` also bundles this module with its dependencies (dist/local/mode/index.js), so that
 * `npx latchkey dev` works from an installed package, which has no dev dependencies.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRoute } from '../core/routes';
import { SETTINGS } from '../core/settings';
import { createAccessLog } from './access-log';
import { HTTP_API_REQUEST_ID_HEADER } from './apigw-http';
import {
  ADMIN_KEY_SECRET_NAME,
  DYNAMODB_EXPOSURE_NOTICE,
  DYNAMODB_PROFILE,
  LOCAL_ENV,
  LOCAL_PROFILE,
  LOCAL_REGION,
  localDataDir,
  localDataPaths,
  localLogFile,
  localPorts,
} from './constants';
import { LocalSetupError } from './errors';
import { startLocalMode } from './local-mode';
import { watchHandlerLines } from './log-file';

/** Where local mode reads its settings and writes its banner and access lines. */
export interface DevIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Writes one line (no newline at the end). */
  out(line: string): void;
  /** The folder the printed commands are meant to be run from (default: the working directory). */
  cwd?: string;
}

export interface DevRun {
  url: string;
  stop(): Promise<void>;
}

/** LATCHKEY_* variables that configure local mode itself rather than the handlers. */
const LOCAL_ONLY_ENV: readonly string[] = [LOCAL_ENV.adminKey, LOCAL_ENV.dataDir];
/** Node's own events for every HTTP server of this process (no change to the gateway needed). */
const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/** The latchkey package this module belongs to (a checkout, or node_modules/latchkey). */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && /"name":\s*"latchkey"/.test(readFileSync(file, 'utf8'))) return dir;
    if (dirname(dir) === dir) throw new Error('latchkey: cannot find its own package.json');
  }
}

/**
 * How to run the CLI from `cwd`: `npx latchkey` (npm's start-up costs about a second a call) and, for
 * scripts and loops, its launcher run by node directly.
 */
export function cliCommands(cwd: string): { npx: string; direct: string } {
  const absolute = join(packageRoot(), 'bin', 'latchkey-cli.mjs');
  const near = relative(cwd, absolute);
  const launcher = near.startsWith('..') || isAbsolute(near) ? absolute : near;
  return { npx: 'npx latchkey', direct: `node ${launcher}` };
}

/** The variables a later command needs to find this run, when they differ from the defaults. */
function sameRunEnv(env: DevIo['env']): string {
  const names = [LOCAL_ENV.gatewayPort, LOCAL_ENV.secretsPort, LOCAL_ENV.dataDir];
  return names
    .filter((name) => env[name])
    .map((name) => `${name}=${env[name]} `)
    .join('');
}

/** Starts local mode, prints its banner, and prints an access line per request until stopped. */
export async function startDev(io: DevIo): Promise<DevRun> {
  const { env } = io;
  // The AWS SDK's notice about Node versions it will stop supporting is for developers of latchkey,
  // not for people running it (docs/operations.md "Node.js versions"); set before any SDK client is built.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const ports = localPorts(env);
  const dataDir = localDataDir(env);
  const paths = localDataPaths(dataDir);
  const settings = Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] =>
        e[0].startsWith('LATCHKEY_') && e[1] !== undefined && !LOCAL_ONLY_ENV.includes(e[0]),
    ),
  );
  const adminKey = env[LOCAL_ENV.adminKey];
  // Handler lines written while local mode starts (the expiry scan's) go to the log file, not the
  // terminal, as every later one does.
  const showHandlerLines = watchHandlerLines(() => undefined, { hideFromTerminal: true });
  const local = await startLocalMode({
    dataDir,
    port: ports.gateway,
    secretsPort: ports.secrets,
    dynamodbPort: ports.dynamodb,
    settings,
    ...(adminKey ? { adminKey } : {}),
    portEnvNames: {
      gateway: LOCAL_ENV.gatewayPort,
      secrets: LOCAL_ENV.secretsPort,
      dynamodb: LOCAL_ENV.dynamodbPort,
    },
  }).finally(showHandlerLines);

  const out = io.out;
  const cli = cliCommands(io.cwd ?? process.cwd());
  const prefix = sameRunEnv(env);
  out(
    `DynamoDB Local:           ${local.dynamodbEndpoint} (data in ${paths.dynamodb}; the key table is in the database of ` +
      `the credential in ${paths.dynamodbCredentials}, mode 0600, profile ${DYNAMODB_PROFILE})`,
  );
  out(DYNAMODB_EXPOSURE_NOTICE);
  out(`Secrets Manager endpoint: ${local.secretsEndpoint} (secrets in ${paths.secrets})`);
  out(
    `It accepts only requests signed with this run's credential: ${paths.credentials} (mode 0600, profile ${LOCAL_PROFILE})`,
  );
  if (local.adminKeyGenerated) {
    out(`Admin key (generated now, shown once here): ${local.adminKey}`);
  }
  out(
    `Admin key is stored as secret ${ADMIN_KEY_SECRET_NAME}; read it with: ${prefix}${cli.npx} admin-key --local ` +
      `(or AWS_SHARED_CREDENTIALS_FILE=${paths.credentials} aws --profile ${LOCAL_PROFILE} secretsmanager get-secret-value ` +
      `--endpoint-url ${local.secretsEndpoint} --region ${LOCAL_REGION} --secret-id ${ADMIN_KEY_SECRET_NAME} --query SecretString --output text)`,
  );
  out(`latchkey console: ${local.url}${findRoute('console').path}`);
  out(`latchkey OpenAPI document: ${local.url}${findRoute('getOpenApi').path}`);
  out(
    `CLI: export LATCHKEY_URL=${local.url}; ${cli.npx} whoami ` +
      `(in scripts, without npm's start-up: ${cli.direct} whoami)`,
  );
  out(
    `One line per request below; the handlers' log lines go to ${localLogFile(dataDir)} (${cli.npx} logs tail)`,
  );
  if (local.apiType === 'http')
    out(`Local gateway answers as an API Gateway HTTP API (${SETTINGS.apiType.env}=http)`);
  out(`latchkey listening on ${local.url}`);

  const stopAccessLog = printAccessLines(local.url, out);
  let stopped: Promise<void> | null = null;
  return {
    url: local.url,
    stop() {
      stopped ??= (async () => {
        stopAccessLog();
        await local.stop();
      })();
      return stopped;
    },
  };
}

/** The gateway's request id: a REST API names it `x-amzn-requestid`, an HTTP API `apigw-requestid`. */
function requestIdOf(header: (name: string) => unknown): string | null {
  for (const name of ['x-amzn-requestid', HTTP_API_REQUEST_ID_HEADER]) {
    const value = header(name);
    if (typeof value === 'string') return value;
  }
  return null;
}

/**
 * Prints one access line per request the gateway at `url` answers, with the reason and key id its
 * handlers logged, and keeps those JSON lines off the terminal. Returns the function that stops it.
 */
function printAccessLines(url: string, out: (line: string) => void): () => void {
  const port = Number(new URL(url).port);
  const log = createAccessLog();
  const started = new WeakMap<ServerResponse, { at: bigint; requestId: string | null }>();
  const ours = (server: Server) => (server.address() as AddressInfo | null)?.port === port;
  const onStart = (message: unknown) => {
    const { response, server } = message as { response: ServerResponse; server: Server };
    if (!ours(server)) return;
    const entry = { at: process.hrtime.bigint(), requestId: null as string | null };
    started.set(response, entry);
    // The gateway passes its headers to writeHead, where getHeader cannot see them: note its request id there.
    const writeHead = response.writeHead;
    response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const headers = args.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
      const id = requestIdOf((name) => (headers as Record<string, unknown> | undefined)?.[name]);
      if (id !== null) entry.requestId = id;
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof response.writeHead;
  };
  const onFinish = (message: unknown) => {
    const { request, response, server } = message as {
      request: IncomingMessage;
      response: ServerResponse;
      server: Server;
    };
    if (!ours(server)) return;
    const begun = started.get(response);
    const header = requestIdOf((name) => response.getHeader(name));
    out(
      log.finished({
        method: request.method ?? '-',
        url: request.url ?? '/',
        status: response.statusCode,
        requestId: begun?.requestId ?? header,
        ms: begun === undefined ? 0 : Number(process.hrtime.bigint() - begun.at) / 1e6,
      }),
    );
  };
  const unwatch = watchHandlerLines((line) => log.handlerLine(line), { hideFromTerminal: true });
  subscribe(REQUEST_START, onStart);
  subscribe(RESPONSE_FINISH, onFinish);
  return () => {
    unsubscribe(REQUEST_START, onStart);
    unsubscribe(RESPONSE_FINISH, onFinish);
    unwatch();
  };
}

/**
 * Runs local mode until SIGINT or SIGTERM (or `signal`, for callers that stop it themselves), then
 * stops everything it started.
 */
export async function runDev(io: DevIo & { signal?: AbortSignal }): Promise<void> {
  const run = await startDev(io);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      io.signal?.removeEventListener('abort', done);
      resolve();
    };
    if (io.signal?.aborted) return done();
    io.signal?.addEventListener('abort', done);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  io.out('latchkey: shutting down');
  await run.stop();
}

/** The one line to print when local mode cannot start. */
export function startFailure(error: unknown): string {
  if (error instanceof LocalSetupError) return `latchkey: ${error.message}`;
  return `latchkey: could not start: ${error instanceof Error ? error.message : String(error)}`;
}
