/**
 * Security properties of the stack with `apiType: 'http'` (an API Gateway HTTP API): every route but the
 * public documents behind the latchkey authorizer (payload format 2.0, simple responses, no cache), every
 * integration a Lambda proxy with payload format 2.0, the route set equal to the route table, the same
 * least-privilege roles as the REST stack, stage throttling and access logs, the same outputs; cdk-nag
 * clean. Settings an HTTP API cannot honour fail the synth, each named.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LatchkeyAuthorizer } from '#cdk/authorizer';
import { propsFromContext } from '#cdk/context-props';
import { HTTP_ACCESS_LOG_FIELDS } from '#cdk/http-api';
import { LatchkeyKeyStore } from '#cdk/key-store';
import { LatchkeyApi } from '#cdk/latchkey-api';
import { LatchkeyStack, type LatchkeyStackProps } from '#cdk/latchkey-stack';
import { ROUTES } from '#core/routes';
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

let http: Synthesized;
let template: Template;
let stack: LatchkeyStack;
let rest: Synthesized;

beforeAll(() => {
  // The http stack with cdk-nag registered exactly as bin/latchkey.ts does; the REST stack to compare roles.
  http = synthLatchkey({ apiType: 'http' }, { nag: true });
  template = http.template;
  stack = http.stack as LatchkeyStack;
  rest = synthLatchkey({});
}, 120_000);

const PUBLIC = ROUTES.filter((r) => r.needs === 'public');

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as never);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every route as `METHOD /path`, with its properties. */
function routes(t: Template = template): { key: string; props: Json }[] {
  return resourcesOf(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => ({
    key: propsOf(r).RouteKey as string,
    props: propsOf(r),
  }));
}

describe('cdk-nag (AwsSolutions)', () => {
  it('synthesizes with zero unacknowledged findings', () => {
    const nag = http.report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag?.violations ?? []).toEqual([]);
  });

  it('acknowledges only the public routes missing an authorizer, each for its own reason', () => {
    const acks: { path: string; id: string }[] = [];
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const key of Object.keys(entry.data as Record<string, string>)) {
          acks.push({ path: construct.node.path, id: key.replace(/^annotation::/i, '') });
        }
      }
    }
    const apig4 = acks.filter((a) => a.id === 'AwsSolutions-APIG4').map((a) => a.path);
    expect(apig4.sort()).toEqual(PUBLIC.map((r) => `Latchkey/Api/Route${r.id}`).sort());
    // The REST-only acknowledgements (WAF, the account's CloudWatch role) have nothing to apply to here.
    expect(acks.map((a) => a.id)).not.toContain('AwsSolutions-APIG3');
  });
});

describe('routes', () => {
  it('is an HTTP API alone: no REST API resource of any kind', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const v1 = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).filter((r) =>
      r.Type.startsWith('AWS::ApiGateway::'),
    );
    expect(v1).toEqual([]);
  });

  it('the route set equals ROUTES, with no $default or catch-all route', () => {
    expect(
      routes()
        .map((r) => r.key)
        .sort(),
    ).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(routes().map((r) => r.key)).not.toContain('$default');
  });

  it('every route but the public allow-list uses the latchkey authorizer', () => {
    const authorizers = resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [[authorizerId]] = authorizers as [[string, Json]];
    const publicKeys = PUBLIC.map((r) => `${r.method} ${r.path}`);
    for (const { key, props } of routes()) {
      if (publicKeys.includes(key)) {
        expect(props.AuthorizationType, key).toBe('NONE');
        expect(props.AuthorizerId, key).toBeUndefined();
        // Documents are read; GitHub's leak report (its own signature check) is the one public write.
        expect(key.startsWith('GET ') || key === 'POST /v1/leaks/github', key).toBe(true);
        continue;
      }
      expect(props.AuthorizationType, key).toBe('CUSTOM');
      expect(props.AuthorizerId, key).toEqual({ Ref: authorizerId });
    }
  });

  it('the authorizer: REQUEST, payload format 2.0, simple responses, the Authorization header, no cache', () => {
    const [[, authorizer]] = resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer') as [[string, Json]];
    expect(propsOf(authorizer)).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
    });
    // No identity source: an RFC 9421 request, which has no Authorization header, reaches the authorizer.
    expect(propsOf(authorizer).IdentitySource ?? []).toEqual([]);
    expect(JSON.stringify(propsOf(authorizer).AuthorizerUri)).toContain(
      logicalIdOf(stack.authorizer.function),
    );
  });

  it('every route reaches the function named in the route table, a Lambda proxy with payload 2.0', () => {
    const integrations = Object.fromEntries(resourcesOf(template, 'AWS::ApiGatewayV2::Integration'));
    const fns = {
      management: logicalIdOf(stack.api.managementFunction),
      echo: logicalIdOf(stack.api.echoFunction as IConstruct),
      public: logicalIdOf(stack.api.publicFunction),
      leaks: logicalIdOf(stack.api.leaksFunction as IConstruct),
    };
    for (const route of ROUTES) {
      const found = routes().find((r) => r.key === `${route.method} ${route.path}`);
      const target = found?.props.Target as { 'Fn::Join': [string, unknown[]] };
      const integrationId = (target['Fn::Join'][1][1] as { Ref: string }).Ref;
      const integration = propsOf(integrations[integrationId] as Json);
      expect(integration, route.id).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
      expect(integration.IntegrationUri, route.id).toEqual({ 'Fn::GetAtt': [fns[route.handler], 'Arn'] });
    }
  });

  it('API Gateway may invoke the authorizer through its own authorizer ARN only', () => {
    const [[authorizerId]] = resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer') as [[string, Json]];
    const fn = logicalIdOf(stack.authorizer.function);
    const invokes = resourcesOf(template, 'AWS::Lambda::Permission')
      .map(([, p]) => propsOf(p))
      .filter((p) => JSON.stringify(p.FunctionName).includes(fn));
    expect(invokes).toHaveLength(1);
    expect(invokes[0]?.Principal).toBe('apigateway.amazonaws.com');
    const source = JSON.stringify(invokes[0]?.SourceArn);
    expect(source).toContain(`/authorizers/",{"Ref":"${authorizerId}"}`);
  });

  it('every invoke permission API Gateway holds names this API, never any API', () => {
    const apiId = logicalIdOf(stack.api.httpApi);
    const fromGateway = resourcesOf(template, 'AWS::Lambda::Permission')
      .map(([, p]) => propsOf(p))
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(fromGateway.length).toBe(ROUTES.length + 1);
    for (const p of fromGateway) expect(JSON.stringify(p.SourceArn)).toContain(`{"Ref":"${apiId}"}`);
  });
});

