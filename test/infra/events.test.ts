/**
 * The lifecycle-events part of the template: the table's stream, the mapping that only audit items pass,
 * its at-least-once settings and dead-letter queue, the bus, the daily expiry schedule, the webhook rule,
 * queue and sender, and what each new role may do — read from the synthesized template (cdk-nag on, so a
 * finding fails the synth), property by property, not as a snapshot.
 */
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LatchkeyStack } from '#cdk/latchkey-stack';
import { SETTINGS } from '#core/settings';
import { propsOf, resourcesOf, SYNTH_TIMEOUT, synthLatchkey } from './support';

type Json = Record<string, unknown>;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

let template: Template;
let stack: LatchkeyStack;

beforeAll(() => {
  const synthesized = synthLatchkey({ webhookUrl: 'https://hooks.example.com/latchkey' }, { nag: true });
  template = synthesized.template;
  stack = synthesized.stack as LatchkeyStack;
}, 120_000);

const idOf = (s: Stack, construct: IConstruct) => s.getLogicalId(construct.node.defaultChild as never);
const events = () => {
  if (!stack.events) throw new Error('no events construct');
  return stack.events;
};

function statementsOf(roleId: string): Json[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => ((propsOf(p).Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (propsOf(p).PolicyDocument as { Statement: Json[] }).Statement);
}
const actionsOf = (roleId: string) =>
  statementsOf(roleId)
    .flatMap((s) => list(s.Action as string | string[]))
    .filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'))
    .sort();

describe('the stream and its mapping', () => {
  it('the table streams new images', () => {
    const [[, table] = ['', {}]] = resourcesOf(template, 'AWS::DynamoDB::Table');
    expect(propsOf(table).StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('only new audit items invoke the publisher, with retries, bisection, partial batches and a DLQ', () => {
    const mappings = resourcesOf(template, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) => propsOf(m))
      .filter((m) => JSON.stringify(m.EventSourceArn).includes('StreamArn'));
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0] as Json;
    expect(mapping.FunctionName).toEqual({ Ref: idOf(stack, events().publisherFunction) });
    const patterns = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) =>
      JSON.parse(f.Pattern),
    );
    expect(patterns).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'AUDIT#' }] } } } },
    ]);
    expect(mapping).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(mapping.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [idOf(stack, events().deadLetterQueue), 'Arn'] } },
    });
  });
});

describe('queues', () => {
  it('every queue is encrypted and refuses requests without TLS', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(3);
    for (const [, q] of queues) expect(propsOf(q).SqsManagedSseEnabled).toBe(true);
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy').map(([, p]) =>
      JSON.stringify(propsOf(p)),
    );
    for (const [id] of queues) {
      const own = policies.filter((p) => p.includes(`"${id}"`));
      expect(
        own.some((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('"Deny"')),
        id,
      ).toBe(true);
    }
  });

  it('the webhook queue moves a message to its DLQ after 5 receives and outlasts the sender six times', () => {
    const queue = template.toJSON().Resources[idOf(stack, events().webhookQueue as IConstruct)] as Json;
    expect(propsOf(queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [idOf(stack, events().webhookDeadLetterQueue as IConstruct), 'Arn'],
      },
      maxReceiveCount: 5,
    });
    expect(propsOf(queue).VisibilityTimeout).toBe(360);
  });
});

