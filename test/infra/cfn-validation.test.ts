import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { LatchkeyStack } from '#cdk/latchkey-stack';
import { CDK_CONTEXT, SYNTH_TIMEOUT, synthesize, testApp } from './support';

/**
 * The one test that runs aws-cdk-lib's built-in CloudFormation validation (schema and rule checks of
 * every resource), with cdk-nag registered as bin/latchkey.ts does. Any finding above informational
 * fails — warnings included, although a synth only fails on errors.
 */
describe('CloudFormation validation', () => {
  it('is enabled as errors by cdk.json', () => {
    expect(CDK_CONTEXT['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  it(
    'reports nothing above informational for the default, the fully configured and the HTTP API stack',
    SYNTH_TIMEOUT,
    () => {
      const app = testApp({ validation: true, nag: true });
      const stack = new LatchkeyStack(app, 'Latchkey');
      new LatchkeyStack(app, 'Rotating', {
        adminKeyRotation: Duration.days(30),
        authorizerCacheTtl: Duration.seconds(60),
        webAclArn:
          'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/latchkey/0f4b0e2c-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
      });
      new LatchkeyStack(app, 'Http', { apiType: 'http', authorizerProvisionedConcurrency: 1 });
      const { report } = synthesize(app, stack);
      const plugins = report.pluginReports.map((r) => r.pluginName);
      const findings = report.pluginReports.flatMap((r) =>
        r.violations
          .filter((v) => !['info', 'informational'].includes(v.severity ?? ''))
          .map((v) => `${r.pluginName} ${v.ruleName} (${v.severity}): ${v.description}`),
      );
      expect(findings).toEqual([]);
      expect(plugins.every((p) => ['CloudFormation Validate', 'AwsSolutions'].includes(p))).toBe(true);
    },
  );

  it('does run in this setup: a deprecated runtime is reported', SYNTH_TIMEOUT, () => {
    // An empty report could also mean the validation never ran; prove it runs with the same app options.
    const app = testApp({ validation: true });
    const stack = new Stack(app, 'Probe');
    new lambda.CfnFunction(stack, 'Old', {
      runtime: 'nodejs18.x',
      handler: 'index.handler',
      role: 'arn:aws:iam::123456789012:role/probe',
      code: { zipFile: 'exports.handler = async () => {};' },
    });
    const { report } = synthesize(app, stack);
    const validate = report.pluginReports.find((r) => r.pluginName === 'CloudFormation Validate');
    expect(validate?.violations.map((v) => v.severity)).toContain('warning');
  });
});
