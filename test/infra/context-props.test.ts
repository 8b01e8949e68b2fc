/**
 * `latchkey:*` CDK context keys become stack props: strings from `-c` and JSON values from cdk.json
 * alike, typos and wrong types refused; and the settings table's CloudWatch retention list matches
 * the CDK's own.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { propsFromContext } from '#cdk/context-props';
import { CONTEXT_SETTINGS, LOG_RETENTION_DAYS } from '#core/settings';

describe('operator settings from CDK context (-c latchkey:<prop>=<value>)', () => {
  it('reads strings from -c and JSON values from cdk.json alike', () => {
    const props = propsFromContext({
      'latchkey:tokenPrefix': 'acme',
      'latchkey:defaultRateLimit': '120',
      'latchkey:defaultMaxKeys': 10,
      'latchkey:authorizerCacheTtlSeconds': '0',
      'latchkey:adminKeyRotationDays': 30,
      'latchkey:logRetentionDays': '90',
      'latchkey:throttlingRateLimit': '100',
      'latchkey:throttlingBurstLimit': 200,
      'latchkey:executionLogLevel': 'INFO',
      'latchkey:cloudWatchRole': 'false',
      'latchkey:roleMatrix': '{"reader":["api:read"]}',
      'latchkey:defaultRole': 'reader',
      'latchkey:plans': '{"trial":1,"enterprise":null}',
      '@aws-cdk/core:checkSecretUsage': true,
    });
    expect(props).toEqual({
      tokenPrefix: 'acme',
      defaultRateLimit: 120,
      defaultMaxKeys: 10,
      authorizerCacheTtl: Duration.seconds(0),
      adminKeyRotation: Duration.days(30),
      logRetention: logs.RetentionDays.THREE_MONTHS,
      throttling: { rateLimit: 100, burstLimit: 200 },
      executionLogLevel: apigateway.MethodLoggingLevel.INFO,
      cloudWatchRole: false,
      roleMatrix: { reader: ['api:read'] },
      defaultRole: 'reader',
      plans: { trial: 1, enterprise: null },
    });
  });

  it.each([
    [{ 'latchkey:tokenPrefx': 'a' }, /unknown context key latchkey:tokenPrefx/],
    [{ 'latchkey:defaultRateLimit': 'fast' }, /latchkey:defaultRateLimit: expected an integer, got "fast"/],
    [{ 'latchkey:logRetentionDays': '10' }, /latchkey:logRetentionDays: expected one of/],
    [{ 'latchkey:cloudWatchRole': 'yes' }, /expected true or false/],
    [{ 'latchkey:roleMatrix': '{oops' }, /latchkey:roleMatrix: expected JSON/],
    [
      { 'latchkey:throttlingRateLimit': '5' },
      /set both latchkey:throttlingRateLimit and latchkey:throttlingBurstLimit/,
    ],
    [{ 'latchkey:executionLogLevel': 'OFF' }, /expected ERROR or INFO/],
  ])('rejects %j', (context, message) => {
    expect(() => propsFromContext(context)).toThrow(message);
  });

  it('accepts every context key of the settings table', () => {
    const unknown = CONTEXT_SETTINGS.filter((name) => {
      try {
        propsFromContext({ [`latchkey:${name}`]: '#' });
        return false;
      } catch (error) {
        return (error as Error).message.startsWith('unknown context key');
      }
    });
    expect(unknown).toEqual([]);
  });

  it("the settings table's log retention values are CloudWatch's (logs.RetentionDays)", () => {
    const cdk = Object.values(logs.RetentionDays).filter((v) => typeof v === 'number');
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdk.sort((a, b) => a - b));
  });
});
