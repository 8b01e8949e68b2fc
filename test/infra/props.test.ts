/**
 * Construct props: invalid values and combinations fail at synth with a clear message, an
 * operator-configured stack carries its settings into the template (environment, stage, logs,
 * rotation), and the constructs compose with a REST API and table of your own.
 */

import { Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LatchkeyAuthorizer } from '#cdk/authorizer';
import { LatchkeyKeyStore } from '#cdk/key-store';
import { LatchkeyApi } from '#cdk/latchkey-api';
import { LatchkeyStack, type LatchkeyStackProps } from '#cdk/latchkey-stack';
import { GATEWAY_RESPONSES } from '#core/gateway-responses';
import { isPublicRoute, ROUTES } from '#core/routes';
import { SETTINGS } from '#core/settings';
import { loadConfig } from '#lambda/runtime/config';

import {
  propsOf,
  resourcesOf,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthesize,
  synthLatchkey,
  testApp,
} from './support';

type Json = Record<string, unknown>;

/** Constructs the stack (no synth): prop validation happens in the constructors. */
function construct(props: LatchkeyStackProps): void {
  new LatchkeyStack(testApp(), 'Latchkey', props);
}

/** A stack of your own composing the constructs, as docs/deploy.md "Protecting your own API" shows. */
function ownStack() {
  const stack = new Stack(testApp(), 'Own');
  const keyStore = new LatchkeyKeyStore(stack, 'KeyStore');
  const authorizer = new LatchkeyAuthorizer(stack, 'Authorizer', { keyStore });
  return { stack, keyStore, authorizer };
}

describe('tokenPrefix as a list', () => {
  it.each([
    ['comma-separated', 'acme,lk'],
    ['an array', ['acme', 'lk']],
  ] as const)(
    'given %s, every function reads the same list, new keys getting the first',
    (_, tokenPrefix) => {
      const stack = new Stack(testApp(), 'Own');
      const keyStore = new LatchkeyKeyStore(stack, 'KeyStore', { tokenPrefix });
      const env = keyStore.grantVerifyTo(
        new iam.Role(stack, 'Task', { assumedBy: new iam.AccountRootPrincipal() }),
      );
      expect(keyStore.tokenPrefix).toBe('acme,lk');
      expect(env[SETTINGS.tokenPrefix.env]).toBe('acme,lk');
      const config = loadConfig({
        ...env,
        [SETTINGS.signingSecretId.env]: 's',
        [SETTINGS.tableName.env]: 't',
      });
      expect(config.tokenPrefixes).toEqual(['acme', 'lk']);
      expect(config.tokenPrefix).toBe('acme');
    },
  );
});