describe('bus, rules and schedule', () => {
  it('the stack creates the bus and both functions publish to it', () => {
    const busId = idOf(stack, events().eventBus as unknown as IConstruct);
    expect(Object.keys(template.findResources('AWS::Events::EventBus'))).toEqual([busId]);
    for (const fn of [events().publisherFunction, events().expiringFunction]) {
      const env = (propsOf(template.toJSON().Resources[idOf(stack, fn)]).Environment as { Variables: Json })
        .Variables;
      expect(env[SETTINGS.eventBus.env]).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    }
  });

  it('a daily schedule runs the expiry scan with the window', () => {
    const rule = propsOf(template.toJSON().Resources[idOf(stack, events().expirySchedule)]);
    expect(rule.ScheduleExpression).toBe('cron(15 0 * * ? *)');
    expect(JSON.stringify(rule.Targets)).toContain(idOf(stack, events().expiringFunction));
    const env = (
      propsOf(template.toJSON().Resources[idOf(stack, events().expiringFunction)]).Environment as {
        Variables: Json;
      }
    ).Variables;
    expect(env[SETTINGS.expiringWithinDays.env]).toBe('7');
  });

  it('the webhook rule sends latchkey events from this account to the webhook queue', () => {
    const rule = propsOf(template.toJSON().Resources[idOf(stack, events().webhookRule as IConstruct)]);
    expect(rule.EventPattern).toEqual({ source: ['latchkey'], account: [{ Ref: 'AWS::AccountId' }] });
    expect(JSON.stringify(rule.Targets)).toContain(idOf(stack, events().webhookQueue as IConstruct));
  });
});

describe('least privilege', () => {
  const roleId = (fn: { role: IConstruct }) => idOf(stack, fn.role);

  it('the publisher reads the table stream, puts events and sends to its DLQ — nothing else', () => {
    expect(actionsOf(roleId(events().publisherFunction))).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'events:PutEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
    const stream = statementsOf(roleId(events().publisherFunction)).find((s) => s.Sid === 'ReadTableStream');
    expect(stream?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^KeyStoreTable/), 'StreamArn'],
    });
  });

  it('the expiry scan scans the key index and marks key items only', () => {
    const role = roleId(events().expiringFunction);
    expect(actionsOf(role)).toEqual(['dynamodb:Scan', 'dynamodb:UpdateItem', 'events:PutEvents']);
    const update = statementsOf(role).find((s) => s.Sid === 'MarkExpiryAnnounced');
    expect(update?.Condition).toEqual({
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': ['KEY#*'],
        'dynamodb:Attributes': ['pk', 'sk', 'expires_at_ms', 'expiring_notified'],
      },
    });
    const scan = statementsOf(role).find((s) => s.Sid === 'ScanKeysForExpiry');
    expect(JSON.stringify(scan?.Resource)).toMatch(/\/index\/gsi1/);
  });

  it('the webhook sender reads its secret and its queue — no table, no bus', () => {
    const role = roleId(events().webhookFunction as { role: IConstruct });
    const actions = actionsOf(role);
    expect(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('events:'))).toEqual([]);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).toContain('sqs:ReceiveMessage');
  });

  it('only the webhook sender may read the webhook secret', () => {
    const secretId = idOf(stack, events().webhookSecret as IConstruct);
    const readers = resourcesOf(template, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(propsOf(p).PolicyDocument).includes(`"Ref":"${secretId}"`),
    );
    expect(readers.map(([, p]) => propsOf(p).Roles)).toEqual([
      [{ Ref: roleId(events().webhookFunction as never) }],
    ]);
  });
});

describe('props', () => {
  it('events off: no stream mapping, bus or schedule', SYNTH_TIMEOUT, () => {
    const { template: t } = synthLatchkey({ events: false });
    expect(Object.keys(t.findResources('AWS::Events::EventBus'))).toEqual([]);
    expect(resourcesOf(t, 'AWS::SQS::Queue')).toEqual([]);
  });

  it('a bus of yours: no bus is created and the functions publish to yours', SYNTH_TIMEOUT, () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/platform';
    const { template: t } = synthLatchkey({ eventBusArn: arn });
    expect(Object.keys(t.findResources('AWS::Events::EventBus'))).toEqual([]);
    expect(JSON.stringify(t.findResources('AWS::Lambda::Function'))).toContain(arn);
  });

  it('refuses an http:// webhook, events on an adopted table, and a webhook without events', () => {
    expect(() => synthLatchkey({ webhookUrl: 'http://hooks.example.com' })).toThrow(/https:\/\//);
    expect(() => synthLatchkey({ existingTableName: 'old', events: true })).toThrow(/events need the stream/);
    expect(() => synthLatchkey({ events: false, webhookUrl: 'https://x.example.com' })).toThrow(
      /need events/,
    );
  });
});
