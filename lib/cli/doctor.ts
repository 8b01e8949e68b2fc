/**
 * `latchkey doctor`: does this deployment work, end to end? Run after every deploy. It finds the API,
 * the admin key and the authorizer's log (lib/cli/doctor-target.ts), walks the checks with short-lived
 * keys of its own (lib/cli/doctor-checks.ts), printing one line per check as it ends — result, name,
 * milliseconds, what it saw — then, for any failure, the likely cause and where to look
 * (lib/cli/doctor-causes.ts). `--json` prints one JSON document instead. The exit status is 1 when any
 * check failed.
 */

import { defineCommand } from './command';
import { type Cause, diagnose, readAuthorizerLog } from './doctor-causes';
import { runChecks, STEP_NAMES, type StepResult } from './doctor-checks';
import { resolveTarget } from './doctor-target';
import { CliError } from './errors';
import { clean, toJson } from './format';
import { optionalInteger } from './input';
import { defineOptions, flag, text } from './options';

const OPTIONS = defineOptions({
  stack: text('NAME', 'the deployed stack: its ApiUrl, AdminKeySecretArn and AuthorizerLogGroupName outputs'),
  local: flag('local mode (npm start): its URL, its admin-key secret and its log file'),
  url: text('URL', 'API base URL, stage included (default: $LATCHKEY_URL; overrides the stack output)'),
  'admin-key': text(
    'KEY',
    'the admin key (default: $LATCHKEY_KEY if it holds one, else read from the secret)',
  ),
  region: text('REGION', 'AWS region (default: $AWS_REGION)'),
  profile: text('PROFILE', 'AWS profile (default: $AWS_PROFILE)'),
  'data-dir': text(
    'DIR',
    "local mode's data folder, for its log file (default: $LATCHKEY_DATA_DIR, else .latchkey)",
  ),
  timeout: text('MS', 'per-request timeout in milliseconds (default 10000)'),
});

const NAME_WIDTH = Math.max(...STEP_NAMES.map((n) => n.length));

/** One report line: result, name, time, what was seen. */
export function stepLine(step: StepResult): string {
  const result = step.status.toUpperCase().padEnd(4);
  const ms = `${step.ms} ms`.padStart(8);
  return clean(`${result}  ${step.name.padEnd(NAME_WIDTH)}  ${ms}  ${step.detail}`);
}

/** The lines after the steps: each likely cause with where to look, and the tally. */
function causeLines(causes: readonly Cause[]): string[] {
  return causes.flatMap((c) => [clean(`cause: ${c.cause}`), clean(`  look: ${c.look}`)]);
}

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'check a deployment end to end with short-lived test keys (run after every deploy)',
  usage:
    'latchkey doctor (--stack NAME | --local | --url URL) [--admin-key KEY] [--region R] [--profile P] [--data-dir DIR] [--timeout MS]',
  description:
    'Creates two test keys (named "latchkey doctor <run>", expiring in 10 minutes) and walks the paths that\n' +
    'matter: the OpenAPI and console routes, the admin key, a bearer call allowed and one refused, a signed\n' +
    "GET and a signed POST with Content-Digest, a replayed signed request, a route outside the key's\n" +
    'permissions, the rate limit (2 calls a minute, the third refused), disable and enable, revoke, usage\n' +
    'and audit; then it revokes every key it made. Each check prints one line: PASS, FAIL or SKIP, its\n' +
    'name, its time in ms and what it saw. A failure is followed by its likely cause and where to look,\n' +
    "read from the authorizer's log (local mode's log file; with --stack its CloudWatch log group, which\n" +
    'needs @aws-sdk/client-cloudwatch-logs). Exit status 1 when any check failed.',
  args: [],
  api: false,
  options: OPTIONS,
  examples: [
    'latchkey doctor --stack Latchkey --region eu-west-1',
    'latchkey doctor --local',
    'latchkey doctor --url https://abc123.execute-api.eu-west-1.amazonaws.com/prod --json',
  ],
  async run(ctx) {
    const { values } = ctx;
    const timeoutMs = optionalInteger(values.timeout, '--timeout');
    const target = await resolveTarget(values, ctx.env);
    const started = Date.now();
    if (!ctx.json) ctx.out(clean(`checking ${target.url} (${target.source})`));
    const { steps, apiType } = await runChecks(
      target,
      (step) => {
        if (!ctx.json) ctx.out(stepLine(step));
      },
      timeoutMs === undefined ? {} : { timeoutMs },
    );
    const failed = steps.filter((s) => s.status === 'fail');
    // The log is read only to explain a failure (a few seconds late on CloudWatch: not verified on AWS).
    const log = failed.length === 0 ? null : await readAuthorizerLog(target.log, started - 1_000);
    const causes = log === null ? [] : diagnose(steps, target, log);
    const count = (status: StepResult['status']) => steps.filter((s) => s.status === status).length;
    if (ctx.json) {
      ctx.out(
        toJson({
          ok: failed.length === 0,
          url: target.url,
          source: target.source,
          api_type: apiType,
          passed: count('pass'),
          failed: count('fail'),
          skipped: count('skip'),
          steps: steps.map((s) => ({
            name: s.name,
            status: s.status,
            ms: s.ms,
            detail: s.detail,
            http_status: s.httpStatus,
            request_id: s.requestId,
          })),
          causes,
          log: log === null ? null : { read_from: log.where, problem: log.problem },
        }),
      );
    } else {
      for (const line of causeLines(causes)) ctx.out(line);
      ctx.out(
        `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped (${apiType === null ? 'API type not seen' : apiType === 'http' ? 'HTTP API' : 'REST API'})`,
      );
    }
    if (failed.length > 0) {
      throw new CliError(
        'doctor_failed',
        `${failed.length} of ${steps.length} checks failed: ${failed.map((s) => s.name).join(', ')}`,
      );
    }
  },
});
