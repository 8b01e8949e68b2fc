import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { GATEWAY_RESPONSES, gatewayResponseTemplate } from '../lambdas/core/gateway-responses';
import {
  DEFAULT_ROLE,
  DEFAULT_ROLE_MATRIX,
  parseRoleMatrix,
  type RoleMatrix,
} from '../lambdas/core/permissions';
import { ROUTES, type RouteHandler } from '../lambdas/core/routes';
import { ENV } from '../lambdas/shared/config';
import { IDENTITY_HEADER, type LatchkeyAuthorizer } from './authorizer';
import type { LatchkeyKeyStore } from './key-store';
import { LatchkeyFunction } from './latchkey-function';

export interface LatchkeyApiProps {
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
   * Stage name; it is the first segment of every URL path (and of the path signed requests sign).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling: a ceiling for the whole API, before any per-key rate limit. Requests over
   * it get 429 `rate_limited` from API Gateway.
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttling?: apigateway.ThrottleSettings;
  /**
   * Retention of the access logs, execution logs and the management and echo functions' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Execution logging level. Full request/response logging (data trace) is never enabled: it would
   * write `Authorization` headers to CloudWatch.
   * @default apigateway.MethodLoggingLevel.ERROR
   */
  readonly executionLogLevel?: apigateway.MethodLoggingLevel.ERROR | apigateway.MethodLoggingLevel.INFO;
  /**
   * Create the account-wide role API Gateway uses to write execution logs to CloudWatch. Set false
   * when the account already has one (API Gateway → Settings → CloudWatch log role ARN).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * ARN of a WAFv2 web ACL (scope REGIONAL) to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
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
   * Role name → permissions (`keys:read`, `keys:write`, `api:read`, `api:write`). A key's
   * permissions are frozen when it is created; changing the matrix affects new keys only.
   * @default DEFAULT_ROLE_MATRIX (admin, member, viewer)
   */
  readonly roleMatrix?: RoleMatrix;
  /**
   * Role given to keys created without `roles`. Must be in `roleMatrix`.
   * @default 'member'
   */
  readonly defaultRole?: string;
  /**
   * How long revoked, rotated and expired key records are kept before DynamoDB TTL deletes them
   * (whole days, 1–3650).
   * @default Duration.days(30)
   */
  readonly keyRetention?: Duration;
  /**
   * Memory of the management function in MB.
   * @default 512
   */
  readonly memorySize?: number;
}

