/**
 * The monitoring the stack adds (lib/cdk/monitoring.ts), in both API types: the alarms read the metric
 * names of the metrics table (`#core/metrics`) and API Gateway's own names for the API type, with their
 * documented thresholds; every alarm notifies the encrypted topic; the topic refuses non-TLS publishing;
 * `alarmEmail` subscribes an address; the dashboard's widgets reference the table's metric names; and
 * the stack stays cdk-nag clean.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZER_REFUSAL_REASONS } from '#cdk/monitoring';
import { METRICS, METRICS_NAMESPACE } from '#core/metrics';
import type { ApiType } from '#core/settings';
import { propsOf, resourcesOf, SYNTH_TIMEOUT, type Synthesized, synthLatchkey } from './support';

type Json = Record<string, unknown>;

/** Each alarm by its construct id, as [logical id, properties]. */
function alarmsOf(template: Template): Map<string, Json> {
  const alarms = new Map<string, Json>();
  for (const [id, resource] of resourcesOf(template, 'AWS::CloudWatch::Alarm')) {
    const name = /Monitoring(\w+?)Alarm/.exec(id)?.[1];
    if (name) alarms.set(name, propsOf(resource));
  }
  return alarms;
}

/** The metrics an alarm's math expression reads: namespace, name, dimension names. */
function metricsRead(alarm: Json): Array<{ namespace: string; name: string; dimensions: string[] }> {
  const queries = (alarm.Metrics ?? []) as Json[];
  return queries
    .filter((q) => q.MetricStat)
    .map((q) => {
      const metric = (q.MetricStat as Json).Metric as Json;
      return {
        namespace: metric.Namespace as string,
        name: metric.MetricName as string,
        dimensions: ((metric.Dimensions ?? []) as Json[]).map((d) => d.Name as string).sort(),
      };
    });
}

const API_METRICS: Record<ApiType, { serverError: string; count: string; dimension: string }> = {
  rest: { serverError: '5XXError', count: 'Count', dimension: 'ApiName' },
  http: { serverError: '5xx', count: 'Count', dimension: 'ApiId' },
};

describe.each(['rest', 'http'] as const)('monitoring, %s API', (apiType) => {
  let synthesized: Synthesized;
  let template: Template;
  beforeAll(() => {
    synthesized = synthLatchkey({ apiType, alarmEmail: 'oncall@example.com' }, { nag: true });
    template = synthesized.template;
  }, SYNTH_TIMEOUT.timeout);

  it('stays cdk-nag clean', () => {
    const nag = synthesized.report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag?.violations ?? []).toEqual([]);
  });

  it('alarms on dependency errors, 5xx rate, DynamoDB throttles and a refusal spike, with the documented thresholds', () => {
    const alarms = alarmsOf(template);
    expect([...alarms.keys()].sort()).toEqual([
      'DependencyErrors',
      'DynamoThrottles',
      'RefusalSpike',
      'ServerErrors',
    ]);

    const dependency = alarms.get('DependencyErrors') as Json;
    expect(dependency).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(metricsRead(dependency)).toEqual([
      { namespace: METRICS_NAMESPACE, name: METRICS.dependencyErrors.name, dimensions: ['Function'] },
      { namespace: METRICS_NAMESPACE, name: METRICS.dependencyErrors.name, dimensions: ['Function'] },
    ]);

    const server = alarms.get('ServerErrors') as Json;
    expect(server).toMatchObject({ Threshold: 1, EvaluationPeriods: 1 });
    const api = API_METRICS[apiType];
    expect(metricsRead(server)).toEqual(
      expect.arrayContaining([
        { namespace: 'AWS/ApiGateway', name: api.serverError, dimensions: [api.dimension] },
        { namespace: 'AWS/ApiGateway', name: api.count, dimensions: [api.dimension] },
      ]),
    );

    const throttles = alarms.get('DynamoThrottles') as Json;
    expect(throttles).toMatchObject({ Threshold: 1, EvaluationPeriods: 1 });
    expect(metricsRead(throttles).map((m) => m.name)).toEqual([
      METRICS.dynamoThrottles.name,
      METRICS.dynamoThrottles.name,
    ]);

    const spike = alarms.get('RefusalSpike') as Json;
    expect(spike).toMatchObject({ Threshold: 50, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(metricsRead(spike)).toEqual([
      { namespace: METRICS_NAMESPACE, name: METRICS.verifications.name, dimensions: ['Function', 'Outcome'] },
      { namespace: METRICS_NAMESPACE, name: METRICS.verifications.name, dimensions: ['Function', 'Outcome'] },
    ]);
    const expression = ((spike.Metrics as Json[]).find((q) => q.Expression) as Json).Expression;
    expect(expression).toBe('IF(refused >= 20, 100 * refused / (refused + allowed), 0)');
  });

  it('notifies the alarm topic on ALARM and OK; the topic is KMS-encrypted and refuses non-TLS publishing', () => {
    const [[topicId, topic]] = resourcesOf(template, 'AWS::SNS::Topic') as [[string, Json]];
    for (const alarm of alarmsOf(template).values()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    const keyRef = (propsOf(topic).KmsMasterKeyId as Json)['Fn::GetAtt'] as string[];
    const key = template.toJSON().Resources[keyRef[0] as string] as Json;
    expect(propsOf(key).EnableKeyRotation).toBe(true);
    const keyStatements = ((propsOf(key).KeyPolicy as Json).Statement ?? []) as Json[];
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId },
    });
  });

  it("has a dashboard whose widgets read the metrics table's names and every authorizer refusal reason", () => {
    const [[, dashboard]] = resourcesOf(template, 'AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(propsOf(dashboard).DashboardBody);
    for (const metric of Object.values(METRICS)) expect(body).toContain(`\\"${metric.name}\\"`);
    for (const reason of AUTHORIZER_REFUSAL_REASONS) expect(body).toContain(`\\"${reason}\\"`);
    expect(body).toContain(`\\"${API_METRICS[apiType].serverError}\\"`);
    for (const title of [
      'Verifications by outcome',
      'Refusals by reason',
      'Authorizer latency',
      'Errors',
      'Throttles',
    ])
      expect(body).toContain(title);
    expect(body).toContain('p99');
  });

  it('names the alarm topic and dashboard in the outputs', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['AlarmTopicArn', 'DashboardName']));
  });
});

describe('alarmEmail', () => {
  it(
    'is optional: no subscription without it',
    () => {
      const { template } = synthLatchkey({});
      expect(resourcesOf(template, 'AWS::SNS::Subscription')).toEqual([]);
      expect(resourcesOf(template, 'AWS::SNS::Topic')).toHaveLength(1);
    },
    SYNTH_TIMEOUT.timeout,
  );

  it(
    'must be an email address',
    () => {
      expect(() => synthLatchkey({ alarmEmail: 'not an address' })).toThrow(/alarmEmail/);
    },
    SYNTH_TIMEOUT.timeout,
  );

  it('is read from context like every setting', async () => {
    const { propsFromContext } = await import('#cdk/context-props');
    expect(propsFromContext({ 'latchkey:alarmEmail': 'ops@example.com' })).toEqual({
      alarmEmail: 'ops@example.com',
    });
    expect(() => propsFromContext({ 'latchkey:alarmEmail': 'ops' })).toThrow(/alarmEmail/);
  });
});
