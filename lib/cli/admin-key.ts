/**
 * `latchkey admin-key`: reads the admin key the way an operator does, from Secrets Manager with the
 * caller's AWS credentials: a deployed stack's secret (by id, or found from the stack's outputs, which
 * needs the optional @aws-sdk/client-cloudformation) or local mode's endpoint (`--local`: signed with the
 * per-run credential `npm start` writes to its data folder, by lib/local/secrets/client.ts, so that it
 * needs no AWS SDK). It prints the key and nothing else. AWS failures become one-line errors (network,
 * not found, credentials).
 */
import {
  ADMIN_KEY_SECRET_NAME,
  LOCAL_PROFILE,
  LOCAL_REGION,
  localDataDir,
  localDataPaths,
} from '../local/constants';
import { getLocalSecret, LocalSecretsError } from '../local/secrets/client';
import { readCredentialFile } from '../local/secrets/credential';
import { defineCommand, type Env } from './command';
import { CliError, usage } from './errors';
import { toJson } from './format';
import { flag, text } from './options';

/** The stack output naming the admin-key secret (lib/cdk/latchkey-stack.ts). */
export const ADMIN_KEY_OUTPUT = 'AdminKeySecretArn';
const CLOUDFORMATION_PACKAGE = '@aws-sdk/client-cloudformation';

/** The AWS SDK client configuration both clients here take. */
type AwsClientConfig = Record<string, unknown>;

/** The part of @aws-sdk/client-cloudformation used here (it is not a dependency, so not typed by it). */
interface CloudFormationModule {
  CloudFormationClient: new (
    config: AwsClientConfig,
  ) => {
    send(
      command: unknown,
    ): Promise<{ Stacks?: Array<{ Outputs?: Array<{ OutputKey?: string; OutputValue?: string }> }> }>;
    destroy(): void;
  };
  DescribeStacksCommand: new (input: { StackName: string }) => unknown;
}

export const adminKey = defineCommand({
  name: 'admin-key',
  summary: 'print the admin key from Secrets Manager (deployed stack or local mode)',
  usage:
    'latchkey admin-key (--stack NAME | --secret-id ID | --local | --endpoint-url URL) [--region R] [--profile P]',
  description:
    'Reads the admin key the way an operator does: from Secrets Manager, with your AWS credentials.\n' +
    "  --secret-id   the secret (the stack's AdminKeySecretArn output)\n" +
    "  --stack       find the secret from the stack's outputs (needs @aws-sdk/client-cloudformation)\n" +
    "  --local       local mode's endpoint: port LATCHKEY_SECRETS_PORT, else PORT+1, else LATCHKEY_URL's port+1 (8788),\n" +
    '                signed with the credential npm start wrote to $LATCHKEY_DATA_DIR/credentials (default .latchkey)\n' +
    `  --endpoint-url  any Secrets Manager endpoint, with your AWS credentials (local mode: --profile ${LOCAL_PROFILE}\n` +
    '                and AWS_SHARED_CREDENTIALS_FILE=.latchkey/credentials); default secret latchkey/admin-key\n' +
    'It prints the key and nothing else, so that ADMIN_KEY=$(latchkey admin-key …) works.',
  args: [],
  api: false,
  options: {
    stack: text('NAME', 'CloudFormation stack name (e.g. Latchkey)'),
    'secret-id': text('ID', 'secret name or ARN'),
    local: flag("local mode's Secrets Manager endpoint"),
    'endpoint-url': text('URL', 'Secrets Manager endpoint (local mode)'),
    region: text('REGION', 'AWS region (default: $AWS_REGION)'),
    profile: text('PROFILE', 'AWS profile (default: $AWS_PROFILE)'),
  },
  examples: [
    'latchkey admin-key --local',
    'latchkey admin-key --stack Latchkey --region eu-west-1',
    'latchkey admin-key --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeyAdminKey-AbCdEf',
  ],
  async run(ctx) {
    const { values, env } = ctx;
    const { stack, profile } = values;
    const endpoint = values.local ? localEndpoint(values['endpoint-url'], env) : values['endpoint-url'];
    if (stack !== undefined && values['secret-id'] !== undefined)
      throw usage('use either --stack or --secret-id, not both');
    if (stack !== undefined && endpoint !== undefined)
      throw usage('--stack reads a deployed stack; drop --local/--endpoint-url');
    if (stack === undefined && values['secret-id'] === undefined && endpoint === undefined) {
      throw usage('admin-key needs --stack NAME, --secret-id ID or --local (see latchkey admin-key --help)');
    }
    if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
      throw usage('--endpoint-url must be an http(s) URL');
    const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const clientConfig: AwsClientConfig = {};
    if (region) clientConfig.region = region;
    if (profile) clientConfig.profile = profile;

    // The SDK's Node-version notice is for developers, not for the operator running this command.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    if (endpoint !== undefined) {
      clientConfig.endpoint = endpoint;
      clientConfig.region ??= LOCAL_REGION;
    }
    if (values.local && endpoint !== undefined) {
      const secretId = values['secret-id'] ?? ADMIN_KEY_SECRET_NAME;
      const value = await readLocalSecret(endpoint, localCredential(env), secretId);
      ctx.out(ctx.json ? toJson({ admin_key: value, secret_id: secretId }) : value);
      return;
    }
    // Without --stack, either --secret-id or an endpoint was given (checked above).
    const secretId =
      stack !== undefined
        ? await secretFromStack(stack, clientConfig)
        : (values['secret-id'] ?? ADMIN_KEY_SECRET_NAME);
    const value = await readSecret(secretId, clientConfig, endpoint);
    ctx.out(ctx.json ? toJson({ admin_key: value, secret_id: secretId }) : value);
  },
});