const MAX_ENV_ROLE_MATRIX_CHARS = 2048;

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
  public readonly echoFunction: LatchkeyFunction;
  /** The access log group (undefined with `existingRestApi`). */
  public readonly accessLogs?: logs.LogGroup;
  public readonly requestValidator: apigateway.RequestValidator;
  public readonly gatewayResponses: apigateway.GatewayResponse[];
  public readonly methods: apigateway.Method[] = [];

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id);
    const settings = validateSettings(this.node.path, props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.managementFunction = new LatchkeyFunction(this, 'Management', {
      entry: 'lambdas/handlers/management.ts',
      description: 'latchkey: management API (/v1/keys, /v1/orgs, /v1/whoami)',
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(10),
      logRetention,
      environment: {
        [ENV.defaultMaxKeys]: String(settings.defaultMaxKeys),
        [ENV.defaultRateLimit]: String(settings.defaultRateLimit),
        [ENV.roleMatrix]: settings.roleMatrixJson,
        [ENV.defaultRole]: settings.defaultRole,
        [ENV.retentionDays]: String(settings.retentionDays),
      },
    });
    const management = this.managementFunction.function;
    props.keyStore.grantManage(management);
    props.keyStore.grantReadSigningSecret(management);

    this.echoFunction = new LatchkeyFunction(this, 'Echo', {
      entry: 'lambdas/handlers/echo.ts',
      description: 'latchkey: sample application route (ANY /v1/echo/{proxy+})',
      memorySize: 256,
      timeout: Duration.seconds(5),
      logRetention,
    });

    if (props.existingRestApi) {
      this.restApi = props.existingRestApi;
    } else {
      const created = this.createRestApi(props, logRetention);
      this.restApi = created.api;
      this.accessLogs = created.accessLogs;
    }

    // Parameters: the Authorization header and path parameters must be present. Bodies: validated
    // against a model where a method has one; latchkey's methods have none, because the Lambdas
    // validate bodies themselves with field-level messages (SPEC §5) identical to local mode.
    this.requestValidator = new apigateway.RequestValidator(this, 'RequestValidator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations: Record<RouteHandler, apigateway.LambdaIntegration> = {
      management: new apigateway.LambdaIntegration(management, { allowTestInvoke: false }),
      echo: new apigateway.LambdaIntegration(this.echoFunction.function, { allowTestInvoke: false }),
    };
    for (const route of ROUTES) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const requestParameters: Record<string, boolean> = {
        [`method.request.header.${IDENTITY_HEADER}`]: true,
      };
      for (const match of route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) {
        requestParameters[`method.request.path.${match[1]}`] = true;
      }
      const method = resource.addMethod(route.method, integrations[route.handler], {
        ...props.authorizer.methodOptions,
        operationName: route.id,
        requestValidator: this.requestValidator,
        requestParameters,
      });
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Callers authenticate with latchkey API keys or the admin key, checked by the latchkey Lambda ' +
          'REQUEST authorizer on this method; there are no Cognito users.',
      });
      this.methods.push(method);
    }

    this.gatewayResponses = GATEWAY_RESPONSES.map(
      (spec) =>
        new apigateway.GatewayResponse(this, `Response${spec.type}`, {
          restApi: this.restApi,
          type: apigateway.ResponseType.of(spec.type),
          statusCode: String(spec.statusCode),
          templates: { 'application/json': gatewayResponseTemplate(spec) },
        }),
    );

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.restApi.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    }
  }

  /** The invoke URL of the stage, ending in `/`. */
  public get url(): string {
    return this.restApi.url;
  }

  private createRestApi(
    props: LatchkeyApiProps,
    logRetention: logs.RetentionDays,
  ): { api: apigateway.RestApi; accessLogs: logs.LogGroup } {
    const stageName = props.stageName ?? 'prod';
    const throttling = props.throttling ?? { rateLimit: 500, burstLimit: 1000 };
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention });

    const api = new apigateway.RestApi(this, 'RestApi', {
      description: 'latchkey: API keys for AWS (management API and sample route)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      failOnWarnings: true,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        // Per-method detailed metrics are billed as custom CloudWatch metrics; the stage's standard
        // metrics (Count, 4XXError, 5XXError, Latency, IntegrationLatency) are free and enough.
        metricsEnabled: false,
        loggingLevel: props.executionLogLevel ?? apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });

    // The stack publishes its own `ApiUrl` output; drop the duplicate RestApi adds by default.
    api.node.tryRemoveChild('Endpoint');

    // API Gateway writes execution logs to a log group it names itself and never expires; creating
    // it first (the one physical name here, dictated by the service) gives it a retention.
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${stageName}`,
      retention: logRetention,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    if (props.cloudWatchRole ?? true) {
      const role = api.node.tryFindChild('CloudWatchRole');
      if (role) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          reason:
            'The account-wide role API Gateway assumes to write execution and access logs: AWS maintains ' +
            'this policy for exactly that purpose, and the role is assumable only by apigateway.amazonaws.com.',
        });
      }
    }
    if (!props.webAclArn) {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is optional (webAclArn prop): every method already requires a latchkey credential, each key ' +
          'is rate limited by the authorizer, and the stage is throttled. A web ACL adds at least $5/month.',
      });
    }
    return { api, accessLogs };
  }
}

function accessLogFormat(): apigateway.AccessLogFormat {
  const F = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      extendedRequestId: F.contextExtendedRequestId(),
      requestTime: F.contextRequestTime(),
      sourceIp: F.contextIdentitySourceIp(),
      userAgent: F.contextIdentityUserAgent(),
      httpMethod: F.contextHttpMethod(),
      resourcePath: F.contextResourcePath(),
      path: F.contextPath(),
      protocol: F.contextProtocol(),
      status: F.contextStatus(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationLatency: F.contextIntegrationLatency(),
      integrationStatus: F.contextIntegrationStatus(),
      authorizerStatus: F.contextAuthorizerStatus(),
      authorizerLatency: F.contextAuthorizerLatency(),
      authorizerError: F.contextAuthorizerError(),
      principalId: F.contextAuthorizerPrincipalId(),
      keyId: F.contextAuthorizer('key_id'),
      orgId: F.contextAuthorizer('org_id'),
      denyCode: F.contextAuthorizer('error_code'),
      errorResponseType: F.contextErrorResponseType(),
      errorMessage: F.contextErrorMessageString(),
      xrayTraceId: F.contextXrayTraceId(),
    }),
  );
}

interface Settings {
  defaultMaxKeys: number;
  defaultRateLimit: number;
  roleMatrixJson: string;
  defaultRole: string;
  retentionDays: number;
}

function integerIn(where: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${where}: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Props checks, with the same rules `loadConfig` applies at cold start, so mistakes fail at synth. */
function validateSettings(where: string, props: LatchkeyApiProps): Settings {
  if (props.existingRestApi) {
    const stageProps = [
      'stageName',
      'throttling',
      'executionLogLevel',
      'cloudWatchRole',
      'webAclArn',
    ] as const;
    const set = stageProps.filter((name) => props[name] !== undefined);
    if (set.length > 0) {
      throw new Error(
        `${where}: ${set.join(', ')} cannot be combined with existingRestApi: configure the stage of your ` +
          'own REST API directly',
      );
    }
  }
  if (props.stageName !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(props.stageName)) {
    throw new Error(
      `${where}: stageName must be 1-128 letters, digits, '-' or '_', got ${JSON.stringify(props.stageName)}`,
    );
  }
  if (props.throttling) {
    const { rateLimit, burstLimit } = props.throttling;
    if (rateLimit === undefined || burstLimit === undefined) {
      throw new Error(`${where}: throttling needs both rateLimit and burstLimit`);
    }
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new Error(`${where}: throttling.rateLimit must be > 0 and throttling.burstLimit an integer >= 1`);
    }
  }
  if ((props.executionLogLevel as string | undefined) === apigateway.MethodLoggingLevel.OFF) {
    throw new Error(`${where}: executionLogLevel cannot be OFF; use ERROR (the default) or INFO`);
  }
  let matrix: RoleMatrix = DEFAULT_ROLE_MATRIX;
  if (props.roleMatrix !== undefined) {
    try {
      matrix = parseRoleMatrix(props.roleMatrix);
    } catch (error) {
      throw new Error(`${where}: roleMatrix: ${(error as Error).message}`);
    }
  }
  const roleMatrixJson = JSON.stringify(matrix);
  if (roleMatrixJson.length > MAX_ENV_ROLE_MATRIX_CHARS) {
    throw new Error(
      `${where}: roleMatrix is too large (${roleMatrixJson.length} > ${MAX_ENV_ROLE_MATRIX_CHARS} chars)`,
    );
  }
  const defaultRole = props.defaultRole ?? DEFAULT_ROLE;
  if (!Object.hasOwn(matrix, defaultRole)) {
    throw new Error(
      `${where}: defaultRole ${JSON.stringify(defaultRole)} is not in roleMatrix (${Object.keys(matrix).join(', ')})`,
    );
  }
  const retentionDays = (props.keyRetention ?? Duration.days(30)).toDays({ integral: false });
  return {
    defaultMaxKeys: integerIn(where, 'defaultMaxKeys', props.defaultMaxKeys ?? 50, 0, 1_000_000),
    defaultRateLimit: integerIn(where, 'defaultRateLimit', props.defaultRateLimit ?? 60, 1, 100_000),
    roleMatrixJson,
    defaultRole,
    retentionDays: integerIn(where, 'keyRetention (days)', retentionDays, 1, 3650),
  };
}
