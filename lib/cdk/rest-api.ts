/**
 * latchkey on a REST API (`apiType: 'rest'`). `createRestApi`: the REST API and stage latchkey creates
 * when you bring none — a regional REST API whose stage has stage-wide throttling, JSON access logs,
 * execution logs (never data trace) with a retention, X-Ray tracing and an optional WAFv2 web ACL.
 * `addRestRoutes`: the methods of the route table behind the authorizer, the request validator and the
 * gateway responses that give API Gateway's own errors the latchkey error body. `LatchkeyApi` calls
 * both with itself as the scope, so the resources keep their construct paths (and logical IDs: the API
 * keeps its URL). Defaults and rules (stage name, throttling, log level) come from the settings table
 * (`lib/core/settings.ts`), which checks the props (`stagePropsProblems`).
 */
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import {
  GATEWAY_RESPONSES,
  gatewayResponseHeaders,
  gatewayResponseTemplate,
} from '../core/gateway-responses';
import { isPublicRoute, ROUTES, type RouteHandler } from '../core/routes';
import { checkSetting, SETTINGS } from '../core/settings';
import type { LatchkeyAuthorizer } from './authorizer';
import type { LatchkeyFunction } from './latchkey-function';

/**
 * The stage settings of an API latchkey creates (part of `LatchkeyApiProps`); none of them can be
 * combined with `existingRestApi` or `existingHttpApi`. With `apiType: 'http'`, `executionLogLevel` and
 * `webAclArn` are refused and `cloudWatchRole` does nothing (see `httpStagePropsProblems`).
 */
