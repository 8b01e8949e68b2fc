/**
 * Why `latchkey doctor`'s checks failed, and where to look: the failed steps read together with the
 * authorizer's log lines written since the run began (local mode's log file, or the stack's CloudWatch
 * log group). Nothing answering names the URL (or the stack's output); an admin key that cannot be read
 * names its secret; an admin key refused names the secret it came from; 5xx answers behind the
 * authorizer name what its `authorizer dependency failure` lines say — an IAM `AccessDenied` names the
 * statement of `grantVerify` (lib/cdk/key-store.ts) that grants the denied action; any other failure
 * names the reason the authorizer logged for its request id. Reading AWS logs is built to the CloudWatch
 * Logs API reference (FilterLogEvents) and not verified on AWS.
 */
import { refusalExplanation } from '../core/refusals';
import type { StepResult } from './doctor-checks';
import { AUTHORIZER_STEPS, KEY_STEPS } from './doctor-checks';
import type { DoctorTarget, LogSource } from './doctor-target';
import { oneLine } from './errors';
import { type LogEntry, parseLogLine } from './log-lines';
import { loadAwsModules, tailCloudWatch } from './logs-aws';
import { tailFile } from './logs-local';

export interface Cause {
  /** The likely cause, one sentence. */
  cause: string;
  /** Where to look, or what to run. */
  look: string;
  /** The steps it explains. */
  steps: string[];
}

/**
 * The IAM statements `grantVerify` gives the authorizer's role (lib/cdk/key-store.ts,
 * `verifyStatements`), by the DynamoDB action each allows.
 */
export const VERIFY_STATEMENT_OF_ACTION: Readonly<Record<string, string>> = {
  'dynamodb:GetItem': 'ReadKeyItems',
  'dynamodb:UpdateItem': 'CountOnKeyItems',
  'dynamodb:PutItem': 'PutReplayItems',
};

/** The authorizer's log lines since `since` (ms), or why they could not be read. */
export interface LogRead {
  entries: LogEntry[];
  /** Where they were read, for the report: a file path or a log group. */
  where: string | null;
  problem: string | null;
}

/** Reads the refusals and dependency failures logged since `since`; never throws. */
export async function readAuthorizerLog(source: LogSource, since: number): Promise<LogRead> {
  const entries: LogEntry[] = [];
  const keep = (entry: LogEntry | null) => {
    if (entry !== null && !(entry.time < since)) entries.push(entry);
  };
  try {
    if (source.kind === 'file') {
      await tailFile({ path: source.path, follow: false, emit: (line) => keep(parseLogLine(line)) });
      return { entries, where: source.path, problem: null };
    }
    if (source.kind === 'cloudwatch') {
      const { logs } = await loadAwsModules(false);
      await tailCloudWatch({
        logs,
        config: source.config,
        logGroup: source.logGroup,
        filter: { all: false, notBefore: since },
        startTime: since,
        follow: false,
        emit: (event) => keep(parseLogLine(event.message ?? '', event.timestamp)),
      });
      return { entries, where: `log group ${source.logGroup}`, problem: null };
    }
    return { entries, where: null, problem: null };
  } catch (error) {
    return {
      entries,
      where: null,
      problem: oneLine(error instanceof Error ? error.message : String(error)),
    };
  }
}

/** How to read the authorizer's log for this target, as a command (narrowed to one request). */
function logsCommand(target: DoctorTarget, requestId: string | null = null): string {
  const narrow = requestId === null ? '--since 15m' : `--request-id ${requestId}`;
  const stack = /^--stack (.+)$/.exec(target.source)?.[1];
  if (stack !== undefined) return `latchkey logs tail --stack ${stack} ${narrow} --no-follow`;
  if (target.log.kind === 'file') return `latchkey logs tail ${narrow} --no-follow`;
  return `the authorizer's log (latchkey logs tail --stack NAME ${narrow} --no-follow)`;
}

/** What a dependency failure's logged error says is wrong, and where to look. */
function dependencyCause(error: string): { cause: string; look: string } {
  // AWS's own message, or the action the handlers log beside the error's name (lambdas/aws/access-denied.ts).
  const denied =
    /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(error)?.[1] ??
    /AccessDenied\w* \(([a-z0-9-]+:[A-Za-z0-9]+)\)/.exec(error)?.[1] ??
    null;
  if (denied !== null || /AccessDenied/i.test(error)) {
    const statement = denied === null ? undefined : VERIFY_STATEMENT_OF_ACTION[denied];
    if (statement !== undefined) {
      return {
        cause: `the authorizer's role may not call ${denied}: the ${statement} statement that grantVerify adds (lib/cdk/key-store.ts) is missing or does not match the key table`,
        look: `the authorizer function's role in IAM (its ${statement} statement) and the stack's key table`,
      };
    }
    if (denied !== null && /^(secretsmanager|kms):/.test(denied)) {
      return {
        cause: `the authorizer's role may not call ${denied}: grantVerify's read of the signing secret (or, for the admin key, the authorizer's read of the admin-key secret; lib/cdk/key-store.ts) is missing`,
        look: "the authorizer function's role in IAM and the secrets' resource policies",
      };
    }
    return {
      cause: `the authorizer's role is denied a call it needs${denied === null ? '' : ` (${denied})`}: compare its policy with what grantVerify grants (lib/cdk/key-store.ts)`,
      look: "the authorizer function's role in IAM",
    };
  }
  if (/can't find the specified secret|ResourceNotFoundException.*secret|secret.*not found/i.test(error)) {
    return {
      cause: 'a secret the authorizer reads (the admin key or the signing secret) does not exist',
      look: "the stack's AdminKeySecretArn and SigningSecretArn outputs, and the secrets in Secrets Manager",
    };
  }
  if (/Requested resource not found|table.*not found/i.test(error)) {
    return {
      cause: "the authorizer's key table does not exist (or LATCHKEY_TABLE_NAME names another)",
      look: "the stack's TableName output and the authorizer's environment",
    };
  }
  return {
    cause: `DynamoDB or Secrets Manager failed for the authorizer: ${error}`,
    look: "the authorizer's log lines around the run",
  };
}

