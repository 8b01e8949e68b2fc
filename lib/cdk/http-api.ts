/**
 * latchkey on an API Gateway HTTP API (`apiType: 'http'`). `createHttpApi`: the HTTP API and stage
 * latchkey creates when you bring none — a named stage (the same `stageName` as a REST API's, so URLs
 * and the paths signed requests sign are the same in both modes) deployed automatically, with
 * stage-wide throttling and JSON access logs with a retention. `addHttpRoutes`: the routes of the route
 * table, each a Lambda proxy integration with payload format 2.0, behind the latchkey authorizer but the
 * public ones. `httpStagePropsProblems`: the stage settings an HTTP API cannot honour.
 *
 * What an HTTP API does not have, and so latchkey does not build here: gateway responses (API Gateway
 * answers its own refusals with its own bodies), a request validator, execution logs, X-Ray tracing of
 * the stage, WAF and resource policies. AWS: "Choose between REST APIs and HTTP APIs"
 * (http-api-vs-rest.html); not verified on AWS.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS } from '../core/cors';
import { isPublicRoute, ROUTES, type RouteHandler } from '../core/routes';
import { SETTINGS } from '../core/settings';
import type { LatchkeyAuthorizer } from './authorizer';
import type { LatchkeyFunction } from './latchkey-function';
import { publicRouteReason, type StageProps } from './rest-api';

/**
 * The problems of stage props that mean nothing on an HTTP API, each named: an operator who asked for
 * execution logs or a web ACL must not get a stack without them. `cloudWatchRole` is accepted and does
 * nothing (an HTTP API's access logs need no account-wide role).
 */
export function httpStagePropsProblems(props: StageProps): string[] {
  const problems: string[] = [];
  if (props.executionLogLevel !== undefined) {
    problems.push(
      "executionLogLevel cannot be set with apiType 'http': HTTP APIs have no execution logs " +
        '(the access log and the functions’ logs remain)',
    );
  }
  if (props.webAclArn !== undefined) {
    problems.push(
      "webAclArn cannot be set with apiType 'http': AWS WAF cannot be associated with an HTTP API; " +
        "use apiType 'rest' for a web ACL",
    );
  }
  return problems;
}

export interface CreatedHttpApi {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
}

/** Creates the HTTP API, its stage and its access log group in `scope`. */
export function createHttpApi(
  scope: Construct,
  props: StageProps & { readonly corsAllowOrigin?: string },
  logRetention: logs.RetentionDays,
): CreatedHttpApi {
  const stageName = props.stageName ?? SETTINGS.stageName.default;
  const throttling = props.throttling ?? {
    rateLimit: SETTINGS.throttlingRateLimit.default,
    burstLimit: SETTINGS.throttlingBurstLimit.default,
  };
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', { retention: logRetention });
  const api = new apigwv2.HttpApi(scope, 'HttpApi', {
    description: 'latchkey: API keys for AWS (management API and sample route)',
    // The named stage below is the only one: no `$default` stage answering at the API's root.
    createDefaultStage: false,
    ...(props.corsAllowOrigin === undefined ? {} : { corsPreflight: httpCors(props.corsAllowOrigin) }),
  });
  const stage = new apigwv2.HttpStage(scope, 'Stage', {
    httpApi: api,
    stageName,
    autoDeploy: true,
    throttle: { rateLimit: throttling.rateLimit, burstLimit: throttling.burstLimit },
    // Per-route detailed metrics are billed as custom CloudWatch metrics; the stage's are free.
    detailedMetricsEnabled: false,
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: httpAccessLogFormat(),
    },
  });
  return { api, stage, accessLogs };
}

/**
 * An HTTP API's own CORS configuration for `corsAllowOrigin`: API Gateway then answers every preflight
 * itself, without a route or the authorizer, and sets the CORS headers on answers, ignoring those an
 * integration returns (AWS, "Configuring CORS for an HTTP API", http-api-cors.html; not verified on
 * AWS). Unlike a REST API's mock `OPTIONS` methods, it covers every route of the API.
 */
function httpCors(allowOrigin: string): apigwv2.CorsPreflightOptions {
  return {
    allowOrigins: [allowOrigin],
    allowMethods: [apigwv2.CorsHttpMethod.ANY],
    allowHeaders: [...CORS_ALLOW_HEADERS],
    exposeHeaders: [...CORS_EXPOSE_HEADERS],
    maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
  };
}

/**
 * The REST API's access log fields, by the names HTTP APIs give them ("Customize HTTP API access
 * logs", http-api-logging-variables.html): `routeKey` stands for `resourcePath`, `integrationError` is
 * new; the authorizer's status and latency and the X-Ray trace id have no HTTP API variable.
 */
export const HTTP_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  keyId: '$context.authorizer.key_id',
  orgId: '$context.authorizer.org_id',
  denyCode: '$context.authorizer.error_code',
  errorResponseType: '$context.error.responseType',
  errorMessage: '$context.error.message',
} as const;

function httpAccessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FIELDS));
}

/**
 * Adds the route table's routes to `httpApi`, in `scope`: each a Lambda proxy integration (payload
 * format 2.0) with its handler's function, behind the authorizer but the public ones; routes whose
 * handler has no function are left out. There is no `$default` route, so any other method and path
 * gets API Gateway's 404 without reaching a function.
 */
export function addHttpRoutes(
  scope: Construct,
  httpApi: apigwv2.IHttpApi,
  authorizer: LatchkeyAuthorizer,
  functions: Partial<Record<RouteHandler, LatchkeyFunction>>,
): apigwv2.HttpRoute[] {
  const integrations = new Map<RouteHandler, HttpLambdaIntegration>();
  for (const [handler, fn] of Object.entries(functions) as [RouteHandler, LatchkeyFunction | undefined][]) {
    if (!fn) continue;
    const integration = new HttpLambdaIntegration(`${handler}Integration`, fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    integrations.set(handler, integration);
  }
  const routes: apigwv2.HttpRoute[] = [];
  for (const route of ROUTES) {
    const integration = integrations.get(route.handler);
    if (integration === undefined) continue;
    const open = isPublicRoute(route);
    const created = new apigwv2.HttpRoute(scope, `Route${route.id}`, {
      httpApi,
      routeKey: apigwv2.HttpRouteKey.with(route.path, route.method as apigwv2.HttpMethod),
      integration,
      authorizer: open ? new apigwv2.HttpNoneAuthorizer() : authorizer.httpAuthorizer,
    });
    if (open) {
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: publicRouteReason(route.method, route.path),
      });
    }
    routes.push(created);
  }
  return routes;
}
