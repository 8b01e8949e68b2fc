/**
 * `LatchkeyApi`: latchkey's routes — the route table (`ROUTES`, the same one the local gateway serves),
 * each behind the latchkey authorizer but the public ones — and the management, public and echo
 * functions that serve them, on a REST API (`apiType: 'rest'`, `lib/cdk/rest-api.ts`: methods, request
 * validator, gateway responses that give API Gateway's own errors the latchkey error body) or an HTTP
 * API (`apiType: 'http'`, `lib/cdk/http-api.ts`: routes with payload format 2.0). The API and stage are
 * created unless you bring your own. Defaults and ranges of its settings come from the settings table
 * (`lib/core/settings.ts`), which checks its props: every invalid prop is named in one error.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { corsOriginProblem } from '../core/cors';
import { parseRoleMatrix, type RoleMatrix } from '../core/permissions';
import { type PlanTable, parsePlans } from '../core/plans';
import { findRoute, ROUTES, type RouteHandler } from '../core/routes';
import { type ApiType, checkSetting, type LeakAction, SETTINGS, throwProblems } from '../core/settings';
import type { LatchkeyAuthorizer } from './authorizer';
import { addCorsPreflights } from './cors';
import { addHttpRoutes, createHttpApi, httpStagePropsProblems } from './http-api';
import type { LatchkeyKeyStore } from './key-store';
import { LatchkeyFunction } from './latchkey-function';
import { addRestRoutes, createRestApi, STAGE_PROPS, type StageProps, stagePropsProblems } from './rest-api';
import { LatchkeyUsageRollUp } from './usage-roll-up';

export interface LatchkeyApiProps extends StageProps {
  /** The key table and secrets. */
  readonly keyStore: LatchkeyKeyStore;
  /** The authorizer put on every method or route. It must not be attached to another API. */
  readonly authorizer: LatchkeyAuthorizer;
  /**
   * The kind of API Gateway API: `rest` (a REST API) or `http` (an HTTP API, payload format 2.0).
   * It must be the authorizer's `apiType`.
   * @default - the authorizer's apiType
   */
  readonly apiType?: ApiType;
  /**
   * Add latchkey's routes (`/v1/...`), gateway responses and request validator to a REST API you
   * already have, instead of creating one. Its stage, logging, throttling and tracing stay yours, so
   * `stageName`, `throttling`, `executionLogLevel`, `cloudWatchRole` and `webAclArn` cannot be set with
   * it. It must not define gateway responses of the types latchkey installs.
   * @default - a new regional REST API (with apiType 'rest')
   */
  readonly existingRestApi?: apigateway.RestApi;
  /**
   * With `apiType: 'http'`: add latchkey's routes (`/v1/...`) to an HTTP API you already have, instead
   * of creating one. Its stages, logging and throttling stay yours, so `stageName` and `throttling`
   * cannot be set with it. It must not have routes of its own at latchkey's paths.
   * @default - a new HTTP API with one named stage (with apiType 'http')
   */
  readonly existingHttpApi?: apigwv2.HttpApi;
  /**
   * Deploy latchkey's sample application route (`ANY /v1/echo/{proxy+}`) and the function behind it,
   * which echoes each request back: what the README's walkthrough and the SDK demo call. Your own routes
   * go in with `LatchkeyAuthorizer.protect`; `LatchkeyStack` turns the sample on.
   * @default false
   */
  readonly sampleRoutes?: boolean;
  /**
   * Retention of the access logs, execution logs and the management and echo functions' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Active API keys an organization may hold when no per-organization limit was set
   * (`PUT /v1/orgs/{org_id}`). 0 allows none.
   * @default 50
   */
  readonly defaultMaxKeys?: number;
  /**
   * `rate_limit_per_minute` of keys created without one (1–100000).
   * @default 60
   */
  readonly defaultRateLimit?: number;
  /**
   * Role name → permissions (`keys:read`, `keys:write`, `api:read`, `api:write`, and permissions of your
   * own such as `orders:write` that `LatchkeyAuthorizer.protect` routes require). A key's permissions
   * are frozen when it is created; changing the matrix affects new keys only.
   * @default DEFAULT_ROLE_MATRIX (admin, member, viewer)
   */
  readonly roleMatrix?: RoleMatrix;
  /**
   * Role given to keys created without `roles`. Must be in `roleMatrix`.
   * @default 'member'
   */
  readonly defaultRole?: string;
  /**
   * Named plans and their key limits, e.g. `{ trial: 1, starter: 3, enterprise: null }` (null =
   * unlimited). `PUT /v1/orgs/{org_id}` `{plan}` puts an organization on a plan; it follows the plan's
   * limit when this changes.
   * @default - no plans
   */
  readonly plans?: PlanTable;
  /**
   * How long revoked, rotated and expired key records are kept before DynamoDB TTL deletes them
   * (whole days, 1–3650).
   * @default Duration.days(30)
   */
  readonly keyRetention?: Duration;
  /**
   * How long audit events (`GET /v1/audit`) are kept before DynamoDB TTL deletes them (whole days,
   * 1–3650).
   * @default Duration.days(90)
   */
  readonly auditRetention?: Duration;
  /**
   * Let browser pages of this origin call the management API: `*`, or one origin exactly as a browser
   * sends it (`https://app.example.com`: scheme, host, optional port; no path). Adds an `OPTIONS` method
   * without the authorizer to every management resource (a mock integration answering preflights), the
   * `Access-Control-*` headers to the management function's answers and to every latchkey gateway
   * response, so a page can read refusals too. One origin, not a list: a gateway response can hold only
   * a static value. CORS chooses which pages may read answers; every request still needs a credential.
   * @default - no CORS: no OPTIONS methods, no Access-Control-* headers
   */
  readonly corsAllowOrigin?: string;
  /**
   * Memory of the management function in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Serve `POST /v1/leaks/github`, where GitHub secret scanning reports this deployment's tokens found
   * in public, from a function of its own (no authorizer: it checks GitHub's signature itself). false:
   * no function and no route, so the path answers like any unknown path.
   * @default true
   */
  readonly githubSecretScanning?: boolean;
  /**
   * What a reported key's token does to its key: `disable`, `revoke` or `notify` (audit only).
   * @default 'disable'
   */
  readonly leakAction?: LeakAction;
  /**
   * Where GitHub's list of signing keys is fetched from.
   * @default 'https://api.github.com/meta/public_keys/secret_scanning'
   */
  readonly githubKeysUrl?: string;
}

