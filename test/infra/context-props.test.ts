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
      'latchkey:corsAllowOrigin': 'https://app.example.com',
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
      corsAllowOrigin: 'https://app.example.com',
    });
  });

  it('reads a list of token prefixes as given (the first for new keys)', () => {
    expect(propsFromContext({ 'latchkey:tokenPrefix': 'acme,lk' })).toEqual({ tokenPrefix: 'acme,lk' });
  });

  it.each([
    [
      { 'latchkey:tokenPrefix': 'acme,lk,acme' },
      /latchkey:tokenPrefix must be .*distinct.*, got "acme,lk,acme"/,
    ],
    [{ 'latchkey:tokenPrefix': 'acme, lk' }, /latchkey:tokenPrefix must be .*, got "acme, lk"/],
    [{ 'latchkey:tokenPrefx': 'a' }, /unknown context key latchkey:tokenPrefx/],
    [
      { 'latchkey:defaultRateLimit': 'fast' },
      /latchkey:defaultRateLimit must be an integer from 1 to 100000, got "fast"/,
    ],
    [{ 'latchkey:defaultRateLimit': '0' }, /latchkey:defaultRateLimit must be an integer from 1 to 100000/],
    [{ 'latchkey:defaultMaxKeys': '1e3' }, /latchkey:defaultMaxKeys must be an integer from 0 to 1000000/],
    [{ 'latchkey:logRetentionDays': '10' }, /latchkey:logRetentionDays must be one of/],
    [{ 'latchkey:cloudWatchRole': 'yes' }, /must be true or false/],
    [{ 'latchkey:roleMatrix': '{oops' }, /latchkey:roleMatrix must be JSON/],
    [
      { 'latchkey:throttlingRateLimit': '5' },
      /set both latchkey:throttlingRateLimit and latchkey:throttlingBurstLimit/,
    ],
    [{ 'latchkey:executionLogLevel': 'OFF' }, /must be ERROR or INFO/],
    [
      { 'latchkey:corsAllowOrigin': 'https://app.example.com/' },
      /latchkey:corsAllowOrigin must be \* or one origin as browsers send it/,
    ],
  ])('rejects %j', (context, message) => {
    expect(() => propsFromContext(context)).toThrow(message);
  });

  it('names every invalid value in one error', () => {
    expect(() =>
      propsFromContext({ 'latchkey:hotKeyBoundMs': '50', 'latchkey:stageName': 'my stage' }),
    ).toThrow(
      'context: 2 problems: latchkey:hotKeyBoundMs must be an integer from 100 to 10000, got "50"; ' +
        `latchkey:stageName must be 1-128 letters, digits, '-' or '_', got "my stage"`,
    );
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
