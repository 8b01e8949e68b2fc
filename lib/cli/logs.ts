/**
 * `latchkey logs tail`: why was a request refused? A client only ever sees the one 401; the authorizer
 * logs the reason (`wrong_secret`, `revoked`, `rate_limited`…) with the key id and request id. This
 * command prints those refusals from the last `--since` (default 10 minutes) and then follows new ones
 * until interrupted (`--no-follow` stops after the first read): from local mode's log file
 * (`<data dir>/latchkey.log`, lib/cli/logs-local.ts) by default, or from the authorizer's CloudWatch
 * log group with `--stack NAME` or `--log-group NAME` (lib/cli/logs-aws.ts). `--key ID` and
 * `--request-id R` narrow it, `--all` shows every handler line, `--json` prints the lines as logged.
 */
import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR, LOCAL_ENV, localLogFile } from '../local/constants';
import { type Context, defineCommand } from './command';
import { CliError, usage } from './errors';
import { clean } from './format';
import {
  checkId,
  formatEntry,
  type LogEntry,
  type LogFilter,
  matchesFilter,
  parseLogLine,
  parseSince,
} from './log-lines';
import {
  type AwsClientConfig,
  authorizerLogGroup,
  type CloudWatchLogsModule,
  loadAwsModules,
  tailCloudWatch,
} from './logs-aws';
import { logFileExists, tailFile } from './logs-local';
import { defineOptions, flag, text } from './options';

const OPTIONS = defineOptions({
  key: text('ID', "only this key's refusals (its key id: latchkey token inspect prints it)"),
  'request-id': text('R', 'only this request (the request_id of an error body)'),
  since: text('DURATION', 'start this far back: 30s, 10m, 2h, 1d (default 10m)'),
  'no-follow': flag('print what is there and stop, instead of following new lines'),
  all: flag('every handler log line, not only refusals'),
  stack: text('NAME', "the deployed stack: follow its authorizer's CloudWatch log group"),
  'log-group': text('NAME', 'follow this CloudWatch log group (the AuthorizerLogGroupName output)'),
  region: text('REGION', 'AWS region (default: $AWS_REGION)'),
  profile: text('PROFILE', 'AWS profile (default: $AWS_PROFILE)'),
  'data-dir': text('DIR', "local mode's data folder (default: $LATCHKEY_DATA_DIR, else .latchkey)"),
});

const DEFAULT_SINCE = '10m';

type LogsContext = Context<typeof OPTIONS, readonly []>;

/** Prints an entry that passes the filter: the raw line with --json, else one readable line. */
function printer(ctx: LogsContext, filter: LogFilter): (entry: LogEntry | null, raw: string) => void {
  return (entry, raw) => {
    if (entry === null) {
      // Not a handler JSON line (Lambda's START and REPORT lines): shown only with --all.
      if (filter.all && filter.keyId === undefined && filter.requestId === undefined) ctx.out(clean(raw));
      return;
    }
    if (!matchesFilter(entry, filter)) return;
    ctx.out(ctx.json ? clean(entry.raw) : formatEntry(entry));
  };
}

async function tailLocal(ctx: LogsContext, filter: LogFilter, follow: boolean): Promise<void> {
  const dataDir = resolve(ctx.values['data-dir'] ?? (ctx.env[LOCAL_ENV.dataDir] || DEFAULT_DATA_DIR));
  const path = localLogFile(dataDir);
  if (!follow && !logFileExists(path)) {
    throw new CliError(
      'not_found',
      `no log file at ${path}: start local mode (npm start) with this data folder, or pass --data-dir / --stack`,
    );
  }
  const print = printer(ctx, filter);
  await tailFile({
    path,
    follow,
    emit: (line) => print(parseLogLine(line), line),
    waiting: () => ctx.err(`waiting for ${path} (is npm start running with this data folder?)`),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

async function tailAws(
  ctx: LogsContext,
  filter: LogFilter,
  follow: boolean,
  startTime: number,
): Promise<void> {
  const { values, env } = ctx;
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const config: AwsClientConfig = {};
  if (region) config.region = region;
  if (values.profile) config.profile = values.profile;
  // The SDK's Node-version notice is for developers, not for the operator running this command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let logs: CloudWatchLogsModule;
  let logGroup = values['log-group'];
  if (logGroup === undefined) {
    const modules = await loadAwsModules(true);
    logs = modules.logs;
    logGroup = await authorizerLogGroup(modules.cfn, values.stack ?? '', config);
  } else logs = (await loadAwsModules(false)).logs;
  const print = printer(ctx, filter);
  await tailCloudWatch({
    logs,
    config,
    logGroup,
    filter,
    startTime,
    follow,
    emit: (event) => {
      const raw = event.message ?? '';
      print(parseLogLine(raw, event.timestamp), raw.trim());
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

export const logsTail = defineCommand({
  name: 'logs tail',
  summary: "follow the authorizer's refusals and their reasons (local mode or AWS)",
  usage:
    'latchkey logs tail [--key ID] [--request-id R] [--since 10m] [--no-follow] [--all] [--stack NAME | --log-group NAME | --data-dir DIR] [--region R] [--profile P]',
  description:
    'A client sees one 401 for every credential failure; the authorizer logs why. This prints its refusals\n' +
    '(time, level, message, reason, key id, request id, what the reason means) from the last --since, then\n' +
    "follows new ones until interrupted (Ctrl-C). Locally it reads npm start's log file,\n" +
    "<data dir>/latchkey.log; with --stack it reads the stack's authorizer log group in CloudWatch Logs\n" +
    '(needs @aws-sdk/client-cloudwatch-logs, and @aws-sdk/client-cloudformation to find the log group;\n' +
    '--log-group NAME skips that).',
  args: [],
  api: false,
  options: OPTIONS,
  examples: [
    'latchkey logs tail --key 3hQx9TmP2wLk8ZrA',
    'latchkey logs tail --request-id 5f0c6a2e-8d4b-4c1e-9f7a-2b3c4d5e6f70 --since 1h --no-follow',
    'latchkey logs tail --stack Latchkey --region eu-west-1 --key 3hQx9TmP2wLk8ZrA',
  ],
  async run(ctx) {
    const { values } = ctx;
    const sinceMs = parseSince(values.since ?? DEFAULT_SINCE);
    const startTime = Date.now() - sinceMs;
    const keyId = checkId(values.key, '--key');
    const requestId = checkId(values['request-id'], '--request-id');
    const filter: LogFilter = {
      all: values.all === true,
      notBefore: startTime,
      ...(keyId === undefined ? {} : { keyId }),
      ...(requestId === undefined ? {} : { requestId }),
    };
    const follow = values['no-follow'] !== true;
    const aws = values.stack !== undefined || values['log-group'] !== undefined;
    if (values.stack !== undefined && values['log-group'] !== undefined)
      throw usage('use either --stack or --log-group, not both');
    if (aws && values['data-dir'] !== undefined)
      throw usage('--data-dir is for local mode; drop it with --stack');
    if (aws) await tailAws(ctx, filter, follow, startTime);
    else await tailLocal(ctx, filter, follow);
  },
});

export const LOGS_COMMANDS = [logsTail] as const;
