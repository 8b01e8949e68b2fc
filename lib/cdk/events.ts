/**
 * `LatchkeyEvents`: lifecycle events on AWS. The key table's DynamoDB stream (NEW_IMAGE) feeds the
 * events function through an event source mapping whose filter passes only new audit items (nothing else
 * invokes it, nor is billed); the function publishes one event per audit item to an EventBridge bus —
 * one this construct creates, or yours. Delivery is at least once: the mapping retries, bisects a failing
 * batch and takes the function's partial-batch answer (`reportBatchItemFailures`), and records that still
 * fail go to an encrypted, SSL-only SQS dead-letter queue. A daily schedule runs the expiry scan, which
 * publishes `key.expiring`. With a webhook URL: a rule on the bus sends latchkey's events to an SQS queue,
 * from which the webhook sender POSTs each in the Standard Webhooks format, signed with a secret this
 * construct generates in Secrets Manager; what the sender cannot deliver after the queue's receive limit
 * goes to a second dead-letter queue. Each function's role holds only what it needs.
 *
 * AWS references (not verified on AWS): Lambda "Using event filtering with a DynamoDB event source"
 * (filters on `eventName` and `dynamodb.Keys`; filtered-out records are not billed); "Configuring partial
 * batch response with DynamoDB and Lambda" (`ReportBatchItemFailures`: Lambda retries from the lowest
 * reported sequence number); EventBridge "Amazon SQS permissions" (the queue policy a rule target needs);
 * Lambda "Using Lambda with Amazon SQS" (visibility timeout at least six times the function timeout;
 * a redrive policy's maxReceiveCount moves messages to the dead-letter queue).
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../core/events';
import { checkSetting, SETTINGS, throwProblems } from '../core/settings';
import { ITEM_PREFIXES, TABLE_SCHEMA } from '../core/table';
import { LatchkeyFunction } from './latchkey-function';

/** The key-item attribute the expiry scan marks (lambdas/dynamo/expiring.ts). */
const EXPIRING_NOTIFIED_ATTRIBUTE = 'expiring_notified';

export interface LatchkeyEventsProps {
  /** The key table. Its stream must carry new images (NEW_IMAGE or NEW_AND_OLD_IMAGES). */
  readonly table: dynamodb.ITable;
  /** The table's stream ARN (the mapping reads it; the role may read the table's streams only). */
  readonly tableStreamArn: string;
  /** Publish to this bus. @default - a new bus */
  readonly eventBus?: events.IEventBus;
  /** `key.expiring` is raised for keys expiring within this many days (1–365). @default 7 */
  readonly expiringWithinDays?: number;
  /** When the expiry scan runs. @default events.Schedule.cron({ minute: '15', hour: '0' }) — 00:15 UTC */
  readonly expirySchedule?: events.Schedule;
  /** POST every event to this https:// URL (Standard Webhooks). @default - no webhook */
  readonly webhookUrl?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** An encrypted, SSL-only queue that keeps messages for 14 days. */
function queue(scope: Construct, id: string, props: sqs.QueueProps = {}): sqs.Queue {
  return new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.RETAIN,
    ...props,
  });
}

export class LatchkeyEvents extends Construct {
  public readonly eventBus: events.IEventBus;
  /** Stream records the events function could not publish after every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly publisherFunction: LatchkeyFunction;
  public readonly streamMapping: lambda.EventSourceMapping;
  public readonly expiringFunction: LatchkeyFunction;
  public readonly expirySchedule: events.Rule;
  public readonly webhookSecret?: secretsmanager.Secret;
  public readonly webhookQueue?: sqs.Queue;
  /** Events the webhook sender could not deliver after the queue's receive limit. */
  public readonly webhookDeadLetterQueue?: sqs.Queue;
  public readonly webhookFunction?: LatchkeyFunction;
  public readonly webhookRule?: events.Rule;

