/**
 * What an on-call engineer watches: a CloudWatch dashboard of latchkey's traffic (verifications by
 * outcome, refusals by reason, authorizer latency, errors, throttles, API Gateway 5xx) and alarms with
 * documented defaults on an SNS topic, to which `alarmEmail` subscribes an address. latchkey's own
 * metrics are read by the names in `#core/metrics` (the Lambdas publish them as embedded-metric-format
 * log lines); API Gateway's are its own, which differ by API type:
 *
 * - REST API: namespace `AWS/ApiGateway`, metrics `5XXError`, `4XXError`, `Count`, `Latency`, dimension
 *   `ApiName` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
 * - HTTP API: namespace `AWS/ApiGateway`, metrics `5xx`, `4xx`, `Count`, `Latency`, dimension `ApiId`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html).
 *
 * CDK's `metricServerError()`, `metricCount()` and `metricLatency()` of each API pick those names. The
 * topic is encrypted with a customer managed key whose policy lets CloudWatch use it, which CloudWatch
 * needs to publish to an encrypted topic
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
 * not verified on AWS.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  METRIC_DIMENSIONS,
  METRICS,
  METRICS_NAMESPACE,
  type MetricDependency,
  type MetricId,
} from '../core/metrics';
import { REFUSAL_REASONS, type RefusalReason } from '../core/refusals';
import { checkSetting, throwProblems } from '../core/settings';
import type { LatchkeyApi } from './latchkey-api';

/** The alarms' thresholds. Each has a default (docs/operations.md, "Metrics and alarms"). */
export interface LatchkeyAlarmThresholds {
  /**
   * Requests refused because DynamoDB or Secrets Manager failed (authorizer and management API), per
   * minute, in 2 of 3 consecutive minutes. @default 1
   */
  readonly dependencyErrorsPerMinute?: number;
  /**
   * API Gateway 5xx answers (503 dependency failures, authorizer failures) as a percentage of requests
   * over 5 minutes, counted once at least 10 requests came in. @default 1
   */
  readonly serverErrorPercent?: number;
  /** Requests refused because DynamoDB throttled, per minute. @default 1 */
  readonly dynamoThrottlesPerMinute?: number;
  /**
   * Refused verifications as a percentage of all verifications over 5 minutes, in 2 of 3 consecutive
   * periods, counted once at least `refusalSpikeMinimum` were refused. @default 50
   */
  readonly refusalPercent?: number;
  /** The fewest refusals in 5 minutes that can make a spike. @default 20 */
  readonly refusalSpikeMinimum?: number;
}

export interface LatchkeyMonitoringProps {
  /** The API (REST or HTTP), its management function and its authorizer's function. */
  readonly api: LatchkeyApi;
  readonly authorizerFunction: lambda.IFunction;
  /** An email address subscribed to the alarm topic (it must confirm the subscription). @default - none */
  readonly alarmEmail?: string;
  /** @default - the defaults of `LatchkeyAlarmThresholds` */
  readonly thresholds?: LatchkeyAlarmThresholds;
}

const DEFAULT_THRESHOLDS: Required<LatchkeyAlarmThresholds> = {
  dependencyErrorsPerMinute: 1,
  serverErrorPercent: 1,
  dynamoThrottlesPerMinute: 1,
  refusalPercent: 50,
  refusalSpikeMinimum: 20,
};

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const DEPENDENCIES: MetricDependency[] = ['DynamoDB', 'SecretsManager'];

/** The refusal reasons the authorizer counts (the body checks' reasons are the integrations'). */
export const AUTHORIZER_REFUSAL_REASONS = (Object.keys(REFUSAL_REASONS) as RefusalReason[]).filter(
  (reason) => REFUSAL_REASONS[reason].loggedBy === 'authorizer',
);

/**
 * The dashboard, the alarms and their topic. Every alarm notifies the topic when it goes into ALARM and
 * when it returns to OK.
 */