describe('prop validation: clear errors at synth time', () => {
  const cases: [string, LatchkeyStackProps, RegExp][] = [
    [
      'token prefix with capitals',
      { tokenPrefix: 'LK' },
      /tokenPrefix must be 1-4 distinct prefixes separated by commas \(the first for new keys\), each 1-16 lowercase letters or digits, got "LK"/,
    ],
    ['token prefix too long', { tokenPrefix: 'a'.repeat(17) }, /tokenPrefix/],
    [
      'a token prefix listed twice',
      { tokenPrefix: 'acme,lk,acme' },
      /tokenPrefix must be .*, got "acme,lk,acme"/,
    ],
    ['a list of token prefixes with a duplicate', { tokenPrefix: ['lk', 'lk'] }, /got "lk,lk"/],
    ['five token prefixes', { tokenPrefix: ['a', 'b', 'c', 'd', 'e'] }, /got "a,b,c,d,e"/],
    ['an unknown verify mode', { verifyMode: 'fast' as never }, /verifyMode must be bounded or exact/],
    [
      'a hot-key bound under 100 ms',
      { hotKeyBoundMs: 50 },
      /hotKeyBoundMs must be an integer from 100 to 10000/,
    ],
    [
      'negative provisioned concurrency',
      { authorizerProvisionedConcurrency: -1 },
      /provisionedConcurrency must be an integer from 0 to 1000/,
    ],
    [
      'authorizer cache above 3600 s',
      { authorizerCacheTtl: Duration.seconds(3601) },
      /resultsCacheTtl must be whole seconds from 0 to 3600/,
    ],
    ['authorizer cache in fractions', { authorizerCacheTtl: Duration.millis(1500) }, /resultsCacheTtl/],
    [
      'secret cache above an hour',
      { secretCacheTtl: Duration.hours(2) },
      /secretCacheTtl must be whole seconds/,
    ],
    [
      'secret cache in fractions',
      { secretCacheTtl: Duration.millis(500) },
      /secretCacheTtl must be whole seconds/,
    ],
    [
      'rotation with a secret cache over a minute',
      { adminKeyRotation: Duration.days(30), secretCacheTtl: Duration.minutes(5) },
      /with adminKeyRotation, secretCacheTtl must be at most 60 seconds/,
    ],
    [
      'rotation more often than 4 hours',
      { adminKeyRotation: Duration.hours(1) },
      /automaticallyAfter must not be smaller than 4 hours/,
    ],
    [
      'role matrix with an unknown permission',
      { roleMatrix: { ops: ['keys:delete' as never] } },
      /roleMatrix: role ops must list permissions/,
    ],
    ['empty role matrix', { roleMatrix: {} }, /roleMatrix: role matrix must define at least one role/],
    [
      'default role not in the matrix',
      { roleMatrix: { reader: ['api:read'] } },
      /defaultRole "member" is not in roleMatrix \(reader\)/,
    ],
    ['default role misspelt', { defaultRole: 'memebr' }, /defaultRole "memebr" is not in roleMatrix/],
    [
      'a plan with a negative limit',
      { plans: { trial: -1 } },
      /plans: plan trial: the limit must be an integer/,
    ],
    ['a plan name in capitals', { plans: { Trial: 1 } }, /plans: plan "Trial": names are/],
    [
      'rate limit of 0',
      { defaultRateLimit: 0 },
      /defaultRateLimit must be an integer from 1 to 100000, got 0/,
    ],
    ['fractional max keys', { defaultMaxKeys: 2.5 }, /defaultMaxKeys must be an integer from 0 to 1000000/],
    [
      'retention under a day',
      { keyRetention: Duration.hours(12) },
      /keyRetention must be whole days from 1 to 3650, got 0.5/,
    ],
    [
      'a secret ARN without its suffix',
      { existingAdminKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeyAdminKey' },
      /existingAdminKeySecretArn must be a complete secret ARN, ending in the 6-character suffix/,
    ],
    ['stage name with a space', { stageName: 'my stage' }, /stageName must be 1-128 letters/],
    [
      'throttling without burst',
      { throttling: { rateLimit: 10 } },
      /throttling needs both rateLimit and burstLimit/,
    ],
    [
      'negative throttling',
      { throttling: { rateLimit: -1, burstLimit: 5 } },
      /throttling.rateLimit must be a number above 0, got -1/,
    ],
    [
      'execution logging off',
      { executionLogLevel: apigateway.MethodLoggingLevel.OFF as apigateway.MethodLoggingLevel.ERROR },
      /executionLogLevel must be ERROR or INFO, got "OFF"/,
    ],
    [
      'authorizer memory below 128 MB',
      { authorizerMemorySize: 64 },
      /memorySize must be an integer from 128 to 10240/,
    ],
  ];
  it.each(cases)('%s', (_name, props, message) => {
    expect(() => construct(props)).toThrow(message);
  });

  it('names every invalid prop of a construct in one error', () => {
    expect(() => construct({ hotKeyBoundMs: 50, verifyMode: 'fast' as never })).toThrow(
      'Latchkey/Authorizer: 2 problems: verifyMode must be bounded or exact, got "fast"; ' +
        'hotKeyBoundMs must be an integer from 100 to 10000, got 50',
    );
    expect(() =>
      construct({
        defaultRateLimit: 0,
        stageName: 'my stage',
        throttling: { rateLimit: 0, burstLimit: 1.5 },
      }),
    ).toThrow(
      `Latchkey/Api: 4 problems: stageName must be 1-128 letters, digits, '-' or '_', got "my stage"; ` +
        'throttling.rateLimit must be a number above 0, got 0; ' +
        'throttling.burstLimit must be an integer of at least 1, got 1.5; ' +
        'defaultRateLimit must be an integer from 1 to 100000, got 0',
    );
  });

  it('existingRestApi cannot be combined with stage settings', () => {
    const { stack, keyStore, authorizer } = ownStack();
    const existingRestApi = new apigateway.RestApi(stack, 'Mine');
    expect(
      () =>
        new LatchkeyApi(stack, 'Api', {
          keyStore,
          authorizer,
          existingRestApi,
          stageName: 'v1',
          throttling: { rateLimit: 1, burstLimit: 1 },
        }),
    ).toThrow(/Own\/Api: stageName, throttling cannot be combined with existingRestApi/);
  });

  it('existingTable cannot be combined with tableProps, and the key schema cannot be overridden', () => {
    const app = testApp();
    const stack = new Stack(app, 'Own');
    const existingTable = dynamodb.Table.fromTableName(stack, 'Existing', 'keys');
    expect(
      () =>
        new LatchkeyKeyStore(stack, 'A', {
          existingTable,
          tableProps: { contributorInsightsSpecification: { enabled: true } },
        }),
    ).toThrow(/existingTable and tableProps cannot be combined/);
    expect(
      () =>
        new LatchkeyKeyStore(stack, 'B', {
          tableProps: { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } },
        }),
    ).toThrow(/tableProps cannot change the key schema/);
  });
});