/** `--local`: local mode's Secrets Manager endpoint, next to its API port. */
function localEndpoint(endpointUrl: string | undefined, env: Env): string {
  if (endpointUrl !== undefined) throw usage('use either --local or --endpoint-url');
  return `http://127.0.0.1:${localSecretsPort(env)}`;
}

/** `--local`: the credential the running `npm start` wrote to its data folder, or one line saying why not. */
export function localCredential(env: Env) {
  const file = localDataPaths(localDataDir(env)).credentials;
  const credential = readCredentialFile(file);
  if (!credential) {
    throw new CliError(
      'local_credentials',
      `cannot read local mode's credential ${file} (is \`npm start\` running? set LATCHKEY_DATA_DIR if it uses another folder)`,
    );
  }
  return credential;
}

/**
 * Local mode's secrets port: LATCHKEY_SECRETS_PORT, else the API port + 1, the API port being PORT or
 * the port of LATCHKEY_URL (what `npm start` printed), else 8787.
 */
export function localSecretsPort(env: Env): string {
  if (env.LATCHKEY_SECRETS_PORT) return env.LATCHKEY_SECRETS_PORT;
  let apiPort = env.PORT;
  if (!apiPort && env.LATCHKEY_URL) {
    try {
      apiPort = new URL(env.LATCHKEY_URL).port || undefined;
    } catch {
      apiPort = undefined;
    }
  }
  return String(Number(apiPort || 8787) + 1);
}

/** `--local`: a secret (the admin key) from local mode's endpoint, without the AWS SDK. */
export async function readLocalSecret(
  endpoint: string,
  credential: ReturnType<typeof localCredential>,
  secretId: string,
): Promise<string> {
  let value: string | undefined;
  try {
    value = await getLocalSecret(endpoint, credential, secretId);
  } catch (error) {
    if (!(error instanceof LocalSecretsError)) throw error;
    const doing = `reading secret ${secretId} from ${endpoint}`;
    if (error.type === 'NetworkError') {
      throw new CliError('network_error', `${doing}: ${error.message} (is \`npm start\` running?)`);
    }
    if (error.type === 'ResourceNotFoundException')
      throw new CliError('not_found', `${doing}: ${error.message}`);
    throw new CliError('aws_error', `${doing}: ${error.type}: ${error.message}`);
  }
  if (!value) throw new CliError('secret_empty', `secret ${secretId} has no string value`);
  return value;
}

export async function readSecret(id: string, clientConfig: AwsClientConfig, endpoint: string | undefined) {
  let sm: typeof import('@aws-sdk/client-secrets-manager');
  try {
    sm = await import('@aws-sdk/client-secrets-manager');
  } catch {
    throw new CliError(
      'missing_dependency',
      'admin-key needs @aws-sdk/client-secrets-manager (npm install @aws-sdk/client-secrets-manager)',
    );
  }
  const client = new sm.SecretsManagerClient(clientConfig);
  let value: string | undefined;
  try {
    const out = await client.send(new sm.GetSecretValueCommand({ SecretId: id }));
    value = out.SecretString;
  } catch (error) {
    throw awsError(error, `reading secret ${id}${endpoint ? ` from ${endpoint}` : ''}`, endpoint);
  } finally {
    client.destroy();
  }
  if (!value) throw new CliError('secret_empty', `secret ${id} has no string value`);
  return value;
}

async function secretFromStack(stack: string, clientConfig: AwsClientConfig): Promise<string> {
  // Not a dependency of latchkey (yet): loaded only here, so every other command works without it.
  const specifier: string = CLOUDFORMATION_PACKAGE;
  let cfn: CloudFormationModule;
  try {
    cfn = await import(specifier);
  } catch {
    throw new CliError(
      'missing_dependency',
      `--stack needs ${CLOUDFORMATION_PACKAGE} (npm install ${CLOUDFORMATION_PACKAGE}); ` +
        `or pass --secret-id with the stack's ${ADMIN_KEY_OUTPUT} output`,
    );
  }
  const client = new cfn.CloudFormationClient(clientConfig);
  try {
    const out = await client.send(new cfn.DescribeStacksCommand({ StackName: stack }));
    const output = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === ADMIN_KEY_OUTPUT)?.OutputValue;
    if (!output) {
      throw new CliError(
        'not_found',
        `stack ${stack} has no ${ADMIN_KEY_OUTPUT} output (is it a latchkey stack?)`,
      );
    }
    return output;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw awsError(error, `describing stack ${stack}`, undefined);
  } finally {
    client.destroy();
  }
}

function awsError(error: unknown, doing: string, endpoint: string | undefined): CliError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const network = /ECONNREFUSED|ENOTFOUND|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|socket hang up/.test(
    `${message} ${(error as { code?: string })?.code ?? ''}`,
  );
  if (network) {
    const hint = endpoint ? ' (is `npm start` running?)' : '';
    return new CliError('network_error', `${doing}: could not reach ${endpoint ?? 'AWS'}${hint}`);
  }
  if (name === 'ResourceNotFoundException') return new CliError('not_found', `${doing}: ${message}`);
  if (name === 'CredentialsProviderError') return new CliError('aws_credentials', `${doing}: ${message}`);
  return new CliError('aws_error', `${doing}: ${name}: ${message}`);
}