export class LatchkeyMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** The topic every alarm notifies. */
  public readonly alarmTopic: sns.Topic;
  /** The key that encrypts the topic. */
  public readonly alarmTopicKey: kms.Key;
  public readonly alarms: {
    dependencyErrors: cloudwatch.Alarm;
    serverErrors: cloudwatch.Alarm;
    dynamoThrottles: cloudwatch.Alarm;
    refusalSpike: cloudwatch.Alarm;
  };

  constructor(scope: Construct, id: string, props: LatchkeyMonitoringProps) {
    super(scope, id);
    if (props.alarmEmail !== undefined)
      throwProblems(this.node.path, [checkSetting('alarmEmail', props.alarmEmail)]);
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    const authorizerName = props.authorizerFunction.functionName;
    const management = props.api.managementFunction;
    const api = props.api.apiType === 'rest' ? props.api.restApi : props.api.httpApi;

    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'latchkey: encrypts the alarm topic',
      enableKeyRotation: true,
      // It protects notifications in flight only; nothing stored needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'latchkey alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    /** A latchkey metric of one function, summed per `period`. */
    const latchkey = (
      id: MetricId,
      functionName: string,
      dimensions: Record<string, string> = {},
      period = MINUTE,
      label?: string,
    ) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS[id].name,
        dimensionsMap: { [METRIC_DIMENSIONS.function]: functionName, ...dimensions },
        statistic: cloudwatch.Stats.SUM,
        period,
        ...(label ? { label } : {}),
      });
    const verifications = (outcome: 'allowed' | 'refused', period = MINUTE) =>
      latchkey('verifications', authorizerName, { [METRIC_DIMENSIONS.outcome]: outcome }, period, outcome);
    const dependencyErrors = (functionName: string, label: string) =>
      latchkey('dependencyErrors', functionName, {}, MINUTE, label);

    // Alarms.
    const dependencyErrorsAlarm = new cloudwatch.Alarm(this, 'DependencyErrorsAlarm', {
      alarmDescription:
        'latchkey: requests refused because DynamoDB or Secrets Manager failed (fail closed). Runbook: docs/operations.md#metrics-and-alarms',
      metric: new cloudwatch.MathExpression({
        expression: 'authorizer + management',
        usingMetrics: {
          authorizer: dependencyErrors(authorizerName, 'authorizer'),
          management: dependencyErrors(management.functionName, 'management'),
        },
        period: MINUTE,
        label: 'dependency errors',
      }),
      threshold: t.dependencyErrorsPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const serverErrorsAlarm = new cloudwatch.Alarm(this, 'ServerErrorsAlarm', {
      alarmDescription:
        'latchkey: API Gateway 5xx answers (503 dependency failures, authorizer failures) above the threshold percentage of requests. Runbook: docs/operations.md#metrics-and-alarms',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests >= 10, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: api.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
          requests: api.metricCount({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        },
        period: FIVE_MINUTES,
        label: '5xx %',
      }),
      threshold: t.serverErrorPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const dynamoThrottlesAlarm = new cloudwatch.Alarm(this, 'DynamoThrottlesAlarm', {
      alarmDescription:
        'latchkey: requests refused because DynamoDB throttled the key table. Runbook: docs/operations.md#metrics-and-alarms',
      metric: new cloudwatch.MathExpression({
        expression: 'authorizer + management',
        usingMetrics: {
          authorizer: latchkey('dynamoThrottles', authorizerName),
          management: latchkey('dynamoThrottles', management.functionName),
        },
        period: MINUTE,
        label: 'DynamoDB throttles',
      }),
      threshold: t.dynamoThrottlesPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const refusalSpikeAlarm = new cloudwatch.Alarm(this, 'RefusalSpikeAlarm', {
      alarmDescription:
        'latchkey: the share of refused verifications spiked (a leaked or revoked key in use, a client misconfigured, an attack). Runbook: docs/operations.md#metrics-and-alarms',
      metric: new cloudwatch.MathExpression({
        expression: `IF(refused >= ${t.refusalSpikeMinimum}, 100 * refused / (refused + allowed), 0)`,
        usingMetrics: {
          refused: verifications('refused', FIVE_MINUTES),
          allowed: verifications('allowed', FIVE_MINUTES),
        },
        period: FIVE_MINUTES,
        label: 'refused %',
      }),
      threshold: t.refusalPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = {
      dependencyErrors: dependencyErrorsAlarm,
      serverErrors: serverErrorsAlarm,
      dynamoThrottles: dynamoThrottlesAlarm,
      refusalSpike: refusalSpikeAlarm,
    };
    const notify = new actions.SnsAction(this.alarmTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    // The dashboard.
    const width = 12;
    const functions: Array<[string, lambda.IFunction]> = [
      ['authorizer', props.authorizerFunction],
      ['management', management],
    ];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Verifications by outcome (per minute)',
            width,
            left: [verifications('allowed'), verifications('refused')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Refusals by reason (per minute)',
            width,
            left: AUTHORIZER_REFUSAL_REASONS.map((reason) =>
              latchkey(
                'verifications',
                authorizerName,
                { [METRIC_DIMENSIONS.outcome]: 'refused', [METRIC_DIMENSIONS.reason]: reason },
                MINUTE,
                reason,
              ),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Authorizer latency (ms): Lambda duration and API Gateway latency',
            width,
            left: [
              props.authorizerFunction.metricDuration({ statistic: 'p50', label: 'authorizer p50' }),
              props.authorizerFunction.metricDuration({ statistic: 'p99', label: 'authorizer p99' }),
              api.metricLatency({ statistic: 'p50', label: 'API Gateway p50' }),
              api.metricLatency({ statistic: 'p99', label: 'API Gateway p99' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'API Gateway: requests and 5xx (503s included)',
            width,
            left: [api.metricCount({ label: 'requests', period: MINUTE })],
            right: [api.metricServerError({ label: '5xx', period: MINUTE })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Errors: dependency failures and Lambda errors',
            width,
            left: DEPENDENCIES.flatMap((dependency) =>
              functions.map(([name, fn]) =>
                latchkey(
                  'dependencyErrors',
                  fn.functionName,
                  { [METRIC_DIMENSIONS.dependency]: dependency },
                  MINUTE,
                  `${name}: ${dependency}`,
                ),
              ),
            ),
            // The authorizer's Lambda errors include REST API refusals, which it answers by throwing.
            right: functions.map(([name, fn]) =>
              fn.metricErrors({ label: `${name} Lambda errors`, period: MINUTE }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Throttles, hot keys and cold starts',
            width,
            left: [
              ...functions.map(([name, fn]) =>
                latchkey('dynamoThrottles', fn.functionName, {}, MINUTE, `${name}: DynamoDB throttles`),
              ),
              ...functions.map(([name, fn]) =>
                fn.metricThrottles({ label: `${name}: Lambda throttles`, period: MINUTE }),
              ),
            ],
            right: [
              latchkey('hotKeyMemoryAnswers', authorizerName, {}, MINUTE, 'hot-key memory answers'),
              ...functions.map(([name, fn]) =>
                latchkey('coldStarts', fn.functionName, {}, MINUTE, `${name}: cold starts`),
              ),
            ],
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            width: 24,
            alarms: Object.values(this.alarms),
          }),
        ],
      ],
    });
  }
}