describe('stage', () => {
  it('is the named stage, deployed automatically, throttled, with JSON access logs and no secrets in them', () => {
    const stages = resourcesOf(template, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const p = propsOf((stages[0] as [string, Json])[1]);
    expect(p).toMatchObject({
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: 500,
        ThrottlingBurstLimit: 1000,
        DetailedMetricsEnabled: false,
      },
    });
    const access = p.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(access.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalIdOf(stack.api.accessLogs as never), 'Arn'],
    });
    expect(JSON.parse(access.Format)).toEqual(HTTP_ACCESS_LOG_FIELDS);
    expect(access.Format).not.toMatch(/authorization|header/i);
  });

  it('every log group has the retention, and there is no execution log group or account role', () => {
    for (const [id, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) {
      expect(propsOf(group).RetentionInDays, id).toBe(30);
      expect(propsOf(group).LogGroupName, id).toBeUndefined();
    }
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('least privilege, as in REST mode', () => {
  /** The statements of each function's role, by function. */
  function rolePolicies(s: Synthesized): Record<string, unknown[]> {
    const st = s.stack as LatchkeyStack;
    const fns = {
      authorizer: st.authorizer.function,
      management: st.api.managementFunction,
      public: st.api.publicFunction,
      echo: st.api.echoFunction as NonNullable<typeof st.api.echoFunction>,
    };
    const policies = resourcesOf(s.template, 'AWS::IAM::Policy').map(([, p]) => propsOf(p));
    return Object.fromEntries(
      Object.entries(fns).map(([name, fn]) => {
        const role = Stack.of(fn).getLogicalId(fn.role?.node.defaultChild as never);
        const statements = policies
          .filter((p) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === role))
          .flatMap((p) => (p.PolicyDocument as { Statement: unknown[] }).Statement);
        return [name, statements];
      }),
    );
  }

  it('every function role has exactly the statements it has in the REST stack', () => {
    const httpPolicies = rolePolicies(http);
    const restPolicies = rolePolicies(rest);
    expect(Object.keys(httpPolicies)).toEqual(['authorizer', 'management', 'public', 'echo']);
    for (const name of Object.keys(restPolicies)) {
      expect(httpPolicies[name], name).toEqual(restPolicies[name]);
      expect(list(httpPolicies[name]).length, name).toBeGreaterThan(0);
    }
  });

  it('the same roles and secret policies as in REST mode, none added', () => {
    expect(resourcesOf(template, 'AWS::IAM::Role').length).toBe(
      resourcesOf(rest.template, 'AWS::IAM::Role').length - 1, // REST's account-wide CloudWatch role
    );
    expect(resourcesOf(template, 'AWS::SecretsManager::ResourcePolicy').map(([, p]) => propsOf(p))).toEqual(
      resourcesOf(rest.template, 'AWS::SecretsManager::ResourcePolicy').map(([, p]) => propsOf(p)),
    );
  });
});

describe('outputs', () => {
  it('publishes the same outputs as the REST stack, the URL ending in the stage and a slash', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(rest.template.findOutputs('*')).sort());
    const joined = (value: unknown) =>
      (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
        .join('');
    const url = joined(outputs.ApiUrl?.Value);
    expect(url).toMatch(/^https:\/\/\{"Ref":"ApiHttpApi[0-9A-F]+"\}\.execute-api\..*\/prod\/$/);
    expect(joined(outputs.ConsoleUrl?.Value)).toBe(`${url}console`);
    expect(joined(outputs.OpenApiUrl?.Value)).toBe(`${url}v1/openapi.json`);
  });
});

describe('settings in http mode', () => {
  const construct = (props: LatchkeyStackProps) => new LatchkeyStack(testApp(), 'Latchkey', props);

  it.each<[string, LatchkeyStackProps, RegExp]>([
    [
      'execution logs',
      { executionLogLevel: apigateway.MethodLoggingLevel.INFO },
      /executionLogLevel cannot be set with apiType 'http': HTTP APIs have no execution logs/,
    ],
    [
      'a web ACL',
      { webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/0f4b0e2c' },
      /webAclArn cannot be set with apiType 'http': AWS WAF cannot be associated with an HTTP API/,
    ],
    [
      'an authorizer cache',
      { authorizerCacheTtl: Duration.seconds(60) },
      /resultsCacheTtl must be 0 with apiType 'http'/,
    ],
    ['an unknown api type', { apiType: 'graphql' as never }, /apiType must be rest or http, got "graphql"/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => construct({ apiType: 'http', ...props })).toThrow(message);
  });

  it('corsAllowOrigin configures the HTTP API CORS, and nothing without it', SYNTH_TIMEOUT, () => {
    const cors = (t: Template) =>
      resourcesOf(t, 'AWS::ApiGatewayV2::Api').map(([, r]) => propsOf(r).CorsConfiguration);
    expect(cors(template)).toEqual([undefined]);
    const { template: t } = synthLatchkey({ apiType: 'http', corsAllowOrigin: 'https://app.example.com' });
    expect(cors(t)).toEqual([
      {
        AllowOrigins: ['https://app.example.com'],
        AllowMethods: ['*'],
        AllowHeaders: ['Authorization', 'Content-Type', 'Content-Digest'],
        ExposeHeaders: ['retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id'],
        MaxAge: 600,
      },
    ]);
    // No OPTIONS route: API Gateway answers preflights itself, and no route goes without the authorizer.
    expect(routes(t).filter((r) => r.key.startsWith('OPTIONS '))).toEqual([]);
  });

  it('accepts cloudWatchRole and creates no role for it', SYNTH_TIMEOUT, () => {
    const { template: t } = synthLatchkey({ apiType: 'http', cloudWatchRole: true });
    const roles = resourcesOf(t, 'AWS::IAM::Role').map(([, r]) => JSON.stringify(propsOf(r)));
    expect(roles.filter((r) => r.includes('AmazonAPIGatewayPushToCloudWatchLogs'))).toEqual([]);
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it(
    'carries stage name, throttling, retention and provisioned concurrency into the template',
    SYNTH_TIMEOUT,
    () => {
      const { template: t, stack: s } = synthLatchkey(
        {
          apiType: 'http',
          stageName: 'live',
          throttling: { rateLimit: 50, burstLimit: 100 },
          logRetention: 365,
          authorizerProvisionedConcurrency: 2,
        },
        { nag: true },
      );
      t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: 'live',
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      for (const [id, group] of resourcesOf(t, 'AWS::Logs::LogGroup')) {
        expect(propsOf(group).RetentionInDays, id).toBe(365);
      }
      const aliases = resourcesOf(t, 'AWS::Lambda::Alias');
      expect(aliases).toHaveLength(1);
      const [aliasId, alias] = aliases[0] as [string, Json];
      expect(propsOf(alias)).toMatchObject({
        Name: 'live',
        ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
      });
      const [[, authorizer]] = resourcesOf(t, 'AWS::ApiGatewayV2::Authorizer') as [[string, Json]];
      expect(JSON.stringify(propsOf(authorizer).AuthorizerUri)).toContain(aliasId);
      expect(JSON.stringify(t.findOutputs('ApiUrl'))).toContain('/live/');
      expect((s as LatchkeyStack).api.apiType).toBe('http');
    },
  );

  it('-c latchkey:apiType=http builds the HTTP API through the context props', SYNTH_TIMEOUT, () => {
    const props = propsFromContext({ 'latchkey:apiType': 'http' });
    expect(props).toEqual({ apiType: 'http' });
    const { template: t } = synthLatchkey(props);
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    t.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    expect(() => propsFromContext({ 'latchkey:apiType': 'HTTP' })).toThrow(
      /latchkey:apiType must be rest or http, got "HTTP"/,
    );
  });
});

describe('the constructs on an HTTP API of your own', () => {
  function shop() {
    const app = testApp();
    const s = new Stack(app, 'Shop');
    const keyStore = new LatchkeyKeyStore(s, 'KeyStore');
    const authorizer = new LatchkeyAuthorizer(s, 'Authorizer', { keyStore, apiType: 'http' });
    const httpApi = new apigwv2.HttpApi(s, 'ShopApi');
    return { app, stack: s, keyStore, authorizer, httpApi };
  }
  const backend = () => new HttpUrlIntegration('Orders', 'https://orders.example.com');

  it(
    'protectHttp puts your routes behind the authorizer and lists them, with their permissions',
    SYNTH_TIMEOUT,
    () => {
      const { app, stack: s, keyStore, authorizer, httpApi } = shop();
      authorizer.protectHttp(httpApi, 'get', '/orders', backend());
      authorizer.protectHttp(httpApi, 'DELETE', '/orders/{id}', backend(), { permission: 'api:write' });
      const api = new LatchkeyApi(s, 'Latchkey', { keyStore, authorizer, existingHttpApi: httpApi });
      const { template: t } = synthesize(app, s);
      const all = routes(t);
      expect(all.map((r) => r.key)).toEqual(expect.arrayContaining(['GET /orders', 'DELETE /orders/{id}']));
      // latchkey's routes but the sample one, and your two
      expect(all).toHaveLength(ROUTES.length - 1 + 2);
      for (const { key, props } of all) {
        if (PUBLIC.some((r) => key === `${r.method} ${r.path}`)) continue;
        expect(props.AuthorizationType, key).toBe('CUSTOM');
      }
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      const fn = t.findResources('AWS::Lambda::Function')[logicalIdOf(authorizer.function)] as Json;
      const env = (propsOf(fn).Environment as { Variables: Record<string, string> }).Variables;
      expect(JSON.parse(env.LATCHKEY_APPLICATION_ROUTES ?? '[]')).toEqual([
        { method: 'GET', path: '/orders' },
        { method: 'DELETE', path: '/orders/{id}', permission: 'api:write' },
      ]);
      // the $default stage's URL, ending in a slash
      expect(JSON.stringify(s.resolve(api.url))).toMatch(/\/"\]\]\}$/);
    },
  );

  it('an authorizer serves the API type it was made for', () => {
    const { stack: s, keyStore, authorizer, httpApi } = shop();
    const restApi = new apigateway.RestApi(s, 'Rest');
    expect(() => authorizer.protect(restApi.root.addResource('x'), 'GET')).toThrow(
      /protect adds REST API methods; with apiType 'http' use protectHttp/,
    );
    expect(() => authorizer.methodOptions).toThrow(/authorizer is for REST APIs/);
    const restAuthorizer = new LatchkeyAuthorizer(s, 'RestAuthorizer', { keyStore });
    expect(() => restAuthorizer.protectHttp(httpApi, 'GET', '/x', backend())).toThrow(
      /protectHttp adds HTTP API routes; set apiType 'http'/,
    );
    expect(() => authorizer.protectHttp(httpApi, 'FETCH', '/x', backend())).toThrow(
      /protectHttp: unknown HTTP method "FETCH"/,
    );
    expect(() => authorizer.protectHttp(httpApi, 'GET', '/x', backend(), { permission: 'orders' })).toThrow(
      /protectHttp: permission "orders" must be one of/,
    );
  });

  it('refuses mismatched API types and stage settings on an API of your own, in one error', () => {
    const { stack: s, keyStore, authorizer, httpApi } = shop();
    expect(
      () =>
        new LatchkeyApi(s, 'A', {
          keyStore,
          authorizer,
          apiType: 'rest',
          existingHttpApi: httpApi,
          stageName: 'v2',
        }),
    ).toThrow(
      "Shop/A: 3 problems: apiType 'rest' differs from the authorizer's apiType 'http'; " +
        "existingHttpApi needs apiType 'http'; " +
        'stageName cannot be combined with existingHttpApi: configure the stage of your own API directly',
    );
    expect(() => new LatchkeyApi(s, 'B', { keyStore, authorizer, existingHttpApi: httpApi }).restApi).toThrow(
      /restApi is for apiType 'rest'/,
    );
  });
});
