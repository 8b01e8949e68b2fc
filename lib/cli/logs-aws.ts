/**
 * `latchkey logs tail --stack NAME` on AWS: finds the authorizer's log group (the stack's
 * `AuthorizerLogGroupName` output, else the stack's authorizer log-group resource, which needs the
 * optional @aws-sdk/client-cloudformation; or `--log-group` directly) and follows it with CloudWatch
 * Logs `FilterLogEvents` (the optional @aws-sdk/client-cloudwatch-logs): a JSON filter pattern built from
 * the filters, every page (`nextToken`), a poll every two seconds over the last minute, each event
 * handed on once (de-duplicated by `eventId`). Neither package is a dependency of latchkey: a missing
 * one is one line saying what to install.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, oneLine } from './errors';
import type { LogFilter } from './log-lines';

export const CLOUDWATCH_LOGS_PACKAGE = '@aws-sdk/client-cloudwatch-logs';
export const CLOUDFORMATION_PACKAGE = '@aws-sdk/client-cloudformation';
/** The stack output naming the authorizer's log group (lib/cdk/latchkey-stack.ts). */
export const AUTHORIZER_LOG_GROUP_OUTPUT = 'AuthorizerLogGroupName';
/** The authorizer's log group resource in a latchkey stack (`Authorizer/HandlerLogs`), for stacks without the output. */
export const AUTHORIZER_LOG_GROUP_RESOURCE = /^AuthorizerHandlerLogs[0-9A-F]{8}$/;

export type AwsClientConfig = Record<string, unknown>;

export interface FilteredLogEvent {
  eventId?: string;
  timestamp?: number;
  message?: string;
}

/** The part of @aws-sdk/client-cloudwatch-logs used here (it is not a dependency, so not typed by it). */
export interface CloudWatchLogsModule {
  CloudWatchLogsClient: new (
    config: AwsClientConfig,
  ) => {
    send(command: unknown): Promise<{ events?: FilteredLogEvent[]; nextToken?: string }>;
    destroy(): void;
  };
  FilterLogEventsCommand: new (input: {
    logGroupName: string;
    startTime: number;
    filterPattern: string;
    nextToken?: string;
  }) => unknown;
}

/** The part of @aws-sdk/client-cloudformation used here. */
export interface CloudFormationModule {
  CloudFormationClient: new (
    config: AwsClientConfig,
  ) => { send(command: unknown): Promise<Record<string, unknown>>; destroy(): void };
  DescribeStacksCommand: new (input: { StackName: string }) => unknown;
  DescribeStackResourcesCommand: new (input: { StackName: string }) => unknown;
}

/** An optional package, or null when it is not installed. */
async function loadOptional<T>(specifier: string): Promise<T | null> {
  try {
    return (await import(specifier)) as T;
  } catch {
    return null;
  }
}

/**
 * The AWS packages `logs tail` needs: CloudWatch Logs, and CloudFormation to find a stack's log group.
 * A missing one fails with one line naming every missing package and how to install it.
 */
export async function loadAwsModules(
  needStack: true,
): Promise<{ logs: CloudWatchLogsModule; cfn: CloudFormationModule }>;
export async function loadAwsModules(needStack: false): Promise<{ logs: CloudWatchLogsModule; cfn: null }>;
export async function loadAwsModules(
  needStack: boolean,
): Promise<{ logs: CloudWatchLogsModule; cfn: CloudFormationModule | null }> {
  const logs = await loadOptional<CloudWatchLogsModule>(CLOUDWATCH_LOGS_PACKAGE);
  const cfn = needStack ? await loadOptional<CloudFormationModule>(CLOUDFORMATION_PACKAGE) : null;
  const missing = [
    ...(logs === null ? [CLOUDWATCH_LOGS_PACKAGE] : []),
    ...(needStack && cfn === null ? [CLOUDFORMATION_PACKAGE] : []),
  ];
  if (logs === null || (needStack && cfn === null)) {
    const what = needStack ? 'logs tail --stack' : 'logs tail --log-group';
    const alternative =
      needStack && logs !== null
        ? ` (or pass --log-group with the stack's ${AUTHORIZER_LOG_GROUP_OUTPUT} output)`
        : '';
    throw new CliError(
      'missing_dependency',
      `${what} needs ${missing.join(' and ')} (npm install ${missing.join(' ')})${alternative}`,
    );
  }
  return { logs, cfn };
}

/**
 * The CloudWatch Logs filter pattern for a filter: the authorizer's refusals are its WARN and ERROR
 * lines (`unauthorized`, `deny`, dependency failures), narrowed to one key id and one request id.
 */
