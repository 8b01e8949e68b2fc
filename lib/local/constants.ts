/**
 * Every fixed fact of local mode in one place: the secret names, the local table name, the local AWS
 * identity (region, account, the names and profiles of DynamoDB Local's per-data-folder credential
 * file and of the secrets endpoint's per-run one), the ports (`PORT`, default 8787; the Secrets
 * Manager endpoint on PORT+1 and DynamoDB Local on a free port unless their own variables say
 * otherwise), the data folder and its layout, the start-up notice about DynamoDB Local, and how a host
 * and port become a URL (IPv6 hosts in brackets). `npm start`, `npm run admin-key`, the CLI's `--local` and the tests all read it. It imports
 * nothing heavy, so the CLI bundle can use it.
 */
import { join, resolve } from 'node:path';
import { LocalSetupError } from './errors';

/** The secret holding local mode's admin key (the stack's admin-key secret, locally). */
export const ADMIN_KEY_SECRET_NAME = 'latchkey/admin-key';
/** The secret holding the signing secret that signed-request keys derive from. */
export const SIGNING_SECRET_NAME = 'latchkey/signing-secret';
/** The key table's name in DynamoDB Local. */
export const LOCAL_TABLE_NAME = 'latchkey';

/**
 * DynamoDB Local has no bind option: `npm start` says so in this one line, with what keeps the key
 * table safe and what does not, as does docs/security.md ("Local mode and your network").
 */
export const DYNAMODB_EXPOSURE_NOTICE =
  'Note: DynamoDB Local listens on every network interface (it has no bind option); other credentials see an empty database, not the key table, but anyone who reaches its port can make it write files to the data folder and use memory: use a firewall on untrusted networks.';

/** Local endpoints listen here unless told otherwise. */
export const LOCAL_HOST = '127.0.0.1';
/** The local AWS identity's region and account, as the SDK clients and the secrets' ARNs need them. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
/**
 * DynamoDB Local keeps one database per access key id: local mode's is random, kept in this file of the
 * data folder (mode 0600, AWS shared-credentials format) under this profile (dynamodb/credential.ts).
 */
export const DYNAMODB_CREDENTIALS_FILE = 'dynamodb-credentials';
export const DYNAMODB_PROFILE = 'latchkey-local-dynamodb';
/**
 * The local Secrets Manager endpoint accepts only requests signed (SigV4) with a credential generated at
 * each start and written to this file in the data folder (mode 0600), in the AWS shared-credentials
 * format under this profile: `AWS_SHARED_CREDENTIALS_FILE=.latchkey/credentials aws --profile latchkey-local …`.
 */
export const LOCAL_CREDENTIALS_FILE = 'credentials';
export const LOCAL_PROFILE = 'latchkey-local';
/** The local API Gateway's API id and stage, as they appear in method ARNs and request contexts. */
export const LOCAL_API_ID = 'latchkeylocal';
export const LOCAL_STAGE = 'local';
/** The deployment id request contexts name. */
export const LOCAL_DEPLOYMENT_ID = 'local';

/** Environment variables local mode reads, besides the LATCHKEY_* settings it passes to the handlers. */
export const LOCAL_ENV = {
  gatewayPort: 'PORT',
  secretsPort: 'LATCHKEY_SECRETS_PORT',
  dynamodbPort: 'LATCHKEY_DYNAMODB_PORT',
  dataDir: 'LATCHKEY_DATA_DIR',
  adminKey: 'LATCHKEY_ADMIN_KEY',
} as const;

/** The gateway's port when PORT is not set. */
export const DEFAULT_PORT = 8787;
/** The Secrets Manager endpoint sits this far above the gateway's port by default. */
export const SECRETS_PORT_OFFSET = 1;
/** The data folder when LATCHKEY_DATA_DIR is not set (relative to the working directory). */
export const DEFAULT_DATA_DIR = '.latchkey';

type Env = Record<string, string | undefined>;

export interface LocalPorts {
  gateway: number;
  secrets: number;
  /** 0: a free port, picked at start (no one can predict it from PORT). */
  dynamodb: number;
}

/** The three ports from the environment; a set but invalid value is a LocalSetupError naming its variable. */
export function localPorts(env: Env = process.env): LocalPorts {
  const gateway = portFrom(env, LOCAL_ENV.gatewayPort, DEFAULT_PORT);
  return {
    gateway,
    secrets: portFrom(env, LOCAL_ENV.secretsPort, gateway + SECRETS_PORT_OFFSET),
    dynamodb: portFrom(env, LOCAL_ENV.dynamodbPort, 0),
  };
}

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalSetupError(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The URL of the running local mode's Secrets Manager endpoint, from the same environment `npm start` read. */
export function localSecretsEndpoint(env: Env = process.env): string {
  return httpUrl(LOCAL_HOST, localPorts(env).secrets);
}

/** The data folder, absolute. */
export function localDataDir(env: Env = process.env): string {
  return resolve(env[LOCAL_ENV.dataDir] || DEFAULT_DATA_DIR);
}

/**
 * Where in the data folder DynamoDB Local keeps its database and local mode its credential for it, and
 * the secrets endpoint its secrets and this run's credential.
 */
export function localDataPaths(dataDir: string): {
  dynamodb: string;
  dynamodbCredentials: string;
  secrets: string;
  credentials: string;
} {
  return {
    dynamodb: join(dataDir, 'dynamodb'),
    dynamodbCredentials: join(dataDir, DYNAMODB_CREDENTIALS_FILE),
    secrets: join(dataDir, 'secrets.json'),
    credentials: join(dataDir, LOCAL_CREDENTIALS_FILE),
  };
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:8787`). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `http://host:port`, with an IPv6 host in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${hostPort(host, port)}`;
}

/** The handlers' log lines, appended by local mode (lib/local/log-file.ts), read by `latchkey logs tail`. */
export const LOG_FILE_NAME = 'latchkey.log';
/** Past this size the log file is renamed to `latchkey.log.1` (replacing the previous one) and begun again. */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;

/** The log file in a data folder; its previous part (after a rotation) is this name plus `.1`. */
export function localLogFile(dataDir: string): string {
  return join(dataDir, LOG_FILE_NAME);
}

/** Local mode's event log: one delivered event (EventBridge's envelope) per line, read by `latchkey events tail`. */
export const EVENTS_FILE_NAME = 'events.log';

/** The event log in a data folder; like the log file, its previous part is this name plus `.1`. */
export function localEventsFile(dataDir: string): string {
  return join(dataDir, EVENTS_FILE_NAME);
}

/** The local secret holding the webhook signing secret (`whsec_<base64>`), when none is given. */
export const WEBHOOK_SECRET_NAME = 'latchkey-webhook-secret';
