/**
 * Security properties of the default stack's template: every method behind the authorizer, routes
 * equal to the route table (and to what the local gateway serves), secrets readable only by who needs
 * them, IAM least privilege, Lambda settings and outputs; cdk-nag clean.
 */

import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LatchkeyStack } from '#cdk/latchkey-stack';
import { AUTHORIZER_LOG_GROUP_RESOURCE } from '#cli/logs-aws';
import { GATEWAY_RESPONSES, gatewayResponseTemplate, renderGatewayResponse } from '#core/gateway-responses';
import { ROUTES } from '#core/routes';
import { SETTINGS } from '#core/settings';
import { TABLE_SCHEMA } from '#core/table';
import { USAGE_ROLL_UP_EVENT } from '#core/usage';
import { loadConfig } from '#lambda/runtime/config';
import { startLocalGateway } from '#local/gateway';
import { propsOf, resourcesOf, SYNTH_TIMEOUT, type Synthesized, synthLatchkey, testApp } from './support';

type Json = Record<string, unknown>;

let synthError: Error | undefined;
let synthesized: Synthesized | undefined;
let template: Template;
let stack: LatchkeyStack;

beforeAll(() => {
  try {
    // The default stack, with cdk-nag registered exactly as bin/latchkey.ts does.
    synthesized = synthLatchkey({}, { nag: true });
    template = synthesized.template;
    stack = synthesized.stack as LatchkeyStack;
  } catch (error) {
    synthError = error as Error;
    throw error;
  }
}, 120_000);

const ref = (logicalId: string) => ({ Ref: logicalId });

/** The sample route's function, which LatchkeyStack deploys (sampleRoutes defaults to true there). */
function echoFunction() {
  const fn = stack.api.echoFunction;
  if (fn === undefined) throw new Error('LatchkeyStack deploys the sample route by default');
  return fn;
}

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as never);
}