export function filterPattern(filter: LogFilter): string {
  const terms: string[] = [];
  if (!filter.all) terms.push('($.level = "WARN" || $.level = "ERROR")');
  if (filter.keyId !== undefined) terms.push(`$.key_id = "${filter.keyId}"`);
  if (filter.requestId !== undefined) terms.push(`$.request_id = "${filter.requestId}"`);
  return terms.length === 0 ? '' : `{ ${terms.join(' && ')} }`;
}

/** The authorizer's log group of a latchkey stack. */
export async function authorizerLogGroup(
  cfn: CloudFormationModule,
  stack: string,
  config: AwsClientConfig,
): Promise<string> {
  const client = new cfn.CloudFormationClient(config);
  try {
    const described = (await client.send(new cfn.DescribeStacksCommand({ StackName: stack }))) as {
      Stacks?: Array<{ Outputs?: Array<{ OutputKey?: string; OutputValue?: string }> }>;
    };
    const output = described.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === AUTHORIZER_LOG_GROUP_OUTPUT);
    if (output?.OutputValue) return output.OutputValue;
    // Stacks deployed before the output existed: the log group resource itself.
    const resources = (await client.send(new cfn.DescribeStackResourcesCommand({ StackName: stack }))) as {
      StackResources?: Array<{
        LogicalResourceId?: string;
        PhysicalResourceId?: string;
        ResourceType?: string;
      }>;
    };
    const group = resources.StackResources?.find(
      (r) =>
        r.ResourceType === 'AWS::Logs::LogGroup' &&
        AUTHORIZER_LOG_GROUP_RESOURCE.test(r.LogicalResourceId ?? ''),
    );
    if (group?.PhysicalResourceId) return group.PhysicalResourceId;
    throw new CliError('not_found', `stack ${stack} has no authorizer log group (is it a latchkey stack?)`);
  } catch (error) {
    throw awsError(error, `describing stack ${stack}`);
  } finally {
    client.destroy();
  }
}

export interface CloudWatchTailOptions {
  logs: CloudWatchLogsModule;
  config: AwsClientConfig;
  logGroup: string;
  filter: LogFilter;
  /** Events from this time (ms) on. */
  startTime: number;
  follow: boolean;
  emit(event: FilteredLogEvent): void;
  signal?: AbortSignal;
  pollMs?: number;
  /** How far back each poll after the first looks again, for events CloudWatch ingests late. */
  lookbackMs?: number;
  now?: () => number;
}

/** Every matching event from `startTime`, once each, then (following) new ones every `pollMs`. */
export async function tailCloudWatch(options: CloudWatchTailOptions): Promise<void> {
  const { logs, logGroup, emit } = options;
  const now = options.now ?? Date.now;
  const lookbackMs = options.lookbackMs ?? 60_000;
  const filterPattern_ = filterPattern(options.filter);
  const client = new logs.CloudWatchLogsClient(options.config);
  /** eventId → timestamp of what was handed on, pruned to the window still being read. */
  const seen = new Map<string, number>();
  let startTime = options.startTime;
  try {
    for (;;) {
      const polledAt = now();
      let nextToken: string | undefined;
      do {
        const input = {
          logGroupName: logGroup,
          startTime,
          filterPattern: filterPattern_,
          ...(nextToken ? { nextToken } : {}),
        };
        let page: { events?: FilteredLogEvent[]; nextToken?: string };
        try {
          page = await client.send(new logs.FilterLogEventsCommand(input));
        } catch (error) {
          throw awsError(error, `reading log group ${logGroup}`);
        }
        for (const event of page.events ?? []) {
          const id = event.eventId ?? `${event.timestamp}:${event.message}`;
          if (seen.has(id)) continue;
          seen.set(id, event.timestamp ?? polledAt);
          emit(event);
        }
        nextToken = page.nextToken;
      } while (nextToken && !options.signal?.aborted);
      if (!options.follow || options.signal?.aborted) return;
      startTime = Math.max(options.startTime, polledAt - lookbackMs);
      for (const [id, at] of seen) if (at < startTime) seen.delete(id);
      try {
        await sleep(options.pollMs ?? 2_000, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        return; // aborted
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * An AWS failure as one line. A missing region is passed on unchanged: the CLI's error line adds how to
 * set it.
 */
export function awsError(error: unknown, doing: string): unknown {
  if (error instanceof CliError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (/region is missing/i.test(message)) return error;
  if (/ECONNREFUSED|ENOTFOUND|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|socket hang up/.test(message)) {
    return new CliError('network_error', `${doing}: could not reach AWS`);
  }
  if (
    name === 'ResourceNotFoundException' ||
    (name === 'ValidationError' && /does not exist/.test(message))
  ) {
    return new CliError('not_found', `${doing}: ${oneLine(message)}`);
  }
  if (name === 'CredentialsProviderError')
    return new CliError('aws_credentials', `${doing}: ${oneLine(message)}`);
  return new CliError('aws_error', `${doing}: ${name}: ${oneLine(message)}`);
}