describe('an operator-configured stack', () => {
  let configured: Synthesized;
  let template: Template;
  let stack: LatchkeyStack;
  beforeAll(() => {
    configured = synthLatchkey(
      {
        tokenPrefix: 'acme',
        authorizerCacheTtl: Duration.seconds(300),
        adminKeyRotation: Duration.days(30),
        secretCacheTtl: Duration.seconds(30),
        stageName: 'live',
        throttling: { rateLimit: 50, burstLimit: 100 },
        logRetention: logs.RetentionDays.ONE_YEAR,
        executionLogLevel: apigateway.MethodLoggingLevel.INFO,
        roleMatrix: { owner: ['keys:read', 'keys:write', 'api:read', 'api:write'], client: ['api:read'] },
        defaultRole: 'client',
        defaultMaxKeys: 5,
        defaultRateLimit: 600,
        plans: { trial: 1, enterprise: null },
        keyRetention: Duration.days(90),
        managementMemorySize: 1024,
        signingProfile: 'strict',
        verifyMode: 'exact',
        hotKeyBoundMs: 500,
        authorizerProvisionedConcurrency: 3,
      },
      { nag: true },
    );
    template = configured.template;
    stack = configured.stack as LatchkeyStack;
  }, 120_000);

  const logicalId = (c: { node: { defaultChild?: unknown } }) =>
    Stack.of(c as never).getLogicalId(c.node.defaultChild as never);

  it('passes cdk-nag with rotation enabled', () => {
    expect(configured.report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('uses the configured authorizer cache TTL', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 300 });
  });

  it('passes settings to the functions through their environment', () => {
    const fns = template.findResources('AWS::Lambda::Function') as Record<string, Json>;
    const envOf = (c: { node: { defaultChild?: unknown } }) =>
      (propsOf(fns[logicalId(c)] ?? {}).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(envOf(stack.authorizer.function)).toMatchObject({
      [SETTINGS.tokenPrefix.env]: 'acme',
      [SETTINGS.secretCacheTtlSeconds.env]: '30',
      [SETTINGS.signingProfile.env]: 'strict',
      [SETTINGS.verifyMode.env]: 'exact',
      [SETTINGS.hotKeyBoundMs.env]: '500',
    });
    expect(envOf(stack.api.managementFunction)).toMatchObject({
      [SETTINGS.tokenPrefix.env]: 'acme',
      [SETTINGS.defaultMaxKeys.env]: '5',
      [SETTINGS.defaultRateLimit.env]: '600',
      [SETTINGS.defaultRole.env]: 'client',
      [SETTINGS.keyRetentionDays.env]: '90',
      [SETTINGS.plans.env]: '{"trial":1,"enterprise":null}',
      [SETTINGS.roleMatrix.env]: JSON.stringify({
        owner: ['keys:read', 'keys:write', 'api:read', 'api:write'],
        client: ['api:read'],
      }),
    });
    expect(propsOf(fns[logicalId(stack.api.managementFunction)] ?? {}).MemorySize).toBe(1024);
  });

  it('keeps provisioned authorizer instances on a live alias, which API Gateway invokes', () => {
    const aliases = template.findResources('AWS::Lambda::Alias') as Record<string, Json>;
    const live = Object.entries(aliases).filter(([, a]) => propsOf(a).Name === 'live');
    expect(live).toHaveLength(1);
    const [aliasId, alias] = live[0] as [string, Json];
    expect(propsOf(alias).ProvisionedConcurrencyConfig).toEqual({ ProvisionedConcurrentExecutions: 3 });
    expect(JSON.stringify(propsOf(alias).FunctionName)).toContain(logicalId(stack.authorizer.function));
    const authorizer = Object.values(template.findResources('AWS::ApiGateway::Authorizer'))[0] as Json;
    expect(JSON.stringify(propsOf(authorizer).AuthorizerUri)).toContain(aliasId);
  });

  it('applies stage name, throttling, log level and log retention', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      MethodSettings: [
        {
          LoggingLevel: 'INFO',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          HttpMethod: '*',
          ResourcePath: '/*',
          MetricsEnabled: false,
        },
      ],
    });
    for (const [id, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) {
      expect(propsOf(group).RetentionInDays, id).toBe(365);
    }
  });

  it('schedules admin-key rotation; the rotation function is the only other reader of the admin key', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId(stack.keyStore.adminKeySecret) },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    const rotation = stack.keyStore.adminKeyRotationFunction;
    expect(rotation).toBeDefined();
    const adminKey = logicalId(stack.keyStore.adminKeySecret);
    const readers = new Set<string>();
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
      const p = propsOf(policy);
      for (const s of (p.PolicyDocument as { Statement: Json[] }).Statement) {
        const actions = ([] as string[]).concat(s.Action as string[]);
        if (
          actions.includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(s.Resource).includes(`"${adminKey}"`)
        ) {
          for (const r of p.Roles as { Ref: string }[]) readers.add(r.Ref);
        }
      }
    }
    expect([...readers].sort()).toEqual(
      [logicalId(stack.authorizer.function.role), logicalId(rotation?.role as never)].sort(),
    );
  });

  it('the rotation function uses "*" only for GetRandomPassword and X-Ray, and only Secrets Manager of this account may invoke it', () => {
    const role = logicalId(stack.keyStore.adminKeyRotationFunction?.role as never);
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
      const p = propsOf(policy);
      if (!(p.Roles as { Ref: string }[]).some((r) => r.Ref === role)) continue;
      for (const s of (p.PolicyDocument as { Statement: Json[] }).Statement) {
        const actions = ([] as string[]).concat(s.Action as string[]);
        if (s.Resource === '*') {
          expect(actions.sort()).toEqual([
            'secretsmanager:GetRandomPassword',
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ]);
        } else {
          expect(JSON.stringify(s.Resource)).not.toContain('*');
        }
      }
    }
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });
});

