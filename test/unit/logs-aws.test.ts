/**
 * `latchkey logs tail --stack` with CloudWatch Logs and CloudFormation mocked (there is no AWS account
 * here; neither package is installed): the filter pattern built from the options, the log group found
 * from the stack's output or, for older stacks, its resources, every page read, each event printed once
 * across overlapping polls, and the one-line messages for a missing package and a missing region.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CloudWatchLogsModule,
  type FilteredLogEvent,
  filterPattern,
  tailCloudWatch,
} from '#cli/logs-aws';
import { REFUSAL_REASONS } from '#core/refusals';
import { runCli } from '../helpers/cli';

const GROUP = '/aws/lambda/Latchkey-AuthorizerHandler';
const KEY = '3hQx9TmP2wLk8ZrA';

const entry = (n: number, fields: Record<string, unknown> = {}): FilteredLogEvent => ({
  eventId: `e${n}`,
  timestamp: Date.UTC(2030, 0, 1, 12, 0, n),
  message: JSON.stringify({
    level: 'WARN',
    message: 'unauthorized',
    timestamp: new Date(Date.UTC(2030, 0, 1, 12, 0, n)).toISOString(),
    service: 'latchkey',
    reason: 'wrong_secret',
    key_id: KEY,
    request_id: `req-${n}`,
    ...fields,
  }),
});

/** Answers FilterLogEvents from a script of pages, recording each request. */
const logs = {
  requests: [] as Array<Record<string, unknown>>,
  pages: [] as Array<{ events?: FilteredLogEvent[]; nextToken?: string }>,
  error: null as Error | null,
  /** Called when the last scripted page has been served. */
  drained: (): void => undefined,
};
const stack = {
  outputs: [] as Array<{ OutputKey: string; OutputValue: string }>,
  resources: [] as unknown[],
};

const fakeCloudWatchLogs: CloudWatchLogsModule = {
  CloudWatchLogsClient: class {
    async send(command: unknown) {
      const input = (command as { input: Record<string, unknown> }).input;
      logs.requests.push(input);
      if (logs.error) throw logs.error;
      const page = logs.pages.shift() ?? { events: [] };
      if (logs.pages.length === 0) logs.drained();
      return page;
    }
    destroy() {}
  },
  FilterLogEventsCommand: class {
    constructor(readonly input: unknown) {}
  } as never,
};

const fakeCloudFormation = {
  CloudFormationClient: class {
    async send(command: { kind: string }) {
      if (command.kind === 'stacks') return { Stacks: [{ Outputs: stack.outputs }] };
      return { StackResources: stack.resources };
    }
    destroy() {}
  },
  DescribeStacksCommand: class {
    kind = 'stacks';
  },
  DescribeStackResourcesCommand: class {
    kind = 'resources';
  },
};

vi.mock('@aws-sdk/client-cloudwatch-logs', () => fakeCloudWatchLogs);
vi.mock('@aws-sdk/client-cloudformation', () => fakeCloudFormation);

afterEach(() => {
  logs.requests = [];
  logs.pages = [];
  logs.error = null;
  logs.drained = () => undefined;
  stack.outputs = [];
  stack.resources = [];
});

describe('filter pattern', () => {
  it('selects WARN and ERROR lines, narrowed by key id and request id', () => {
    expect(filterPattern({ all: false })).toBe('{ ($.level = "WARN" || $.level = "ERROR") }');
    expect(filterPattern({ all: false, keyId: KEY, requestId: 'r-1' })).toBe(
      `{ ($.level = "WARN" || $.level = "ERROR") && $.key_id = "${KEY}" && $.request_id = "r-1" }`,
    );
    expect(filterPattern({ all: true })).toBe('');
    expect(filterPattern({ all: true, keyId: KEY })).toBe(`{ $.key_id = "${KEY}" }`);
  });
});