/** Every likely cause of the failed steps, most specific first, each naming the steps it explains. */
export function diagnose(steps: readonly StepResult[], target: DoctorTarget, log: LogRead): Cause[] {
  const failed = steps.filter((s) => s.status === 'fail');
  const causes: Cause[] = [];
  const explained = new Set<string>();
  const add = (cause: string, look: string, which: readonly StepResult[]) => {
    if (which.length === 0) return;
    for (const s of which) explained.add(s.name);
    causes.push({ cause, look, steps: which.map((s) => s.name) });
  };
  const where = log.where === null ? logsCommand(target) : `${log.where} (${logsCommand(target)})`;

  add(
    `nothing answers at ${target.url}`,
    target.source === '--local'
      ? 'is `npm start` running? It prints the URL it listens on (set LATCHKEY_URL or PORT to match, or pass --url)'
      : target.source.startsWith('--stack')
        ? `the stack's ApiUrl output (${target.url}): did cdk deploy finish, in this --region?`
        : `the URL given (${target.source}): on AWS it is the ApiUrl output, stage included`,
    failed.filter((s) => s.failure === 'unreachable' || s.failure === 'timeout'),
  );

  add(
    `the admin key could not be read: ${target.adminKeyProblem ?? 'none given'}`,
    target.source === '--local'
      ? "local mode's data folder ($LATCHKEY_DATA_DIR, default .latchkey) and its secrets endpoint (LATCHKEY_SECRETS_PORT): latchkey admin-key --local"
      : target.source.startsWith('--stack')
        ? `the secret (${target.adminKeyFrom}): it must exist and your AWS identity needs secretsmanager:GetSecretValue on it (latchkey admin-key ${target.source})`
        : 'pass --admin-key, or set LATCHKEY_KEY to the admin key',
    failed.filter((s) => s.failure === 'admin_key_unreadable'),
  );

  const wrongAdmin = log.entries.some((e) => e.reason === 'wrong_admin_key');
  add(
    `the API refuses the admin key from ${target.adminKeyFrom}: it is not this deployment's admin key (another stack's, or the secret was rotated)${wrongAdmin ? '; the authorizer logged wrong_admin_key' : ''}`,
    target.source.startsWith('--stack') || target.source === '--local'
      ? `the admin-key secret: latchkey admin-key ${target.source} prints the one this deployment uses`
      : 'the admin-key secret of the deployment at this URL (its AdminKeySecretArn output): latchkey admin-key --stack NAME',
    failed.filter((s) => s.failure === 'admin_key_refused'),
  );

  const serverErrors = failed.filter((s) => s.failure === 'server_error' && AUTHORIZER_STEPS.has(s.name));
  if (serverErrors.length > 0) {
    const ran = steps.filter((s) => AUTHORIZER_STEPS.has(s.name) && s.status !== 'skip');
    const withKey = ran.filter((s) => KEY_STEPS.has(s.name));
    const every =
      serverErrors.length === ran.length
        ? 'every check through the authorizer'
        : withKey.length > 0 && withKey.every((s) => serverErrors.includes(s))
          ? 'every check with a key through the authorizer'
          : `${serverErrors.length} of ${ran.length} checks through the authorizer`;
    const failures = log.entries.filter((e) => e.level === 'ERROR' && /dependency failure/.test(e.message));
    const error = failures.find((e) => e.error !== null)?.error ?? null;
    if (error !== null) {
      const { cause, look } = dependencyCause(error);
      add(`${cause} (${every} answered 5xx; logged: ${error})`, `${look}; ${where}`, serverErrors);
    } else {
      add(
        `${every} answered 5xx: a dependency (DynamoDB, Secrets Manager) or a function failed${log.problem === null ? '' : ` (the log could not be read: ${log.problem})`}`,
        where,
        serverErrors,
      );
    }
  }

  add(
    "one of latchkey's own routes answered 404: on AWS the base URL must include the stage (…/prod)",
    `the URL (${target.url}): the stack's ApiUrl output`,
    failed.filter((s) => s.failure === 'no_route'),
  );

  // Anything else: what the authorizer logged for the step's request.
  for (const step of failed) {
    if (explained.has(step.name)) continue;
    const logged =
      step.requestId === null ? undefined : log.entries.find((e) => e.requestId === step.requestId);
    const reason = logged?.reason ?? null;
    const explanation = reason === null ? null : refusalExplanation(reason);
    add(
      reason === null
        ? `${step.name}: ${step.detail}`
        : `${step.name}: the authorizer logged ${reason}${explanation === null ? '' : ` — ${explanation}`}`,
      step.requestId === null ? where : logsCommand(target, step.requestId),
      [step],
    );
  }
  return causes;
}
