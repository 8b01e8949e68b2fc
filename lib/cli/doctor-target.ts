/**
 * What `latchkey doctor` checks, and where it reads the authorizer's log: the API's base URL, the admin
 * key and the log source, from one of three places. `--stack NAME`: the stack's CloudFormation outputs
 * (`ApiUrl`, `AdminKeySecretArn`, `AuthorizerLogGroupName`; the admin key read from that secret with the
 * caller's AWS credentials). `--local`: what `npm start` uses (LATCHKEY_URL, else PORT, else 8787; the
 * admin key from local mode's Secrets Manager endpoint, signed with the credential in its data folder;
 * the log file `<data dir>/latchkey.log`). `--url` and `--admin-key` (default $LATCHKEY_KEY) override
 * either, or stand alone (then `--data-dir` names a local log file to read). A secret that cannot be read
 * is not thrown: it becomes the `adminKeyProblem` the first check reports, with the secret's name.
 */
import { resolve } from 'node:path';
import { keyIdOfToken } from '../core/signer';
import {
  ADMIN_KEY_SECRET_NAME,
  DEFAULT_PORT,
  httpUrl,
  LOCAL_ENV,
  LOCAL_HOST,
  localDataDir,
  localLogFile,
} from '../local/constants';
import {
  ADMIN_KEY_OUTPUT,
  localCredential,
  localSecretsPort,
  readLocalSecret,
  readSecret,
} from './admin-key';
import type { Env } from './command';
import { CliError, oneLine, usage } from './errors';
import {
  AUTHORIZER_LOG_GROUP_OUTPUT,
  type AwsClientConfig,
  awsError,
  CLOUDFORMATION_PACKAGE,
  type CloudFormationModule,
} from './logs-aws';

/** The stack output with the API's base URL, stage included (lib/cdk/latchkey-stack.ts). */
export const API_URL_OUTPUT = 'ApiUrl';

/** Where the authorizer's log lines are read from, to explain a failure. */
export type LogSource =
  | { kind: 'file'; path: string }
  | { kind: 'cloudwatch'; logGroup: string; config: AwsClientConfig }
  | { kind: 'none' };

export interface DoctorTarget {
  /** The API's base URL, without a trailing slash (`https://…/prod`, `http://127.0.0.1:8787`). */
  url: string;
  /** How the target was found, for the report: `--stack Latchkey`, `--local`, `--url`. */
  source: string;
  adminKey: string | null;
  /** Why the admin key could not be had: the secret named, and what went wrong reading it. */
  adminKeyProblem: string | null;
  /** Where the admin key came from (a secret's name or ARN, `--admin-key`, `$LATCHKEY_KEY`). */
  adminKeyFrom: string;
  log: LogSource;
}

export interface TargetOptions {
  url?: string | undefined;
  'admin-key'?: string | undefined;
  stack?: string | undefined;
  local?: boolean | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  'data-dir'?: string | undefined;
}

/** Finds the URL, the admin key and the log source; a usage error when the options do not name a target. */
export async function resolveTarget(values: TargetOptions, env: Env): Promise<DoctorTarget> {
  const { stack } = values;
  if (stack !== undefined && values.local === true) throw usage('use either --stack or --local, not both');
  if (stack !== undefined && values['data-dir'] !== undefined)
    throw usage('--data-dir is for local mode; drop it with --stack');
  if (stack !== undefined) return fromStack(stack, values, env);
  if (values.local === true) return fromLocal(values, env);
  const url = values.url ?? env.LATCHKEY_URL;
  if (url === undefined) {
    throw usage(
      'doctor needs --stack NAME, --local, or --url URL with --admin-key (see latchkey doctor --help)',
    );
  }
  const given = givenAdminKey(values, env);
  const dataDir = values['data-dir'];
  return {
    url: baseUrl(url),
    source: values.url === undefined ? '$LATCHKEY_URL' : '--url',
    adminKey: given?.key ?? null,
    adminKeyProblem:
      given === null ? 'no admin key: pass --admin-key, or set LATCHKEY_KEY to the admin key' : null,
    adminKeyFrom: given?.from ?? '-',
    log: dataDir === undefined ? { kind: 'none' } : { kind: 'file', path: localLogFile(resolve(dataDir)) },
  };
}

/** `--admin-key`, else LATCHKEY_KEY when it holds an admin key (not an API-key token). */
function givenAdminKey(values: TargetOptions, env: Env): { key: string; from: string } | null {
  if (values['admin-key'] !== undefined) return { key: values['admin-key'], from: '--admin-key' };
  const fromEnv = env.LATCHKEY_KEY;
  if (fromEnv && keyIdOfToken(fromEnv) === null) return { key: fromEnv, from: '$LATCHKEY_KEY' };
  return null;
}