describe('latchkey logs tail --stack', () => {
  const env = { AWS_REGION: 'eu-west-1' };

  it("reads the stack's output, every page, and prints one line per refusal", async () => {
    stack.outputs = [{ OutputKey: 'AuthorizerLogGroupName', OutputValue: GROUP }];
    logs.pages = [
      { events: [entry(1), entry(2)], nextToken: 'page-2' },
      { events: [entry(3, { message: 'deny', reason: 'rate_limited' })] },
    ];
    const before = Date.now();
    const res = await runCli(
      ['logs', 'tail', '--stack', 'Latchkey', '--key', KEY, '--no-follow', '--since', '5m'],
      env,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(logs.requests).toHaveLength(2);
    expect(logs.requests[0]).toEqual({
      logGroupName: GROUP,
      startTime: expect.any(Number),
      filterPattern: `{ ($.level = "WARN" || $.level = "ERROR") && $.key_id = "${KEY}" }`,
    });
    const start = logs.requests[0]?.startTime as number;
    expect(start).toBeGreaterThanOrEqual(before - 5 * 60_000);
    expect(start).toBeLessThanOrEqual(Date.now() - 5 * 60_000);
    expect(logs.requests[1]).toMatchObject({ nextToken: 'page-2', startTime: start });
    const wrongSecret = `— ${REFUSAL_REASONS.wrong_secret.explanation}`;
    expect(res.stdout.trimEnd().split('\n')).toEqual([
      `2030-01-01 12:00:01Z  WARN   unauthorized  wrong_secret       key ${KEY}  request req-1  ${wrongSecret}`,
      `2030-01-01 12:00:02Z  WARN   unauthorized  wrong_secret       key ${KEY}  request req-2  ${wrongSecret}`,
      `2030-01-01 12:00:03Z  WARN   deny          rate_limited       key ${KEY}  request req-3  — ${REFUSAL_REASONS.rate_limited.explanation}`,
    ]);
  });

  it("finds the authorizer's log group among the stack's resources when it has no output", async () => {
    stack.resources = [
      {
        ResourceType: 'AWS::Logs::LogGroup',
        LogicalResourceId: 'ApiAccessLogs1A2B3C4D',
        PhysicalResourceId: 'x',
      },
      {
        ResourceType: 'AWS::Logs::LogGroup',
        LogicalResourceId: 'AuthorizerHandlerLogsB8D7E6F5',
        PhysicalResourceId: GROUP,
      },
    ];
    const res = await runCli(['logs', 'tail', '--stack', 'Latchkey', '--no-follow', '--json'], env);
    expect(res.code).toBe(0);
    expect(logs.requests[0]?.logGroupName).toBe(GROUP);
  });

  it('follows: polls again over an overlapping window and prints each event once', async () => {
    logs.pages = [
      { events: [entry(1)] },
      { events: [entry(1), entry(2)], nextToken: 't' },
      { events: [entry(2), entry(3)] },
      { events: [entry(3)] },
    ];
    const seen: string[] = [];
    const stop = new AbortController();
    let clock = 1_000_000;
    logs.drained = () => stop.abort();
    await tailCloudWatch({
      logs: fakeCloudWatchLogs,
      config: {},
      logGroup: GROUP,
      filter: { all: false },
      startTime: 400_000,
      follow: true,
      pollMs: 1,
      lookbackMs: 60_000,
      now: () => clock,
      signal: stop.signal,
      emit: (event) => {
        seen.push(event.eventId ?? '');
        clock += 1_000;
      },
    });
    expect(seen).toEqual(['e1', 'e2', 'e3']);
    // The first poll starts at --since; later ones a minute before the previous poll, not before --since.
    expect(logs.requests.map((r) => r.startTime)).toEqual([400_000, 940_000, 940_000, 941_000]);
  });

  it('says which packages to install when they are missing', async () => {
    const missing = (name: string) => () => {
      throw new Error(`Cannot find package '${name}'`);
    };
    vi.doMock('@aws-sdk/client-cloudwatch-logs', missing('@aws-sdk/client-cloudwatch-logs'));
    vi.doMock('@aws-sdk/client-cloudformation', missing('@aws-sdk/client-cloudformation'));
    try {
      const [group, byStack] = await Promise.all([
        runCli(['logs', 'tail', '--log-group', GROUP, '--no-follow'], env),
        runCli(['logs', 'tail', '--stack', 'Latchkey', '--no-follow'], env),
      ]);
      expect(group.code).toBe(1);
      expect(group.stderr).toBe(
        'latchkey: missing_dependency: logs tail --log-group needs @aws-sdk/client-cloudwatch-logs ' +
          '(npm install @aws-sdk/client-cloudwatch-logs)\n',
      );
      expect(byStack.stderr).toBe(
        'latchkey: missing_dependency: logs tail --stack needs @aws-sdk/client-cloudwatch-logs and ' +
          '@aws-sdk/client-cloudformation (npm install @aws-sdk/client-cloudwatch-logs @aws-sdk/client-cloudformation)\n',
      );
      vi.doMock('@aws-sdk/client-cloudwatch-logs', () => fakeCloudWatchLogs);
      const onlyLogs = await runCli(['logs', 'tail', '--stack', 'Latchkey', '--no-follow'], env);
      expect(onlyLogs.stderr).toBe(
        'latchkey: missing_dependency: logs tail --stack needs @aws-sdk/client-cloudformation ' +
          "(npm install @aws-sdk/client-cloudformation) (or pass --log-group with the stack's AuthorizerLogGroupName output)\n",
      );
    } finally {
      vi.doMock('@aws-sdk/client-cloudwatch-logs', () => fakeCloudWatchLogs);
      vi.doMock('@aws-sdk/client-cloudformation', () => fakeCloudFormation);
    }
  });

  it('says how to set the region when it is missing', async () => {
    logs.error = new Error('Region is missing');
    const res = await runCli(['logs', 'tail', '--log-group', GROUP, '--no-follow'], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'latchkey: usage_error: Region is missing: pass --region or set AWS_REGION (e.g. AWS_REGION=eu-west-1)\n',
    );
  });

  it('turns an AWS error into one line', async () => {
    logs.error = Object.assign(new Error('The specified log group does not exist.'), {
      name: 'ResourceNotFoundException',
    });
    const res = await runCli(['logs', 'tail', '--log-group', GROUP, '--no-follow'], env);
    expect(res.stderr).toBe(
      `latchkey: not_found: reading log group ${GROUP}: The specified log group does not exist.\n`,
    );
  });
});