  constructor(scope: Construct, id: string, props: LatchkeyEventsProps) {
    super(scope, id);
    const withinDays = props.expiringWithinDays ?? SETTINGS.expiringWithinDays.default;
    throwProblems(this.node.path, [
      checkSetting('expiringWithinDays', withinDays),
      props.webhookUrl === undefined ? null : checkSetting('webhookUrl', props.webhookUrl),
      props.webhookUrl !== undefined && !props.webhookUrl.startsWith('https://')
        ? 'webhookUrl must be an https:// URL: webhooks carry key ids and changes'
        : null,
    ]);
    const { table } = props;

    this.eventBus =
      props.eventBus ?? new events.EventBus(this, 'Bus', { description: 'latchkey lifecycle events' });
    this.deadLetterQueue = queue(this, 'DeadLetters');
    this.acknowledgeDeadLetterQueue(this.deadLetterQueue);

    this.publisherFunction = new LatchkeyFunction(this, 'Publisher', {
      entry: 'lambdas/handlers/events.ts',
      description: 'latchkey: publishes an event to EventBridge for every audit item on the table stream',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: { [SETTINGS.eventBus.env]: this.eventBus.eventBusArn },
    });
    this.eventBus.grantPutEventsTo(this.publisherFunction);
    // The four actions of AWS's DynamoDB guide ("IAM policy to allow an AWS Lambda function to access
    // DynamoDB stream records"), scoped to the one stream the mapping reads (not verified on AWS).
    this.publisherFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTableStream',
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [props.tableStreamArn],
      }),
    );
    this.streamMapping = new lambda.EventSourceMapping(this, 'StreamMapping', {
      target: this.publisherFunction,
      eventSourceArn: props.tableStreamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.days(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: {
            Keys: { [TABLE_SCHEMA.partitionKey]: { S: lambda.FilterRule.beginsWith(ITEM_PREFIXES.audit) } },
          },
        }),
      ],
    });
    this.deadLetterQueue.grantSendMessages(this.publisherFunction);

    this.expiringFunction = new LatchkeyFunction(this, 'Expiring', {
      entry: 'lambdas/handlers/expiring.ts',
      description: 'latchkey: daily key.expiring events for keys that expire soon',
      memorySize: 256,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      environment: {
        [SETTINGS.tableName.env]: table.tableName,
        [SETTINGS.eventBus.env]: this.eventBus.eventBusArn,
        [SETTINGS.expiringWithinDays.env]: String(withinDays),
      },
    });
    this.eventBus.grantPutEventsTo(this.expiringFunction);
    this.expiringFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ScanKeysForExpiry',
        actions: ['dynamodb:Scan'],
        resources: [`${table.tableArn}/index/${TABLE_SCHEMA.gsi1.name}`],
      }),
    );
    this.expiringFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MarkExpiryAnnounced',
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [`${ITEM_PREFIXES.key}*`],
            'dynamodb:Attributes': [
              TABLE_SCHEMA.partitionKey,
              TABLE_SCHEMA.sortKey,
              'expires_at_ms',
              EXPIRING_NOTIFIED_ATTRIBUTE,
            ],
          },
        },
      }),
    );
    this.expirySchedule = new events.Rule(this, 'ExpirySchedule', {
      description: 'latchkey: daily scan for keys about to expire (key.expiring events)',
      schedule: props.expirySchedule ?? events.Schedule.cron({ minute: '15', hour: '0' }),
      targets: [new targets.LambdaFunction(this.expiringFunction, { retryAttempts: 2 })],
    });

    if (props.webhookUrl !== undefined) {
      const webhook = this.addWebhook(props.webhookUrl, props.logRetention);
      this.webhookSecret = webhook.secret;
      this.webhookQueue = webhook.pending;
      this.webhookDeadLetterQueue = webhook.deadLetters;
      this.webhookFunction = webhook.sender;
      this.webhookRule = webhook.rule;
    }
  }

  private addWebhook(url: string, logRetention: logs.RetentionDays | undefined) {
    const secret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description:
        'latchkey webhook signing secret (Standard Webhooks): receivers verify with whsec_<this value>',
      // 44 letters and digits are valid base64 of 33 bytes: the key of a Standard Webhooks secret.
      generateSecretString: { passwordLength: 44, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Receivers hold this secret to verify signatures; rotating it breaks them until they take the new ' +
        'one, so the operator rotates it (put-secret-value) when receivers are ready. docs/events.md says how.',
    });
    const senderTimeout = Duration.seconds(60);
    const deadLetters = queue(this, 'WebhookDeadLetters');
    this.acknowledgeDeadLetterQueue(deadLetters);
    const pending = queue(this, 'WebhookQueue', {
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(senderTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    const sender = new LatchkeyFunction(this, 'WebhookSender', {
      entry: 'lambdas/handlers/webhooks.ts',
      description: 'latchkey: POSTs lifecycle events to the webhook URL (Standard Webhooks signatures)',
      memorySize: 256,
      timeout: senderTimeout,
      logRetention,
      environment: {
        [SETTINGS.webhookUrl.env]: url,
        [SETTINGS.webhookSecretId.env]: secret.secretArn,
      },
    });
    secret.grantRead(sender);
    sender.addEventSource(
      new SqsEventSource(pending, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    const rule = new events.Rule(this, 'WebhookRule', {
      description: 'latchkey: every latchkey event to the webhook queue',
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], account: [Aws.ACCOUNT_ID] },
      targets: [new targets.SqsQueue(pending, { deadLetterQueue: deadLetters, retryAttempts: 10 })],
    });
    return { secret, pending, deadLetters, sender, rule };
  }

  private acknowledgeDeadLetterQueue(deadLetters: sqs.Queue): void {
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: what lands here is kept 14 days for inspection.',
    });
  }
}