export interface StageProps {
  /**
   * Stage name; it is the first segment of every URL path (and of the path signed requests sign).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling: a ceiling for the whole API, before any per-key rate limit. Requests over
   * it get 429 from API Gateway (`rate_limited` on a REST API; an HTTP API's own body).
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttling?: apigateway.ThrottleSettings;
  /**
   * Execution logging level. Full request/response logging (data trace) is never enabled: it would
   * write `Authorization` headers to CloudWatch. REST APIs only: HTTP APIs have no execution logs.
   * @default apigateway.MethodLoggingLevel.ERROR
   */
  readonly executionLogLevel?: apigateway.MethodLoggingLevel.ERROR | apigateway.MethodLoggingLevel.INFO;
  /**
   * Create the account-wide role API Gateway uses to write execution logs to CloudWatch. Set false
   * when the account already has one (API Gateway → Settings → CloudWatch log role ARN). REST APIs
   * only; with `apiType: 'http'` nothing is created either way (HTTP API access logs need no such role).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * ARN of a WAFv2 web ACL (scope REGIONAL) to associate with the stage. REST APIs only: AWS WAF
   * cannot be associated with an HTTP API.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
}

/** The names of `StageProps`: none of them can be combined with an existing API. */
export const STAGE_PROPS = [
  'stageName',
  'throttling',
  'executionLogLevel',
  'cloudWatchRole',
  'webAclArn',
] as const satisfies readonly (keyof StageProps)[];

/**
 * The problems of the stage props (null for each check that passed), checked against the settings
 * table, for the construct to report with its others.
 */
export function stagePropsProblems(props: StageProps): (string | null)[] {
  const problems: (string | null)[] = [];
  if (props.stageName !== undefined) problems.push(checkSetting('stageName', props.stageName));
  if (props.throttling) {
    const { rateLimit, burstLimit } = props.throttling;
    if (rateLimit === undefined || burstLimit === undefined) {
      problems.push('throttling needs both rateLimit and burstLimit');
    } else {
      problems.push(
        checkSetting('throttlingRateLimit', rateLimit, { as: 'throttling.rateLimit' }),
        checkSetting('throttlingBurstLimit', burstLimit, { as: 'throttling.burstLimit' }),
      );
    }
  }
  if (props.executionLogLevel !== undefined) {
    problems.push(checkSetting('executionLogLevel', props.executionLogLevel));
  }
  if (props.cloudWatchRole !== undefined) problems.push(checkSetting('cloudWatchRole', props.cloudWatchRole));
  return problems;
}

export interface CreatedRestApi {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
}

/** Creates the REST API, its stage and log groups in `scope`, and the web ACL association if asked. */
export function createRestApi(
  scope: Construct,
  props: StageProps,
  logRetention: logs.RetentionDays,
): CreatedRestApi {
  const stageName = props.stageName ?? SETTINGS.stageName.default;
  const throttling = props.throttling ?? {
    rateLimit: SETTINGS.throttlingRateLimit.default,
    burstLimit: SETTINGS.throttlingBurstLimit.default,
  };
  const cloudWatchRole = props.cloudWatchRole ?? SETTINGS.cloudWatchRole.default;
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', { retention: logRetention });

  const api = new apigateway.RestApi(scope, 'RestApi', {
    description: 'latchkey: API keys for AWS (management API and sample route)',
    endpointTypes: [apigateway.EndpointType.REGIONAL],
    cloudWatchRole,
    failOnWarnings: true,
    deployOptions: {
      stageName,
      tracingEnabled: true,
      // Per-method detailed metrics are billed as custom CloudWatch metrics; the stage's standard
      // metrics (Count, 4XXError, 5XXError, Latency, IntegrationLatency) are free and enough.
      metricsEnabled: false,
      loggingLevel:
        props.executionLogLevel ?? (SETTINGS.executionLogLevel.default as apigateway.MethodLoggingLevel),
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
  const executionLogs = new logs.LogGroup(scope, 'ExecutionLogs', {
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${stageName}`,
    retention: logRetention,
  });
  api.deploymentStage.node.addDependency(executionLogs);

  if (cloudWatchRole) {
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
  if (props.webAclArn) {
    new wafv2.CfnWebACLAssociation(scope, 'WebAcl', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: props.webAclArn,
    });
  } else {
    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'WAF is optional (webAclArn prop): every method already requires a latchkey credential, each key ' +
        'is rate limited by the authorizer, and the stage is throttled. A web ACL adds at least $5/month.',
    });
  }
  return { api, accessLogs };
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

/** What `addRestRoutes` creates. */
export interface RestRoutes {
  readonly requestValidator: apigateway.RequestValidator;
  readonly methods: apigateway.Method[];
  readonly gatewayResponses: apigateway.GatewayResponse[];
}

/**
 * Adds the route table's methods to `restApi` in `scope` — each behind the authorizer but the public
 * ones, each integrated with its handler's function (routes whose handler has no function are left
 * out) — with the request validator and latchkey's gateway responses (carrying the CORS headers when
 * `corsAllowOrigin` is set).
 */
export function addRestRoutes(
  scope: Construct,
  restApi: apigateway.IRestApi,
  authorizer: LatchkeyAuthorizer,
  functions: Partial<Record<RouteHandler, LatchkeyFunction>>,
  options: { readonly corsAllowOrigin?: string } = {},
): RestRoutes {
  // Parameters: the Authorization header and path parameters must be present. Bodies: validated
  // against a model where a method has one; latchkey's methods have none, because the Lambdas
  // validate bodies themselves with field-level messages (docs/protocol.md §5) identical to local mode.
  const requestValidator = new apigateway.RequestValidator(scope, 'RequestValidator', {
    restApi,
    validateRequestParameters: true,
    validateRequestBody: true,
  });

  const integrations = new Map<RouteHandler, apigateway.LambdaIntegration>();
  for (const [handler, fn] of Object.entries(functions) as [RouteHandler, LatchkeyFunction | undefined][]) {
    if (fn) integrations.set(handler, new apigateway.LambdaIntegration(fn, { allowTestInvoke: false }));
  }
  const methods: apigateway.Method[] = [];
  for (const route of ROUTES) {
    const target = integrations.get(route.handler);
    // The sample route is left out with its function.
    if (target === undefined) continue;
    const resource = restApi.root.resourceForPath(route.path);
    const open = isPublicRoute(route);
    // The authorizer's identity sources are required parameters (none with its cache off: RFC 9421
    // requests carry no Authorization header).
    const requestParameters: Record<string, boolean> = {};
    if (!open)
      for (const h of authorizer.identityHeaders) requestParameters[`method.request.header.${h}`] = true;
    for (const match of route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) {
      requestParameters[`method.request.path.${match[1]}`] = true;
    }
    const method = resource.addMethod(route.method, target, {
      ...(open ? { authorizationType: apigateway.AuthorizationType.NONE } : authorizer.methodOptions),
      operationName: route.id,
      requestValidator,
      requestParameters,
    });
    if (open) {
      const reason = publicRouteReason(route.method, route.path);
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
    methods.push(method);
  }

  const gatewayResponses = GATEWAY_RESPONSES.map(
    (spec) =>
      new apigateway.GatewayResponse(scope, `Response${spec.type}`, {
        restApi,
        type: apigateway.ResponseType.of(spec.type),
        // DEFAULT_4XX/5XX: no status, or every response type without its own would take it.
        ...(spec.statusCode === null ? {} : { statusCode: String(spec.statusCode) }),
        templates: { 'application/json': gatewayResponseTemplate(spec) },
        responseHeaders: gatewayResponseHeaders(spec, { corsAllowOrigin: options.corsAllowOrigin }),
      }),
  );
  return { requestValidator, methods, gatewayResponses };
}

/** Why a public route (needs: 'public') may go without the authorizer, for its nag acknowledgements. */
export function publicRouteReason(method: string, path: string): string {
  const route = ROUTES.find((r) => r.method === method && r.path === path);
  if (route?.handler === 'leaks') {
    return (
      `${method} ${path} is public by design (needs: 'public' in the route table): GitHub secret scanning ` +
      'cannot present a latchkey credential, so the function itself refuses every request that is not ' +
      "signed with one of GitHub's published ECDSA keys, before reading the body, with the one 401."
    );
  }
  return (
    `${method} ${path} is public by design (needs: 'public' in the route table): it serves ` +
    'only static documents (the OpenAPI description or the console page and assets) from a function ' +
    'with no data access; the console calls the API with the credential its user enters.'
  );
}