/** Every statement of every AWS::IAM::Policy, with the roles it is attached to. */
function statements(): { policyId: string; roles: string[]; statement: Json }[] {
  const out: { policyId: string; roles: string[]; statement: Json }[] = [];
  for (const [policyId, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
    const p = propsOf(policy);
    const roles = ((p.Roles ?? []) as { Ref: string }[]).map((r) => r.Ref);
    for (const statement of (p.PolicyDocument as { Statement: Json[] }).Statement) {
      out.push({ policyId, roles, statement });
    }
  }
  return out;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function roleIdOfFunction(fn: { role?: IConstruct | undefined }): string {
  if (!fn.role) throw new Error('function without role');
  return logicalIdOf(fn.role);
}

describe('cdk-nag (AwsSolutions) and acknowledgements', () => {
  it('synthesizes with zero unacknowledged findings', () => {
    expect(synthError).toBeUndefined();
    const nag = synthesized?.report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag?.violations ?? []).toEqual([]);
  });

  it('every acknowledgement names one specific rule and gives a real reason', () => {
    const acks: { path: string; id: string; reason: string }[] = [];
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        // { "Annotation::<rule id>": reason }
        for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
          acks.push({ path: construct.node.path, id: key.replace(/^annotation::/i, ''), reason });
        }
      }
    }
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(60);
    }
    // The complete list: a new acknowledgement must be added here on purpose.
    expect([...new Set(acks.map((a) => a.id))].sort()).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    // Nothing is acknowledged for a whole stack or construct tree: only on the resource concerned.
    expect(acks.map((a) => a.path)).not.toContain(stack.node.path);
  });

  it('fails synthesis on an unacknowledged finding (the check is live)', SYNTH_TIMEOUT, () => {
    const app = testApp({ nag: true });
    const bad = new Stack(app, 'Bad');
    new sqs.Queue(bad, 'Queue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});

describe('REST API methods', () => {
  it('every method but the public allow-list uses the latchkey REQUEST authorizer', () => {
    const authorizerId = logicalIdOf(stack.authorizer.authorizer);
    const methods = resourcesOf(template, 'AWS::ApiGateway::Method');
    expect(methods.length).toBe(ROUTES.length);
    // The only methods without a credential: GitHub's leak report (checked against GitHub's signature by
    // its function), the OpenAPI document and the console's static files.
    const PUBLIC = ['reportGithubLeaks', 'getOpenApi', 'console', 'consoleAsset'];
    expect(ROUTES.filter((r) => r.needs === 'public').map((r) => r.id)).toEqual(PUBLIC);
    for (const [id, method] of methods) {
      const p = propsOf(method);
      if (p.HttpMethod === 'OPTIONS') continue;
      if (PUBLIC.includes(p.OperationName as string)) {
        expect(p.AuthorizationType, id).toBe('NONE');
        expect(p.AuthorizerId, id).toBeUndefined();
        expect(p.HttpMethod, id).toBe(p.OperationName === 'reportGithubLeaks' ? 'POST' : 'GET');
        continue;
      }
      expect(p.AuthorizationType, id).toBe('CUSTOM');
      expect(p.AuthorizerId, id).toEqual(ref(authorizerId));
      expect(p.RequestValidatorId, id).toBeDefined();
      // No identity source with the cache off: an RFC 9421 request has no Authorization header.
      expect(Object.keys((p.RequestParameters ?? {}) as Json), id).not.toContain(
        'method.request.header.Authorization',
      );
    }
  });

  it('the authorizer caches nothing by default and so has no identity source: every request reaches it', () => {
    const [[, authorizer]] = resourcesOf(template, 'AWS::ApiGateway::Authorizer') as [[string, Json]];
    expect(propsOf(authorizer)).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(propsOf(authorizer)).not.toHaveProperty('IdentitySource');
  });

  it(
    'with the cache on, the cache is keyed on the Authorization header, which every method then requires',
    SYNTH_TIMEOUT,
    () => {
      const cached = synthLatchkey({ authorizerCacheTtl: Duration.seconds(60) });
      const [[, authorizer]] = resourcesOf(cached.template, 'AWS::ApiGateway::Authorizer') as [
        [string, Json],
      ];
      expect(propsOf(authorizer)).toMatchObject({
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
      const guarded = resourcesOf(cached.template, 'AWS::ApiGateway::Method').filter(
        ([, m]) => propsOf(m).AuthorizationType === 'CUSTOM',
      );
      expect(guarded.length).toBeGreaterThan(0);
      for (const [id, method] of guarded)
        expect(propsOf(method).RequestParameters, id).toMatchObject({
          'method.request.header.Authorization': true,
        });
    },
  );

  it('the request validator checks parameters', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
  });

  /** The synthesized methods as `{ method, path, handler }`, with each method's full resource path. */
  function synthesizedRoutes(): { method: string; path: string; handler: string }[] {
    const resources = template.findResources('AWS::ApiGateway::Resource') as Record<string, Json>;
    const pathOf = (resourceId: unknown): string => {
      const id = (resourceId as { Ref?: string }).Ref;
      if (id === undefined) return ''; // Fn::GetAtt RestApi.RootResourceId
      const resource = resources[id];
      if (!resource) throw new Error(`unknown resource ${id}`);
      const p = propsOf(resource);
      return `${pathOf(p.ParentId)}/${p.PathPart as string}`;
    };
    const echoFn = logicalIdOf(echoFunction());
    const publicFn = logicalIdOf(stack.api.publicFunction);
    const leaksFn = logicalIdOf(stack.api.leaksFunction as IConstruct);
    const handlerOf = (uri: string) =>
      uri.includes(echoFn)
        ? 'echo'
        : uri.includes(publicFn)
          ? 'public'
          : uri.includes(leaksFn)
            ? 'leaks'
            : 'management';
    return resourcesOf(template, 'AWS::ApiGateway::Method')
      .map(([, m]) => propsOf(m))
      .filter((p) => p.HttpMethod !== 'OPTIONS')
      .map((p) => ({
        method: p.HttpMethod as string,
        path: pathOf(p.ResourceId),
        handler: handlerOf(JSON.stringify((p.Integration as Json).Uri)),
      }));
  }

  it('the synthesized method set (method + full resource path) equals ROUTES', () => {
    const synthesizedSet = synthesizedRoutes()
      .map((r) => `${r.method} ${r.path} -> ${r.handler}`)
      .sort();
    expect(synthesizedSet).toEqual(ROUTES.map((r) => `${r.method} ${r.path} -> ${r.handler}`).sort());
  });

  it(
    'the local gateway serves exactly the synthesized routes, to the same handlers',
    SYNTH_TIMEOUT,
    async () => {
      const hits: string[] = [];
      const allowAll = async () => ({
        principalId: 'admin',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ['*'] }],
        },
        context: { principal: 'admin', key_id: '', org_id: '', permissions: '' },
      });
      const record = (handler: string) => async (event: unknown) => {
        const { httpMethod, resource } = event as { httpMethod: string; resource: string };
        hits.push(`${handler} ${httpMethod} ${resource}`);
        return { statusCode: 200, body: '{}' };
      };
      const gateway = await startLocalGateway({
        authorizer: allowAll,
        integrations: {
          management: record('management'),
          echo: record('echo'),
          public: record('public'),
          leaks: record('leaks'),
        },
        port: 0,
      });
      try {
        const call = (method: string, path: string) =>
          fetch(`${gateway.url}${path}`, { method, headers: { authorization: 'Bearer test' } });
        for (const route of synthesizedRoutes()) {
          const concrete = route.path.replace(/\{[^}]+\+\}/, 'a/b').replace(/\{[^}]+\}/g, 'x1');
          for (const method of route.method === 'ANY' ? ['GET', 'POST', 'DELETE'] : [route.method]) {
            const res = await call(method, concrete);
            expect(res.status, `${method} ${concrete}`).toBe(200);
            expect(hits.at(-1)).toBe(`${route.handler} ${method} ${route.path}`);
          }
        }
        expect((await call('GET', '/v1/not-a-route')).status).toBe(404);
        expect((await call('PATCH', '/v1/keys')).status).toBe(404);
      } finally {
        await gateway.close();
      }
    },
  );

  it('routes reach the handler named in the route table', () => {
    const managementFn = logicalIdOf(stack.api.managementFunction);
    const fns = {
      management: managementFn,
      echo: logicalIdOf(echoFunction()),
      public: logicalIdOf(stack.api.publicFunction),
      leaks: logicalIdOf(stack.api.leaksFunction as IConstruct),
    };
    for (const [, method] of resourcesOf(template, 'AWS::ApiGateway::Method')) {
      const p = propsOf(method);
      const route = ROUTES.find((r) => r.id === p.OperationName);
      expect(route, String(p.OperationName)).toBeDefined();
      const uri = JSON.stringify((p.Integration as Json).Uri);
      expect(uri).toContain(fns[route?.handler ?? 'management']);
      expect((p.Integration as Json).Type).toBe('AWS_PROXY');
    }
  });
});

