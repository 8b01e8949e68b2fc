/**
 * The REST API and stage latchkey creates when you bring none: a regional REST API whose stage has
 * stage-wide throttling, JSON access logs, execution logs (never data trace) with a retention, X-Ray
 * tracing and an optional WAFv2 web ACL. `LatchkeyApi` calls `createRestApi` with itself as the
 * scope, so the resources keep their construct paths (and logical IDs: the API keeps its URL).
 * Defaults and rules (stage name, throttling, log level) come from the settings table
 * (`lib/core/settings.ts`), which checks the props (`stagePropsProblems`).
 */
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { checkSetting, SETTINGS } from '../core/settings';

/**
 * The stage settings of a REST API latchkey creates (part of `LatchkeyApiProps`); none of them can be
 * combined with `existingRestApi`.
 */
export interface StageProps {
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
}

/** The names of `StageProps`: none of them can be combined with an existing REST API. */
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
