/**
 * `keyStore.grantVerify(fn)` and `grantVerifyTo(role)`: a function or container of yours gets exactly the
 * authorizer's data access (the same statements, conditions included), the signing secret's read (and
 * its name in the secret's deny-all-others policy), the admin key only when asked, and the variables
 * latchkey/verify reads. And examples/function-url, synthesized from its own app file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatchkeyAuthorizer } from '#cdk/authorizer';
import { LatchkeyKeyStore } from '#cdk/key-store';
import { projectPath } from '#cdk/latchkey-function';
import { SETTINGS } from '#core/settings';
import { CDK_CONTEXT, SYNTH_TIMEOUT, testApp } from './support';

type Json = Record<string, unknown>;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement attached to a role, by its logical id. */
function statementsOf(template: Template, roleId: string): Json[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Json[] }).Statement);
}

const dynamo = (statements: Json[]) =>
  statements.filter((s) => list(s.Action as string | string[]).some((a) => a.startsWith('dynamodb:')));
const secretReads = (statements: Json[]) =>
  statements
    .filter((s) => list(s.Action as string | string[]).includes('secretsmanager:GetSecretValue'))
    .flatMap((s) => list(s.Resource).map((r) => JSON.stringify(r)));

function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('grantVerify and grantVerifyTo', () => {
  let template: Template;
  let ids: Record<'authorizer' | 'user' | 'admin' | 'task' | 'signing' | 'adminKey', string>;
  let containerEnv: Record<string, string>;
  let userEnv: Record<string, unknown>;

  beforeAll(() => {
    const app = testApp();
    const stack = new Stack(app, 'Verify');
    const keyStore = new LatchkeyKeyStore(stack, 'Keys');
    const authorizer = new LatchkeyAuthorizer(stack, 'Auth', { keyStore });
    new apigateway.RestApi(stack, 'Api').root.addMethod('GET', undefined, authorizer.methodOptions);
    const code = lambda.Code.fromInline('export const handler = async () => ({ statusCode: 200 });');
    const fn = (id: string) =>
      new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code });
    const user = fn('User');
    keyStore.grantVerify(user);
    const withAdmin = fn('WithAdmin');
    keyStore.grantVerify(withAdmin, { acceptAdminKey: true });
    const task = new iam.Role(stack, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    containerEnv = stack.resolve(keyStore.grantVerifyTo(task));
    template = Template.fromStack(stack);
    ids = {
      authorizer: logicalIdOf(stack, authorizer.function.role as IConstruct),
      user: logicalIdOf(stack, user.role as IConstruct),
      admin: logicalIdOf(stack, withAdmin.role as IConstruct),
      task: logicalIdOf(stack, task),
      signing: logicalIdOf(stack, keyStore.signingSecret),
      adminKey: logicalIdOf(stack, keyStore.adminKeySecret),
    };
    const userFn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, user)];
    userEnv = (userFn as Json & { Properties: { Environment: { Variables: Json } } }).Properties.Environment
      .Variables;
  }, SYNTH_TIMEOUT.timeout);

  it("a function and a role get exactly the authorizer's DynamoDB statements", () => {
    const authorizer = dynamo(statementsOf(template, ids.authorizer));
    expect(authorizer).toHaveLength(4);
    // Credit crossings: a Put of new audit items, nothing else on them.
    expect(authorizer.find((s) => s.Sid === 'PutCreditAuditItems')).toMatchObject({
      Action: 'dynamodb:PutItem',
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
    });
    for (const role of [ids.user, ids.admin, ids.task])
      expect(dynamo(statementsOf(template, role))).toEqual(authorizer);
  });

  it('they read the signing secret; the admin key only with acceptAdminKey', () => {
    const signing = JSON.stringify({ Ref: ids.signing });
    const adminKey = JSON.stringify({ Ref: ids.adminKey });
    expect(secretReads(statementsOf(template, ids.user))).toEqual([signing]);
    expect(secretReads(statementsOf(template, ids.task))).toEqual([signing]);
    expect(secretReads(statementsOf(template, ids.admin)).sort()).toEqual([adminKey, signing].sort());
  });

  it("they join the signing secret's readers: its policy denies every other principal", () => {
    const [policy] = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy'));
    const document = (policy as { Properties: { ResourcePolicy: { Statement: Json[] } } }).Properties;
    const deny = document.ResourcePolicy.Statement[0] as Json;
    const readers = JSON.stringify((deny.Condition as { ArnNotEquals: Json }).ArnNotEquals);
    for (const role of [ids.authorizer, ids.user, ids.admin, ids.task]) expect(readers).toContain(role);
    // The authorizer is granted twice (grantVerify and grantReadSigningSecret): listed once.
    expect(readers.split(ids.authorizer).length - 1).toBe(1);
  });

  it("set the function's variables, and return them for a container", () => {
    const names = [
      SETTINGS.tableName.env,
      SETTINGS.tokenPrefix.env,
      SETTINGS.signingSecretId.env,
      SETTINGS.secretCacheTtlSeconds.env,
    ];
    expect(Object.keys(userEnv).sort()).toEqual([...names].sort());
    expect(Object.keys(containerEnv).sort()).toEqual([...names].sort());
    expect(containerEnv[SETTINGS.signingSecretId.env]).toEqual({ Ref: ids.signing });
    expect(userEnv[SETTINGS.adminKeySecretId.env]).toBeUndefined();
  });
});

describe('examples/function-url', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'latchkey-function-url-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes: a Function URL without IAM auth, the function granted to verify', async () => {
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', projectPath('examples/function-url/app.ts')],
      {
        cwd: projectPath('.'),
        env: {
          ...process.env,
          CDK_DISABLE_VERSION_CHECK: '1',
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] }),
        },
      },
    );
    const template = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, 'OrdersUrl.template.json'), 'utf8')),
    );
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    const [fnId, fn] = Object.entries(template.findResources('AWS::Lambda::Function'))[0] as [string, Json];
    const variables = ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([SETTINGS.tableName.env, SETTINGS.signingSecretId.env]),
    );
    const roleId = (((fn.Properties as Json).Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'] ??
      [])[0] as string;
    expect(dynamo(statementsOf(template, roleId)).map((s) => s.Sid)).toEqual([
      'ReadKeyItems',
      'CountOnKeyItems',
      'PutReplayItems',
      'PutCreditAuditItems',
    ]);
    expect(fnId).toMatch(/^Orders/);
  }, 120_000);
});