describe('gateway responses', () => {
  it('installs every gateway response of the shared table with its status and template', () => {
    for (const spec of GATEWAY_RESPONSES) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: spec.type,
        StatusCode: spec.statusCode === null ? Match.absent() : String(spec.statusCode),
        ResponseTemplates: { 'application/json': gatewayResponseTemplate(spec) },
      });
    }
    const types = resourcesOf(template, 'AWS::ApiGateway::GatewayResponse').map(
      ([, r]) => propsOf(r).ResponseType,
    );
    expect(types).toEqual(
      expect.arrayContaining(['UNAUTHORIZED', 'ACCESS_DENIED', 'DEFAULT_4XX', 'DEFAULT_5XX']),
    );
    expect(types).toHaveLength(GATEWAY_RESPONSES.length);
  });

  it('every gateway response carries X-Content-Type-Options: nosniff, as a static value', () => {
    const responses = resourcesOf(template, 'AWS::ApiGateway::GatewayResponse');
    expect(responses).toHaveLength(GATEWAY_RESPONSES.length);
    for (const [, response] of responses) {
      const p = propsOf(response);
      expect(p.ResponseParameters, String(p.ResponseType)).toMatchObject({
        'gatewayresponse.header.x-content-type-options': "'nosniff'",
      });
    }
  });

  it('leaves the status of DEFAULT_4XX and DEFAULT_5XX unset, so WAF 403s, 415s, 429s keep theirs', () => {
    // AWS: a status on a DEFAULT_* response changes every response type without its own response.
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      const [[, response]] = resourcesOf(template, 'AWS::ApiGateway::GatewayResponse').filter(
        ([, r]) => propsOf(r).ResponseType === type,
      ) as [[string, Json]];
      const p = propsOf(response);
      expect(p.StatusCode, type).toBeUndefined();
      const installed = (p.ResponseTemplates as Record<string, string>)['application/json'];
      expect(installed).toContain('$context.error.messageString');
    }
  });

  it('every installed template renders the error body of docs/protocol.md §5.1', () => {
    for (const [, response] of resourcesOf(template, 'AWS::ApiGateway::GatewayResponse')) {
      const p = propsOf(response);
      const installed = (p.ResponseTemplates as Record<string, string>)['application/json'] as string;
      // What API Gateway does: plain substitution of $context variables.
      const body = installed
        .replace(/\$context\.authorizer\.error_code/g, 'rate_limited')
        .replace(/\$context\.authorizer\.error_message/g, 'Rate limit exceeded for this key.')
        .replace(/\$context\.error\.messageString/g, JSON.stringify('Unsupported "Media" Type'))
        .replace(/\$context\.requestId/g, 'req-123');
      const parsed = JSON.parse(body) as { error: { code: string; message: string; request_id: string } };
      expect(Object.keys(parsed)).toEqual(['error']);
      expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'request_id']);
      expect(parsed.error.code).toMatch(/^[a-z_]+$/);
      expect(parsed.error.message.length).toBeGreaterThan(0);
      expect(parsed.error.request_id).toBe('req-123');
    }
    const denied = JSON.parse(
      renderGatewayResponse('ACCESS_DENIED', 'r1', {
        error_code: 'rate_limited',
        error_message: 'Slow down.',
      }).body,
    );
    expect(denied.error.code).toBe('rate_limited');
  });
});