/**
 * The latchkey API. With `apiType: 'rest'`: the resources and methods of the route table (`ROUTES`, the
 * same one the local gateway serves), each behind the latchkey authorizer but the public ones; the
 * gateway responses that give API Gateway's own errors the latchkey error body; a request validator;
 * and a stage with throttling, JSON access logs, execution logs and X-Ray tracing. With `apiType:
 * 'http'`: the same routes on an HTTP API (Lambda proxy integrations, payload format 2.0), and a stage
 * with throttling and JSON access logs. The management, public and echo functions serve the routes.
 */
export class LatchkeyApi extends Construct {
  /** The kind of API Gateway API the routes are on. */
  public readonly apiType: ApiType;
  public readonly managementFunction: LatchkeyFunction;
  /** The sample route's function (undefined unless `sampleRoutes`). */
  public readonly echoFunction?: LatchkeyFunction;
  /**
   * The secret holding the admin key (the key store's): read it with
   * `aws secretsmanager get-secret-value --secret-id <its ARN> --query SecretString --output text`.
   */
  public readonly adminKeySecret: secretsmanager.ISecret;
  /** The authorizer's log group: every refusal with its reason (`latchkey logs tail --log-group`). */
  public readonly authorizerLogGroup: logs.ILogGroup;
  /** Serves the credential-free routes (the OpenAPI document and the console); no data access. */
  public readonly publicFunction: LatchkeyFunction;
  /** The GitHub secret-scanning function (undefined with `githubSecretScanning: false`). */
  public readonly leaksFunction?: LatchkeyFunction;
  /** The daily schedule that rolls usage counters off key items into usage history. */
  public readonly usageRollUp: LatchkeyUsageRollUp;
  /** The access log group (undefined with `existingRestApi` or `existingHttpApi`). */
  public readonly accessLogs?: logs.LogGroup;
  /** The gateway responses latchkey installs (REST API only; an HTTP API has none). */
  public readonly gatewayResponses: apigateway.GatewayResponse[] = [];
  /** The REST API methods of the route table (REST API only). */
  public readonly methods: apigateway.Method[] = [];
  /** The HTTP API routes of the route table (HTTP API only). */
  public readonly routes: apigwv2.HttpRoute[] = [];
  /** The stage latchkey created on its HTTP API (undefined with a REST API or `existingHttpApi`). */
  public readonly httpStage?: apigwv2.HttpStage;
  private readonly rest?: { api: apigateway.RestApi; requestValidator: apigateway.RequestValidator };
  private readonly http?: apigwv2.HttpApi;
  /** The `OPTIONS` methods that answer CORS preflights (REST API with `corsAllowOrigin` only). */
  public readonly corsPreflights: apigateway.Method[] = [];

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id);
    this.apiType = props.apiType ?? props.authorizer.apiType;
    const settings = validateSettings(this.node.path, this.apiType, props);
    props.authorizer.useRoleMatrix(JSON.parse(settings.roleMatrixJson) as RoleMatrix);
    const logRetention = props.logRetention ?? (SETTINGS.logRetentionDays.default as logs.RetentionDays);

    this.managementFunction = new LatchkeyFunction(this, 'Management', {
      entry: 'lambdas/handlers/management.ts',
      description: 'latchkey: management API (/v1/keys, /v1/orgs, /v1/whoami)',
      memorySize: props.memorySize ?? SETTINGS.managementMemorySize.default,
      timeout: Duration.seconds(10),
      logRetention,
      environment: {
        [SETTINGS.defaultMaxKeys.env]: String(settings.defaultMaxKeys),
        [SETTINGS.defaultRateLimit.env]: String(settings.defaultRateLimit),
        [SETTINGS.roleMatrix.env]: settings.roleMatrixJson,
        [SETTINGS.defaultRole.env]: settings.defaultRole,
        [SETTINGS.plans.env]: settings.plansJson,
        [SETTINGS.keyRetentionDays.env]: String(settings.retentionDays),
        [SETTINGS.auditRetentionDays.env]: String(settings.auditRetentionDays),
        ...(props.corsAllowOrigin === undefined
          ? {}
          : { [SETTINGS.corsAllowOrigin.env]: props.corsAllowOrigin }),
      },
    });
    const management = this.managementFunction;
    props.keyStore.grantManage(management);
    props.keyStore.grantReadSigningSecret(management);
    props.keyStore.grantUsageHistory(management);
    this.usageRollUp = new LatchkeyUsageRollUp(this, 'UsageRollUp', { function: management });

    this.adminKeySecret = props.keyStore.adminKeySecret;
    this.authorizerLogGroup = props.authorizer.logGroup;
    if (props.sampleRoutes ?? false) {
      this.echoFunction = new LatchkeyFunction(this, 'Echo', {
        entry: 'lambdas/handlers/echo.ts',
        description: 'latchkey: sample application route (ANY /v1/echo/{proxy+})',
        memorySize: 256,
        timeout: Duration.seconds(5),
        logRetention,
      });
    }

    this.publicFunction = new LatchkeyFunction(this, 'Public', {
      entry: 'lambdas/handlers/public.ts',
      description: 'latchkey: credential-free documents (/v1/openapi.json, /console)',
      memorySize: 256,
      timeout: Duration.seconds(5),
      logRetention,
    });

    if (props.githubSecretScanning ?? SETTINGS.githubSecretScanning.default) {
      this.leaksFunction = new LatchkeyFunction(this, 'Leaks', {
        entry: 'lambdas/handlers/leaks.ts',
        description: 'latchkey: GitHub secret-scanning reports (POST /v1/leaks/github)',
        memorySize: 512,
        timeout: Duration.seconds(10),
        logRetention,
        environment: {
          [SETTINGS.leakAction.env]: props.leakAction ?? SETTINGS.leakAction.default,
          [SETTINGS.githubKeysUrl.env]: props.githubKeysUrl ?? SETTINGS.githubKeysUrl.default,
          [SETTINGS.auditRetentionDays.env]: String(settings.auditRetentionDays),
        },
      });
      props.keyStore.grantLeakResponse(this.leaksFunction);
    }

    const functions: Partial<Record<RouteHandler, LatchkeyFunction>> = {
      management,
      echo: this.echoFunction,
      public: this.publicFunction,
      leaks: this.leaksFunction,
    };
    if (this.apiType === 'http') {
      const created = props.existingHttpApi ? undefined : createHttpApi(this, props, logRetention);
      this.http = props.existingHttpApi ?? created?.api;
      this.httpStage = created?.stage;
      this.accessLogs = created?.accessLogs;
      if (this.http === undefined) throw new Error(`${this.node.path}: no HTTP API`);
      this.routes.push(...addHttpRoutes(this, this.http, props.authorizer, functions));
    } else {
      let restApi = props.existingRestApi;
      if (restApi === undefined) {
        const created = createRestApi(this, props, logRetention);
        restApi = created.api;
        this.accessLogs = created.accessLogs;
      }
      const added = addRestRoutes(this, restApi, props.authorizer, functions, {
        corsAllowOrigin: props.corsAllowOrigin,
      });
      this.rest = { api: restApi, requestValidator: added.requestValidator };
      this.methods.push(...added.methods);
      this.gatewayResponses.push(...added.gatewayResponses);
      if (props.corsAllowOrigin !== undefined) {
        const deployed = ROUTES.filter((route) => functions[route.handler] !== undefined);
        this.corsPreflights.push(...addCorsPreflights(restApi, deployed, props.corsAllowOrigin));
      }
    }
  }

  /** The REST API (`apiType: 'rest'` only). */
  public get restApi(): apigateway.RestApi {
    if (this.rest === undefined) {
      throw new Error(`${this.node.path}: restApi is for apiType 'rest'; this API is an HTTP API (httpApi)`);
    }
    return this.rest.api;
  }

  /** The request validator of the REST API's methods (`apiType: 'rest'` only). */
  public get requestValidator(): apigateway.RequestValidator {
    if (this.rest === undefined) {
      throw new Error(`${this.node.path}: requestValidator is for apiType 'rest'; HTTP APIs have none`);
    }
    return this.rest.requestValidator;
  }

  /** The HTTP API (`apiType: 'http'` only). */
  public get httpApi(): apigwv2.HttpApi {
    if (this.http === undefined) {
      throw new Error(`${this.node.path}: httpApi is for apiType 'http'; this API is a REST API (restApi)`);
    }
    return this.http;
  }

  /**
   * The invoke URL of the stage, ending in `/`. With `existingHttpApi`, that API's `$default` stage;
   * an HTTP API of your own without one has no single URL (use your stage's `url`).
   */
  public get url(): string {
    if (this.apiType === 'rest') return this.restApi.url;
    // A named stage's URL ends in the stage name; the `$default` stage's in `/`.
    const url = this.httpStage ? `${this.httpStage.url}/` : this.httpApi.url;
    if (url === undefined) {
      throw new Error(`${this.node.path}: the HTTP API has no default stage, so it has no single URL`);
    }
    return url;
  }

  /** The web console's URL (no credential to load it; it asks for a key or the admin key). */
  public get consoleUrl(): string {
    return `${this.url}${findRoute('console').path.slice(1)}`;
  }

  /** The OpenAPI 3.1 document's URL (no credential needed). */
  public get openApiUrl(): string {
    return `${this.url}${findRoute('getOpenApi').path.slice(1)}`;
  }
}

