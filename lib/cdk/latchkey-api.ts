/**
 * `LatchkeyApi`: latchkey's routes on a REST API — the resources and methods of the route table
 * (`ROUTES`, the same one the local gateway serves), each behind the latchkey authorizer; the gateway
 * responses that give API Gateway's own errors the latchkey error body; a request validator; and the
 * management and echo functions that serve the routes. The REST API and stage are created by
 * `lib/cdk/rest-api.ts` unless you bring your own. Defaults and ranges of its settings come from the
 * settings table (`lib/core/settings.ts`), which checks its props: every invalid prop is named in one error.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { corsOriginProblem } from '../core/cors';
import {
  GATEWAY_RESPONSES,
  gatewayResponseHeaders,
  gatewayResponseTemplate,
} from '../core/gateway-responses';
import { parseRoleMatrix, type RoleMatrix } from '../core/permissions';
import { type PlanTable, parsePlans } from '../core/plans';
import { findRoute, isPublicRoute, ROUTES, type RouteHandler } from '../core/routes';
import { checkSetting, SETTINGS, throwProblems } from '../core/settings';
import { IDENTITY_HEADER, type LatchkeyAuthorizer } from './authorizer';
import { addCorsPreflights } from './cors';
import type { LatchkeyKeyStore } from './key-store';
import { LatchkeyFunction } from './latchkey-function';
import { createRestApi, STAGE_PROPS, type StageProps, stagePropsProblems } from './rest-api';
import { LatchkeyUsageRollUp } from './usage-roll-up';

export interface LatchkeyApiProps extends StageProps {
  /** The key table and secrets. */
  readonly keyStore: LatchkeyKeyStore;
  /** The authorizer put on every method. It must not be attached to another REST API. */
  readonly authorizer: LatchkeyAuthorizer;
  /**
   * Add latchkey's routes (`/v1/...`), gateway responses and request validator to a REST API you
   * already have, instead of creating one. Its stage, logging, throttling and tracing stay yours, so
   * `stageName`, `throttling`, `executionLogLevel`, `cloudWatchRole` and `webAclArn` cannot be set with
   * it. It must not define gateway responses of the types latchkey installs.
   * @default - a new regional REST API
   */
  readonly existingRestApi?: apigateway.RestApi;
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
}

/**
 * The latchkey REST API: the resources and methods of the route table (`ROUTES`, the same one the
 * local gateway serves), each behind the latchkey authorizer; the gateway responses that give
 * API Gateway's own errors the latchkey error body; a request validator; and a stage with
 * throttling, JSON access logs, execution logs and X-Ray tracing. The management and echo
 * functions serve the routes.
 */
export class LatchkeyApi extends Construct {
  public readonly restApi: apigateway.RestApi;
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
  /** The daily schedule that rolls usage counters off key items into usage history. */
  public readonly usageRollUp: LatchkeyUsageRollUp;
  /** The access log group (undefined with `existingRestApi`). */
  public readonly accessLogs?: logs.LogGroup;
  public readonly requestValidator: apigateway.RequestValidator;
  public readonly gatewayResponses: apigateway.GatewayResponse[];
  public readonly methods: apigateway.Method[] = [];
  /** The `OPTIONS` methods that answer CORS preflights (none unless `corsAllowOrigin`). */
  public readonly corsPreflights: apigateway.Method[] = [];

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id);
    const settings = validateSettings(this.node.path, props);
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

    if (props.existingRestApi) {
      this.restApi = props.existingRestApi;
    } else {
      const created = createRestApi(this, props, logRetention);
      this.restApi = created.api;
      this.accessLogs = created.accessLogs;
    }

    // Parameters: the Authorization header and path parameters must be present. Bodies: validated
    // against a model where a method has one; latchkey's methods have none, because the Lambdas
    // validate bodies themselves with field-level messages (docs/protocol.md §5) identical to local mode.
    this.requestValidator = new apigateway.RequestValidator(this, 'RequestValidator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integration = (fn: LatchkeyFunction) =>
      new apigateway.LambdaIntegration(fn, { allowTestInvoke: false });
    const integrations: Partial<Record<RouteHandler, apigateway.LambdaIntegration>> = {
      management: integration(management),
      echo: this.echoFunction && integration(this.echoFunction),
      public: integration(this.publicFunction),
    };
    for (const route of ROUTES) {
      const target = integrations[route.handler];
      // The sample route is left out with its function.
      if (target === undefined) continue;
      const resource = this.restApi.root.resourceForPath(route.path);
      const open = isPublicRoute(route);
      const requestParameters: Record<string, boolean> = open
        ? {}
        : { [`method.request.header.${IDENTITY_HEADER}`]: true };
      for (const match of route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) {
        requestParameters[`method.request.path.${match[1]}`] = true;
      }
      const method = resource.addMethod(route.method, target, {
        ...(open ? { authorizationType: apigateway.AuthorizationType.NONE } : props.authorizer.methodOptions),
        operationName: route.id,
        requestValidator: this.requestValidator,
        requestParameters,
      });
      if (open) {
        const reason =
          `${route.method} ${route.path} is public by design (needs: 'public' in the route table): it serves ` +
          'only static documents (the OpenAPI description or the console page and assets) from a function ' +
          'with no data access; the console calls the API with the credential its user enters.';
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
      } else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'Callers authenticate with latchkey API keys or the admin key, checked by the latchkey Lambda ' +
            'REQUEST authorizer on this method; there are no Cognito users.',
        });
      }
      this.methods.push(method);
    }
    if (props.corsAllowOrigin !== undefined) {
      const deployed = ROUTES.filter((route) => integrations[route.handler] !== undefined);
      this.corsPreflights = addCorsPreflights(this.restApi, deployed, props.corsAllowOrigin);
    }

    this.gatewayResponses = GATEWAY_RESPONSES.map(
      (spec) =>
        new apigateway.GatewayResponse(this, `Response${spec.type}`, {
          restApi: this.restApi,
          type: apigateway.ResponseType.of(spec.type),
          // DEFAULT_4XX/5XX: no status, or every response type without its own would take it.
          ...(spec.statusCode === null ? {} : { statusCode: String(spec.statusCode) }),
          templates: { 'application/json': gatewayResponseTemplate(spec) },
          responseHeaders: gatewayResponseHeaders(spec, { corsAllowOrigin: props.corsAllowOrigin }),
        }),
    );
  }

  /** The invoke URL of the stage, ending in `/`. */
  public get url(): string {
    return this.restApi.url;
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
function validateSettings(where: string, props: LatchkeyApiProps): ManagementSettings {
  const problems: string[] = [];
  const add = (problem: string | null) => {
    if (problem !== null) problems.push(problem);
  };
  if (props.existingRestApi) {
    const set = STAGE_PROPS.filter((name) => props[name] !== undefined);
    if (set.length > 0) {
      add(
        `${set.join(', ')} cannot be combined with existingRestApi: configure the stage of your own REST API directly`,
      );
    }
  }
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
  throwProblems(where, problems);
  return settings;
}