describe('stage', () => {
  it('has throttling, execution logging without data trace, access logs and tracing', () => {
    const [[, stage]] = resourcesOf(template, 'AWS::ApiGateway::Stage') as [[string, Json]];
    const p = propsOf(stage);
    expect(p.StageName).toBe('prod');
    expect(p.TracingEnabled).toBe(true);
    expect(p.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        ThrottlingRateLimit: 500,
        ThrottlingBurstLimit: 1000,
      }),
    ]);
    const access = p.AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(access.DestinationArn).toBeDefined();
    const format = JSON.parse(access.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(access.Format).not.toMatch(/Authorization/i);
  });

  it('the execution log group API Gateway writes to has a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: logicalIdOf(stack.api.restApi) }, '/prod']],
      },
      RetentionInDays: 30,
    });
  });
});

describe('DynamoDB table', () => {
  it('is on-demand with PITR, deletion protection, TTL and RETAIN', () => {
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [[, table]] = tables as [[string, Json]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(propsOf(table)).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE_SCHEMA.gsi1.name,
          KeySchema: [
            { AttributeName: TABLE_SCHEMA.gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_SCHEMA.gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(propsOf(table).TableName).toBeUndefined();
  });
});

describe('secrets', () => {
  it('admin key and signing secret are generated at deploy and retained', () => {
    const secrets = resourcesOf(template, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(2);
    for (const [id, secret] of secrets) {
      expect(secret.DeletionPolicy, id).toBe('Retain');
      expect(secret.UpdateReplacePolicy, id).toBe('Retain');
      expect(propsOf(secret).GenerateSecretString, id).toEqual({
        PasswordLength: 64,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
      expect(propsOf(secret).SecretString, id).toBeUndefined();
      expect(propsOf(secret).Name, id).toBeUndefined();
    }
  });

  it('no rotation schedule unless asked for', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  function readersOf(secretId: string): string[] {
    const readers = new Set<string>();
    for (const { roles, statement } of statements()) {
      const actions = list(statement.Action as string | string[]);
      const reads = actions.some(
        (a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*' || a === '*',
      );
      const resources = JSON.stringify(statement.Resource);
      if (reads && (resources.includes(`"${secretId}"`) || resources === '"*"')) {
        for (const role of roles) readers.add(role);
      }
    }
    return [...readers].sort();
  }

  it('the admin key is readable by the authorizer only, and by operators the account allows (no resource policy)', () => {
    const adminKey = logicalIdOf(stack.keyStore.adminKeySecret);
    expect(readersOf(adminKey)).toEqual([roleIdOfFunction(stack.authorizer.function)]);
    const policies = resourcesOf(template, 'AWS::SecretsManager::ResourcePolicy');
    for (const [, policy] of policies) expect(propsOf(policy).SecretId).not.toEqual(ref(adminKey));
  });

  it("the signing secret's value is denied to every principal but latchkey's function roles", () => {
    const signing = logicalIdOf(stack.keyStore.signingSecret);
    const policies = resourcesOf(template, 'AWS::SecretsManager::ResourcePolicy').filter(
      ([, p]) => JSON.stringify(propsOf(p).SecretId) === JSON.stringify(ref(signing)),
    );
    expect(policies).toHaveLength(1);
    const [[, policy]] = policies as [[string, Json]];
    const statements = (propsOf(policy).ResourcePolicy as { Statement: Json[] }).Statement;
    expect(statements).toHaveLength(1);
    const [deny] = statements as [Json];
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Resource: '*' });
    // Only reading the value: CloudFormation can still describe, update and tag the secret.
    expect(deny.Action).toBe('secretsmanager:GetSecretValue');
    const allowed = (deny.Condition as { ArnNotEquals: Record<string, unknown[]> }).ArnNotEquals[
      'aws:PrincipalArn'
    ];
    const readers = [stack.authorizer.function, stack.api.managementFunction].map((fn) => ({
      'Fn::GetAtt': [roleIdOfFunction(fn), 'Arn'],
    }));
    expect(allowed).toEqual(expect.arrayContaining(readers));
    expect(allowed).toHaveLength(readers.length);
  });

  it('the signing secret is readable by the authorizer and the management function only', () => {
    const signing = logicalIdOf(stack.keyStore.signingSecret);
    expect(readersOf(signing)).toEqual(
      [roleIdOfFunction(stack.authorizer.function), roleIdOfFunction(stack.api.managementFunction)].sort(),
    );
  });
});

describe('IAM least privilege', () => {
  const DATA_PLANE = /^(dynamodb|secretsmanager|kms|s3|sqs|sns|lambda|execute-api):/;

  it('grants no data-plane action on a wildcard resource, and no wildcard actions', () => {
    for (const { policyId, statement } of statements()) {
      const actions = list(statement.Action as string | string[]);
      for (const action of actions) expect(action, policyId).not.toMatch(/\*/);
      if (!actions.some((a) => DATA_PLANE.test(a))) continue;
      for (const resource of list(statement.Resource)) {
        expect(JSON.stringify(resource), `${policyId} ${actions.join(',')}`).not.toMatch(/\*/);
      }
    }
  });

  it('the only "*" resources are X-Ray statements', () => {
    for (const { policyId, statement } of statements()) {
      if (!list(statement.Resource).includes('*')) continue;
      expect(list(statement.Action as string | string[]).sort(), policyId).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  });

  function dynamoStatementsOf(roleId: string): Json[] {
    return statements()
      .filter((s) => s.roles.includes(roleId))
      .map((s) => s.statement)
      .filter((s) => list(s.Action as string | string[]).some((a) => a.startsWith('dynamodb:')));
  }

  it('the authorizer reads and counts on key items, and puts only replay items and credit-crossing audit items', () => {
    const role = roleIdOfFunction(stack.authorizer.function);
    const byActions = Object.fromEntries(
      dynamoStatementsOf(role).map((s) => [
        list(s.Action as string | string[])
          .sort()
          .join(','),
        s,
      ]),
    );
    expect(Object.keys(byActions).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(byActions['dynamodb:GetItem']?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] },
    });
    // Its writes to key items are confined to the checks and counters: never the hash's neighbours
    // that make a key what it is (permissions, organization, salt, name, metadata).
    const update = byActions['dynamodb:UpdateItem']?.Condition as Record<string, Record<string, string[]>>;
    expect(update?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toEqual(['KEY#*']);
    const attributes = update?.['ForAllValues:StringLike']?.['dynamodb:Attributes'] ?? [];
    expect(attributes).toEqual(expect.arrayContaining(['pk', 'sk', 'calls', 'rl_*', 'u_*']));
    for (const forbidden of ['permissions', 'roles', 'org_id', 'salt', 'name', 'metadata', 'gsi1pk', '*'])
      expect(attributes, forbidden).not.toContain(forbidden);
    expect(Object.keys(update ?? {})).toEqual(['ForAllValues:StringLike']);
    // Two put statements: the replay records, and the audit items of a balance crossing its thresholds.
    const puts = dynamoStatementsOf(role)
      .filter((s) => list(s.Action as string | string[]).join(',') === 'dynamodb:PutItem')
      .map((s) => s.Condition);
    expect(puts).toEqual(
      expect.arrayContaining([
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NONCE#*', 'SIG#*'] } },
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
      ]),
    );
    expect(puts).toHaveLength(2);
  });

  it('the management function works on key and org items, queries gsi1, rolls usage history up; nothing deletes', () => {
    const role = roleIdOfFunction(stack.api.managementFunction);
    const actions = dynamoStatementsOf(role).flatMap((s) => list(s.Action as string | string[]));
    expect(actions.sort()).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
    ]);
    const all = statements().flatMap((s) => list(s.statement.Action as string | string[]));
    for (const forbidden of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteTable']) {
      expect(all).not.toContain(forbidden);
    }
  });

  it('only the management function touches usage history; the only scan is of gsi1, for the roll-up', () => {
    const management = roleIdOfFunction(stack.api.managementFunction);
    const usage = statements().filter((s) => JSON.stringify(s.statement.Condition ?? {}).includes('USAGE#'));
    expect(usage).toHaveLength(1);
    expect(usage[0]?.roles).toEqual([management]);
    expect(list(usage[0]?.statement.Action as string | string[]).sort()).toEqual([
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(usage[0]?.statement.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGE#*'] },
    });
    // The expiry scan (lifecycle events) scans the same index: test/infra/events.test.ts holds its role.
    const expiring = roleIdOfFunction(stack.events?.expiringFunction as never);
    const scans = statements().filter(
      (s) =>
        list(s.statement.Action as string | string[]).includes('dynamodb:Scan') &&
        !s.roles.includes(expiring),
    );
    expect(scans).toHaveLength(1);
    expect(scans[0]?.roles).toEqual([management]);
    expect(list(scans[0]?.statement.Action as string | string[])).toEqual(['dynamodb:Scan']);
    expect(JSON.stringify(scans[0]?.statement.Resource)).toMatch(
      new RegExp(`/index/${TABLE_SCHEMA.gsi1.name}"`),
    );
  });

  it('only the management and leaks functions and the authorizer write audit items; only management queries them', () => {
    const leadingKeys = (s: Json): string[] =>
      list(
        ((s.Condition as Json | undefined)?.['ForAllValues:StringLike'] as Json | undefined)?.[
          'dynamodb:LeadingKeys'
        ] as string[] | undefined,
      );
    const management = roleIdOfFunction(stack.api.managementFunction);
    const leaks = roleIdOfFunction(stack.api.leaksFunction ?? {});
    const authorizer = roleIdOfFunction(stack.authorizer.function);
    const everyOnAudit = statements().filter(
      ({ statement }) =>
        list(statement.Action as string | string[]).some((a) => a.startsWith('dynamodb:')) &&
        leadingKeys(statement).some((k) => k.startsWith('AUDIT#')),
    );
    // The authorizer puts the audit item of a credit balance crossing its thresholds, and nothing else.
    const authorizerAudit = everyOnAudit.filter(({ roles }) => roles.includes(authorizer));
    expect(authorizerAudit.map(({ roles, statement }) => [roles, statement.Action])).toEqual([
      [[authorizer], 'dynamodb:PutItem'],
    ]);
    expect(leadingKeys(authorizerAudit[0]?.statement ?? {})).toEqual(['AUDIT#*']);
    const allOnAudit = everyOnAudit.filter((s) => s !== authorizerAudit[0]);
    expect(allOnAudit.length).toBe(2);
    // The leaks function puts a leaked key's events in its change's transaction, and nothing else.
    const leaksAudit = allOnAudit.filter(({ roles }) => roles.includes(leaks));
    expect(leaksAudit.map(({ roles, statement }) => [roles, statement.Action])).toEqual([
      [[leaks], 'dynamodb:PutItem'],
    ]);
    expect(leadingKeys(leaksAudit[0]?.statement ?? {})).toEqual(['AUDIT#*']);
    const onAudit = allOnAudit.filter((s) => s !== leaksAudit[0]);
    expect(onAudit[0]?.roles).toEqual([management]);
    expect(list(onAudit[0]?.statement.Action as string[]).sort()).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    expect(leadingKeys(onAudit[0]?.statement ?? {})).toEqual(['AUDIT#*']);
    // Every other DynamoDB write statement is confined to other item kinds, so it cannot reach AUDIT# items.
    for (const { statement } of statements()) {
      const actions = list(statement.Action as string | string[]);
      if (!actions.some((a) => /^dynamodb:(PutItem|UpdateItem)$/.test(a))) continue;
      const keys = leadingKeys(statement);
      expect(keys.length, JSON.stringify(statement)).toBeGreaterThan(0);
      if (
        statement !== onAudit[0]?.statement &&
        statement !== leaksAudit[0]?.statement &&
        statement !== authorizerAudit[0]?.statement
      )
        expect(keys.some((k) => k.startsWith('AUDIT'))).toBe(false);
    }
  });

  it('the authorizer touches only key, nonce and signature items, and credit-crossing audit items', () => {
    const role = roleIdOfFunction(stack.authorizer.function);
    const prefixes = dynamoStatementsOf(role).flatMap((s) =>
      list(
        ((s.Condition as Json | undefined)?.['ForAllValues:StringLike'] as Json | undefined)?.[
          'dynamodb:LeadingKeys'
        ] as string[] | undefined,
      ),
    );
    expect([...new Set(prefixes)].sort()).toEqual(['AUDIT#*', 'KEY#*', 'NONCE#*', 'SIG#*']);
  });

  it('a daily EventBridge rule invokes the management function with the roll-up event, and only it', () => {
    const fnId = logicalIdOf(stack.api.managementFunction);
    // The other rules (the expiry scan's schedule) are lifecycle events': test/infra/events.test.ts.
    const rules = resourcesOf(template, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(propsOf(r).Targets).includes(`"${fnId}"`),
    );
    expect(rules).toHaveLength(1);
    const rule = propsOf(rules[0]?.[1] as Json);
    expect(rule.ScheduleExpression).toBe('cron(5 0 * * ? *)');
    expect(rule.State).toBe('ENABLED');
    const targets = rule.Targets as Json[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(JSON.parse(targets[0]?.Input as string)).toEqual(USAGE_ROLL_UP_EVENT);
    const ruleId = rules[0]?.[0] as string;
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission')
      .map(([, r]) => propsOf(r))
      .filter((p) => p.Principal === 'events.amazonaws.com')
      .filter((p) => JSON.stringify(p.FunctionName).includes(`"${fnId}"`));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.FunctionName).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(permissions[0]?.SourceArn).toEqual({ 'Fn::GetAtt': [ruleId, 'Arn'] });
  });

  it.each([
    ['echo', echoFunction],
    ['public', () => stack.api.publicFunction],
  ])('the %s function has no data access at all', (_, fn) => {
    const role = roleIdOfFunction(fn());
    const actions = statements()
      .filter((s) => s.roles.includes(role))
      .flatMap((s) => list(s.statement.Action as string | string[]));
    expect(actions.sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('the public function has no environment: it serves only what it was bundled with', () => {
    const resource = template.findResources('AWS::Lambda::Function')[
      logicalIdOf(stack.api.publicFunction)
    ] as Json;
    const variables = ((propsOf(resource).Environment as Json | undefined)?.Variables ?? {}) as Json;
    expect(Object.keys(variables).filter((k) => k.startsWith('LATCHKEY_'))).toEqual([]);
  });

  it('Lambda roles carry no AWS managed policy', () => {
    const roles = template.findResources('AWS::IAM::Role') as Record<string, Json>;
    for (const fn of [
      stack.authorizer.function,
      stack.api.managementFunction,
      echoFunction(),
      stack.api.publicFunction,
    ]) {
      const role = roles[logicalIdOf(fn.role)];
      expect(role).toBeDefined();
      expect(propsOf(role ?? {}).ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('GitHub secret scanning', () => {
  it('its function reads no secret, and its environment names the action and the key list', () => {
    const leaks = roleIdOfFunction(stack.api.leaksFunction ?? {});
    const mine = statements().filter(({ roles }) => roles.includes(leaks));
    expect(mine.length).toBeGreaterThan(0);
    for (const { statement } of mine) {
      expect(JSON.stringify(statement.Action)).not.toContain('secretsmanager:');
    }
    const fns = template.findResources('AWS::Lambda::Function') as Record<string, Json>;
    const env = (
      propsOf(fns[logicalIdOf(stack.api.leaksFunction as IConstruct)] ?? {}).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env).toMatchObject({
      LATCHKEY_LEAK_ACTION: 'disable',
      LATCHKEY_GITHUB_KEYS_URL: 'https://api.github.com/meta/public_keys/secret_scanning',
    });
    expect(Object.keys(env).some((name) => name.includes('SECRET'))).toBe(false);
  });

  it('switched off: no function and no method for the route', SYNTH_TIMEOUT, () => {
    const off = synthLatchkey({ githubSecretScanning: false });
    expect((off.stack as LatchkeyStack).api.leaksFunction).toBeUndefined();
    const operations = resourcesOf(off.template, 'AWS::ApiGateway::Method').map(
      ([, m]) => propsOf(m).OperationName,
    );
    expect(operations).toContain('getOpenApi');
    expect(operations).not.toContain('reportGithubLeaks');
  });
});

describe('Lambda functions', () => {
  it('run Node.js 24 on arm64 with explicit memory, timeout, tracing and a retained log group', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    // authorizer, management, echo, public, leaks, and lifecycle events' publisher and expiry scan
    expect(functions).toHaveLength(7);
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, Json>;
    for (const [id, fn] of functions) {
      const p = propsOf(fn);
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.MemorySize, id).toEqual(expect.any(Number));
      expect(p.Timeout, id).toEqual(expect.any(Number));
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      const logGroupId = ((p.LoggingConfig as Json).LogGroup as { Ref: string }).Ref;
      expect(propsOf(logGroups[logGroupId] ?? {}).RetentionInDays, id).toBe(30);
    }
  });

  it('the authorizer verifies in bounded mode with a 1 s bound, and keeps no provisioned instances, by default', () => {
    const fns = template.findResources('AWS::Lambda::Function') as Record<string, Json>;
    const id = stack.getLogicalId(stack.authorizer.function.node.defaultChild as never);
    const env = (propsOf(fns[id] ?? {}).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      LATCHKEY_VERIFY_MODE: 'bounded',
      LATCHKEY_HOT_KEY_BOUND_MS: '1000',
      LATCHKEY_SIGNING_PROFILE: 'compatible',
    });
    expect(template.findResources('AWS::Lambda::Alias')).toEqual({});
  });

  it('the authorizer and management environments pass the cold-start validation', () => {
    const placeholder = (value: unknown) => (typeof value === 'string' ? value : 'resolved-at-deploy');
    for (const fn of [stack.authorizer.function, stack.api.managementFunction]) {
      const resource = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)] as Json;
      const variables = ((propsOf(resource).Environment as Json).Variables ?? {}) as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, placeholder(v)]));
      const config = loadConfig(env);
      expect(config.tokenPrefix).toBe('lk');
      expect(config.secretCacheMs).toBe(60_000);
      expect(variables[SETTINGS.tableName.env]).toEqual(ref(logicalIdOf(stack.keyStore.table as never)));
    }
  });
});

describe('outputs', () => {
  it('publishes the API, console and OpenAPI URLs, the admin-key secret ARN, the command to read it, the table and signing secret, the alarm topic and dashboard', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'AdminKeySecretArn',
      'AlarmTopicArn',
      'ApiUrl',
      'AuthorizerLogGroupName',
      'ConsoleUrl',
      'DashboardName',
      'EventBusArn',
      'EventsDeadLetterQueueUrl',
      'OpenApiUrl',
      'ReadAdminKeyCommand',
      'SigningSecretArn',
      'TableName',
    ]);
    // ${api.url}console and ${api.url}v1/openapi.json: the URL output's value followed by the path.
    const joined = (value: unknown) =>
      (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
        .join('');
    expect(joined(outputs.ConsoleUrl?.Value)).toBe(`${joined(outputs.ApiUrl?.Value)}console`);
    expect(joined(outputs.OpenApiUrl?.Value)).toBe(`${joined(outputs.ApiUrl?.Value)}v1/openapi.json`);
    const adminKey = logicalIdOf(stack.keyStore.adminKeySecret);
    expect(outputs.AdminKeySecretArn?.Value).toEqual(ref(adminKey));
    // `latchkey logs tail --stack` reads this output, and finds the same log group by its logical id
    // in stacks deployed before the output existed.
    const authorizerLogs = logicalIdOf(stack.authorizer.function.logGroup as never);
    expect(outputs.AuthorizerLogGroupName?.Value).toEqual(ref(authorizerLogs));
    expect(authorizerLogs).toMatch(AUTHORIZER_LOG_GROUP_RESOURCE);
    expect(outputs.ReadAdminKeyCommand?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'aws secretsmanager get-secret-value --secret-id ',
          ref(adminKey),
          ' --region ',
          ref('AWS::Region'),
          ' --query SecretString --output text',
        ],
      ],
    });
  });
});