/** An absolute http(s) URL without a trailing slash; anything else is a usage error. */
function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usage(`--url must be an absolute http(s) URL, e.g. http://127.0.0.1:${DEFAULT_PORT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usage(`--url must be an absolute http(s) URL, e.g. http://127.0.0.1:${DEFAULT_PORT}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw usage('--url must not contain credentials, a query string or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `--local`: the URL `npm start` listens on, its admin-key secret and its log file. */
async function fromLocal(values: TargetOptions, env: Env): Promise<DoctorTarget> {
  const port = env[LOCAL_ENV.gatewayPort] || String(DEFAULT_PORT);
  const url = baseUrl(values.url ?? env.LATCHKEY_URL ?? httpUrl(LOCAL_HOST, Number(port)));
  const dataDir = values['data-dir'] === undefined ? localDataDir(env) : resolve(values['data-dir']);
  const log: LogSource = { kind: 'file', path: localLogFile(dataDir) };
  const given = givenAdminKey(values, env);
  if (given !== null)
    return {
      url,
      source: '--local',
      adminKey: given.key,
      adminKeyProblem: null,
      adminKeyFrom: given.from,
      log,
    };
  const endpoint = `http://${LOCAL_HOST}:${localSecretsPort(env)}`;
  const from = `secret ${ADMIN_KEY_SECRET_NAME} at ${endpoint}`;
  try {
    const credential = localCredential({ ...env, [LOCAL_ENV.dataDir]: dataDir });
    const adminKey = await readLocalSecret(endpoint, credential, ADMIN_KEY_SECRET_NAME);
    return { url, source: '--local', adminKey, adminKeyProblem: null, adminKeyFrom: from, log };
  } catch (error) {
    return {
      url,
      source: '--local',
      adminKey: null,
      adminKeyProblem: problem(error),
      adminKeyFrom: from,
      log,
    };
  }
}

/** `--stack`: the stack's outputs, then the admin key from its secret. */
async function fromStack(stack: string, values: TargetOptions, env: Env): Promise<DoctorTarget> {
  const config: AwsClientConfig = {};
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region) config.region = region;
  if (values.profile) config.profile = values.profile;
  // The SDK's Node-version notice is for developers, not for the operator running this command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const outputs = await stackOutputs(stack, config);
  const apiUrl = values.url ?? outputs[API_URL_OUTPUT];
  if (apiUrl === undefined)
    throw new CliError(
      'not_found',
      `stack ${stack} has no ${API_URL_OUTPUT} output (is it a latchkey stack?)`,
    );
  const logGroup = outputs[AUTHORIZER_LOG_GROUP_OUTPUT];
  const log: LogSource = logGroup === undefined ? { kind: 'none' } : { kind: 'cloudwatch', logGroup, config };
  const url = baseUrl(apiUrl);
  const source = `--stack ${stack}`;
  const given = givenAdminKey(values, env);
  if (given !== null)
    return { url, source, adminKey: given.key, adminKeyProblem: null, adminKeyFrom: given.from, log };
  const secretId = outputs[ADMIN_KEY_OUTPUT];
  if (secretId === undefined) {
    return {
      url,
      source,
      adminKey: null,
      adminKeyProblem: `stack ${stack} has no ${ADMIN_KEY_OUTPUT} output`,
      adminKeyFrom: '-',
      log,
    };
  }
  const from = `secret ${secretId}`;
  try {
    const adminKey = await readSecret(secretId, config, undefined);
    return { url, source, adminKey, adminKeyProblem: null, adminKeyFrom: from, log };
  } catch (error) {
    return { url, source, adminKey: null, adminKeyProblem: problem(error), adminKeyFrom: from, log };
  }
}

/** The stack's outputs by key. Not finding the stack, or AWS, is an error: there is nothing to check. */
async function stackOutputs(stack: string, config: AwsClientConfig): Promise<Record<string, string>> {
  // Optional for latchkey's users: loaded only here, so every other command works without it.
  const specifier: string = CLOUDFORMATION_PACKAGE;
  let cfn: CloudFormationModule;
  try {
    cfn = (await import(specifier)) as CloudFormationModule;
  } catch {
    throw new CliError(
      'missing_dependency',
      `doctor --stack needs ${CLOUDFORMATION_PACKAGE} (npm install ${CLOUDFORMATION_PACKAGE}); or pass --url and --admin-key`,
    );
  }
  const client = new cfn.CloudFormationClient(config);
  try {
    const described = (await client.send(new cfn.DescribeStacksCommand({ StackName: stack }))) as {
      Stacks?: Array<{ Outputs?: Array<{ OutputKey?: string; OutputValue?: string }> }>;
    };
    const outputs: Record<string, string> = {};
    for (const o of described.Stacks?.[0]?.Outputs ?? [])
      if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
    return outputs;
  } catch (error) {
    throw awsError(error, `describing stack ${stack}`);
  } finally {
    client.destroy();
  }
}

/** What went wrong reading the admin-key secret, as one line. */
function problem(error: unknown): string {
  if (error instanceof CliError) return `${error.code}: ${oneLine(error.message)}`;
  return oneLine(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