describe('bring your own RestApi and table', () => {
  it(
    'adds the latchkey routes to your RestApi and protects your own routes with the same authorizer',
    SYNTH_TIMEOUT,
    () => {
      const app = testApp();
      const stack = new Stack(app, 'Own');
      const existingTable = dynamodb.Table.fromTableName(stack, 'Keys', 'my-latchkey-table');
      const keyStore = new LatchkeyKeyStore(stack, 'KeyStore', { existingTable });
      const authorizer = new LatchkeyAuthorizer(stack, 'Authorizer', { keyStore });
      const restApi = new apigateway.RestApi(stack, 'Shop', { deployOptions: { stageName: 'v1' } });
      const orders = restApi.root.addResource('orders');
      authorizer.protect(orders, 'GET', new apigateway.MockIntegration());
      authorizer.protect(orders.addResource('{id}'), 'delete', new apigateway.MockIntegration());
      new LatchkeyApi(stack, 'Latchkey', { keyStore, authorizer, existingRestApi: restApi });
      const { template } = synthesize(app, stack);

      template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      const methods = resourcesOf(template, 'AWS::ApiGateway::Method');
      // latchkey's routes but the sample /v1/echo one (sampleRoutes is off by default), and your two
      const sample = ROUTES.filter((route) => route.handler === 'echo').length;
      expect(methods.length).toBe(ROUTES.length - sample + 2);
      const publicMethods = methods.filter(([, m]) => propsOf(m).AuthorizationType === 'NONE');
      expect(publicMethods).toHaveLength(ROUTES.filter(isPublicRoute).length);
      for (const [id, method] of methods) {
        if (publicMethods.some(([p]) => p === id)) continue;
        expect(propsOf(method).AuthorizationType, id).toBe('CUSTOM');
      }
      template.resourceCountIs('AWS::ApiGateway::GatewayResponse', GATEWAY_RESPONSES.length);
      // the authorizer's policy will cover the routes you protect
      const fns = template.findResources('AWS::Lambda::Function') as Record<string, Json>;
      const authorizerFn = fns[Stack.of(stack).getLogicalId(authorizer.function.node.defaultChild as never)];
      const env = (propsOf(authorizerFn ?? {}).Environment as { Variables: Record<string, string> })
        .Variables;
      expect(JSON.parse(env.LATCHKEY_APPLICATION_ROUTES ?? '[]')).toEqual([
        { method: 'GET', path: '/orders' },
        { method: 'DELETE', path: '/orders/{id}' },
      ]);
      // grants name the existing table
      const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
      expect(policies).toContain(':table/my-latchkey-table');
    },
  );

  it('adopts the table and secrets a destroyed stack left behind, by name and ARN', SYNTH_TIMEOUT, () => {
    const adminArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeyAdminKey-AbC123';
    const signingArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeySigning-XyZ789';
    const { template } = synthLatchkey(
      {
        existingTableName: 'Latchkey-KeyStoreTable-1ABC',
        existingAdminKeySecretArn: adminArn,
        existingSigningSecretArn: signingArn,
      },
      { nag: true },
    );
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':table/Latchkey-KeyStoreTable-1ABC');
    expect(policies).toContain(adminArn);
    expect(policies).toContain(signingArn);
    expect(template.findOutputs('AdminKeySecretArn').AdminKeySecretArn?.Value).toBe(adminArn);
  });
});