/** The settings the management function reads, checked and in the form its environment takes. */
interface ManagementSettings {
  defaultMaxKeys: number;
  defaultRateLimit: number;
  roleMatrixJson: string;
  defaultRole: string;
  plansJson: string;
  retentionDays: number;
  auditRetentionDays: number;
}

/** Lambda environment variables are limited in size; a role matrix this large is a mistake. */
const MAX_ENV_ROLE_MATRIX_CHARS = 2048;

/** `parse(value)`, or its error's message as a problem named `name`. */
function parsed<T>(name: string, value: unknown, parse: (value: unknown) => T, problems: string[]): T | null {
  try {
    return parse(value);
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
    return null;
  }
}

/**
 * Props checks, against the settings table and with the same rules `loadConfig` applies at cold
 * start, so mistakes fail at synth; every problem is named in one error.
 */
function validateSettings(where: string, apiType: ApiType, props: LatchkeyApiProps): ManagementSettings {
  const problems: string[] = [];
  const add = (problem: string | null) => {
    if (problem !== null) problems.push(problem);
  };
  add(checkSetting('apiType', apiType));
  if (apiType !== props.authorizer.apiType) {
    add(`apiType '${apiType}' differs from the authorizer's apiType '${props.authorizer.apiType}'`);
  }
  const existing = props.existingRestApi
    ? 'existingRestApi'
    : props.existingHttpApi
      ? 'existingHttpApi'
      : null;
  if (props.existingRestApi && apiType !== 'rest') add("existingRestApi needs apiType 'rest'");
  if (props.existingHttpApi && apiType !== 'http') add("existingHttpApi needs apiType 'http'");
  if (props.existingRestApi && props.existingHttpApi)
    add('existingRestApi and existingHttpApi cannot be combined');
  if (existing !== null) {
    const set = STAGE_PROPS.filter((name) => props[name] !== undefined);
    if (set.length > 0) {
      add(
        `${set.join(', ')} cannot be combined with ${existing}: configure the stage of your own API directly`,
      );
    }
  }
  if (apiType === 'http') for (const problem of httpStagePropsProblems(props)) add(problem);
  for (const problem of stagePropsProblems(props)) add(problem);
  const matrix = parsed(
    'roleMatrix',
    props.roleMatrix ?? SETTINGS.roleMatrix.default,
    parseRoleMatrix,
    problems,
  );
  const roleMatrixJson = JSON.stringify(matrix ?? {});
  if (roleMatrixJson.length > MAX_ENV_ROLE_MATRIX_CHARS) {
    add(`roleMatrix is too large (${roleMatrixJson.length} > ${MAX_ENV_ROLE_MATRIX_CHARS} chars)`);
  }
  const defaultRole = props.defaultRole ?? SETTINGS.defaultRole.default;
  if (matrix !== null && !Object.hasOwn(matrix, defaultRole)) {
    add(
      `defaultRole ${JSON.stringify(defaultRole)} is not in roleMatrix (${Object.keys(matrix).join(', ')})`,
    );
  }
  const plans = parsed('plans', props.plans ?? SETTINGS.plans.default, parsePlans, problems);
  const settings: ManagementSettings = {
    defaultMaxKeys: props.defaultMaxKeys ?? SETTINGS.defaultMaxKeys.default,
    defaultRateLimit: props.defaultRateLimit ?? SETTINGS.defaultRateLimit.default,
    roleMatrixJson,
    defaultRole,
    plansJson: JSON.stringify(plans ?? {}),
    retentionDays: (props.keyRetention ?? Duration.days(SETTINGS.keyRetentionDays.default)).toDays({
      integral: false,
    }),
    auditRetentionDays: (props.auditRetention ?? Duration.days(SETTINGS.auditRetentionDays.default)).toDays({
      integral: false,
    }),
  };
  add(checkSetting('defaultMaxKeys', settings.defaultMaxKeys));
  add(checkSetting('defaultRateLimit', settings.defaultRateLimit));
  add(checkSetting('keyRetentionDays', settings.retentionDays, { as: 'keyRetention', unit: 'days' }));
  add(
    checkSetting('auditRetentionDays', settings.auditRetentionDays, { as: 'auditRetention', unit: 'days' }),
  );
  if (props.memorySize !== undefined) {
    add(checkSetting('managementMemorySize', props.memorySize, { as: 'memorySize' }));
  }
  if (props.corsAllowOrigin !== undefined) {
    add(checkSetting('corsAllowOrigin', props.corsAllowOrigin) ?? corsOriginProblem(props.corsAllowOrigin));
  }
  if (props.leakAction !== undefined) add(checkSetting('leakAction', props.leakAction));
  if (props.githubKeysUrl !== undefined) add(checkSetting('githubKeysUrl', props.githubKeysUrl));
  throwProblems(where, problems);
  return settings;
}
