import { Aws, CfnOutput, type Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as eventbridge from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { RoleMatrix } from '../core/permissions';
import type { PlanTable } from '../core/plans';
import {
  type ApiType,
  checkSetting,
  type LeakAction,
  SETTINGS,
  type SigningProfile,
  throwProblems,
  type VerifyMode,
} from '../core/settings';
import { LatchkeyAuthorizer } from './authorizer';
import { LatchkeyEvents } from './events';
import { LatchkeyKeyStore } from './key-store';
import { LatchkeyApi } from './latchkey-api';
import { LatchkeyMonitoring } from './monitoring';

/**
 * Everything an operator configures. Each prop is passed to the construct that owns it; see that
 * construct for the details.
 */
export interface LatchkeyStackProps extends StackProps {
  /**
   * Token prefixes, 1–4 of 1–16 lowercase letters/digits, as a list or comma-separated (`'acme,lk'`):
   * new keys get the first, tokens of every one are accepted. @default 'lk'
   */
  readonly tokenPrefix?: string | readonly string[];
  /** Active keys per organization when no per-org limit is set. @default 50 */
  readonly defaultMaxKeys?: number;
  /** `rate_limit_per_minute` of keys created without one. @default 60 */
  readonly defaultRateLimit?: number;
  /** Role name → permissions. @default admin / member / viewer (see docs/protocol.md §3) */
  readonly roleMatrix?: RoleMatrix;
  /** Role of keys created without `roles`. @default 'member' */
  readonly defaultRole?: string;
  /** Named plans and their key limits (null = unlimited). @default - none */
  readonly plans?: PlanTable;
  /** How long released key records are kept before TTL deletes them. @default Duration.days(30) */
  readonly keyRetention?: Duration;
  /** How long audit events are kept before TTL deletes them. @default Duration.days(90) */
  readonly auditRetention?: Duration;
  /**
   * API Gateway authorizer result cache (0–3600 s). Above 0, revocation is delayed and rate limits,
   * usage counting and nonce checks are skipped for cached requests.
   * @default Duration.seconds(0)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Which ARMOR-PSK nonces the authorizer accepts: `compatible` (any of the published scheme) or
   * `strict` (32 lowercase hex characters; see docs/protocol.md §2.6). @default 'compatible'
   */
  readonly signingProfile?: SigningProfile;
  /**
   * Which kind of API Gateway API guards the routes: `rest` (a REST API) or `http` (an HTTP API, payload
   * format 2.0, simple authorizer responses). With `http`, `authorizerCacheTtl` must be 0 and
   * `executionLogLevel` and `webAclArn` cannot be set; `cloudWatchRole` does nothing. @default 'rest'
   */
  readonly apiType?: ApiType;
  /** How the authorizer verifies keys (see `LatchkeyAuthorizerProps.verifyMode`). @default 'bounded' */
  readonly verifyMode?: VerifyMode;
  /** Bounded mode: the oldest copy of a hot key a request is checked against (ms). @default 1000 */
  readonly hotKeyBoundMs?: number;
  /** How long Lambdas keep secret values in memory. @default Duration.seconds(60) */
  readonly secretCacheTtl?: Duration;
  /** Rotate the admin key on this schedule. @default - no automatic rotation */
  readonly adminKeyRotation?: Duration;
  /**
   * Deploy the sample application route `ANY /v1/echo/{proxy+}` (see `LatchkeyApiProps.sampleRoutes`).
   * @default true
   */
  readonly sampleRoutes?: boolean;
  /** Retention of every log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Stage name (first URL path segment). @default 'prod' */
  readonly stageName?: string;
  /** Stage-wide throttling. @default { rateLimit: 500, burstLimit: 1000 } */
  readonly throttling?: apigateway.ThrottleSettings;
  /** Execution log level (REST API only). @default MethodLoggingLevel.ERROR */
  readonly executionLogLevel?: apigateway.MethodLoggingLevel.ERROR | apigateway.MethodLoggingLevel.INFO;
  /** Create API Gateway's account-wide CloudWatch role (REST API only). @default true */
  readonly cloudWatchRole?: boolean;
  /** WAFv2 web ACL (REGIONAL) for the stage (REST API only). @default - none */
  readonly webAclArn?: string;
  /** An email address subscribed to the alarm topic (`LatchkeyMonitoring`). @default - none */
  readonly alarmEmail?: string;
  /**
   * The one origin (or `*`) whose browser pages may call the management API (see
   * `LatchkeyApiProps.corsAllowOrigin`). @default - no CORS
   */
  readonly corsAllowOrigin?: string;
  /** Memory of the authorizer function (MB). @default 512 */
  readonly authorizerMemorySize?: number;
  /** Authorizer instances kept initialized (provisioned concurrency). @default 0 (off) */
  readonly authorizerProvisionedConcurrency?: number;
  /** Memory of the management function (MB). @default 512 */
  readonly managementMemorySize?: number;
  /** Serve GitHub secret-scanning reports at `POST /v1/leaks/github`. @default true */
  readonly githubSecretScanning?: boolean;
  /** What a token GitHub reports as leaked does to its key. @default 'disable' */
  readonly leakAction?: LeakAction;
  /** GitHub's list of the keys that sign secret-scanning reports. @default - GitHub's own URL */
  readonly githubKeysUrl?: string;
  /**
   * Adopt the table of an earlier deployment (kept by `cdk destroy`) by name. It must have the
   * latchkey schema. To keep its API keys working, adopt the signing secret too.
   * @default - a new table
   */
  readonly existingTableName?: string;
  /**
   * Adopt an admin-key secret by its complete ARN (the `AdminKeySecretArn` output of the earlier stack).
   * @default - a new generated admin key
   */
  readonly existingAdminKeySecretArn?: string;
  /**
   * Adopt the signing master secret by its complete ARN. Keys issued under another signing secret
   * cannot be verified.
   * @default - a new generated signing secret
   */
  readonly existingSigningSecretArn?: string;
  /**
   * Lifecycle events (`LatchkeyEvents`, docs/events.md): the table's stream to an EventBridge bus, the
   * daily `key.expiring` scan, and the webhook when `webhookUrl` is set. Needs the table the stack
   * creates: with `existingTableName` it is off and cannot be turned on.
   * @default true (false with existingTableName)
   */
  readonly events?: boolean;
  /** Publish events to this EventBridge bus (its ARN). @default - a new bus */
  readonly eventBusArn?: string;
  /** `key.expiring` is raised for keys that expire within this many days. @default 7 */
  readonly expiringWithinDays?: number;
  /** POST every event to this https:// URL, Standard Webhooks format. @default - no webhook */
  readonly webhookUrl?: string;
}

/**
 * latchkey: a REST API (or, with `apiType: 'http'`, an HTTP API) whose every route but the public
 * documents is guarded by the latchkey authorizer, the management API behind it, and the key table and
 * secrets they share.
 */
export class LatchkeyStack extends Stack {
  public readonly keyStore: LatchkeyKeyStore;
  public readonly authorizer: LatchkeyAuthorizer;
  public readonly api: LatchkeyApi;
  /** Lifecycle events, unless `events` is false. */
  public readonly events?: LatchkeyEvents;
  /** The dashboard, alarms and alarm topic. */
  public readonly monitoring: LatchkeyMonitoring;

  constructor(scope: Construct, id: string, props: LatchkeyStackProps = {}) {
    super(scope, id, {
      description:
        'latchkey: self-hosted API keys (API Gateway, Lambda authorizer, DynamoDB, Secrets Manager)',
      ...props,
    });

    const apiType = props.apiType ?? SETTINGS.apiType.default;
    throwProblems(this.node.path, [checkSetting('apiType', apiType)]);

    this.keyStore = new LatchkeyKeyStore(this, 'KeyStore', {
      existingTable: props.existingTableName
        ? dynamodb.Table.fromTableName(this, 'ExistingTable', props.existingTableName)
        : undefined,
      existingAdminKeySecret: this.importSecret('ExistingAdminKey', 'existingAdminKeySecretArn', props),
      existingSigningSecret: this.importSecret('ExistingSigningSecret', 'existingSigningSecretArn', props),
      tokenPrefix: props.tokenPrefix,
      secretCacheTtl: props.secretCacheTtl,
      adminKeyRotation: props.adminKeyRotation,
      logRetention: props.logRetention,
    });

    this.authorizer = new LatchkeyAuthorizer(this, 'Authorizer', {
      keyStore: this.keyStore,
      apiType,
      resultsCacheTtl: props.authorizerCacheTtl,
      signingProfile: props.signingProfile,
      verifyMode: props.verifyMode,
      hotKeyBoundMs: props.hotKeyBoundMs,
      provisionedConcurrency: props.authorizerProvisionedConcurrency,
      memorySize: props.authorizerMemorySize,
      logRetention: props.logRetention,
    });

    this.api = new LatchkeyApi(this, 'Api', {
      keyStore: this.keyStore,
      authorizer: this.authorizer,
      apiType,
      stageName: props.stageName,
      throttling: props.throttling,
      logRetention: props.logRetention,
      executionLogLevel: props.executionLogLevel,
      cloudWatchRole: props.cloudWatchRole,
      webAclArn: props.webAclArn,
      corsAllowOrigin: props.corsAllowOrigin,
      defaultMaxKeys: props.defaultMaxKeys,
      defaultRateLimit: props.defaultRateLimit,
      roleMatrix: props.roleMatrix,
      defaultRole: props.defaultRole,
      plans: props.plans,
      keyRetention: props.keyRetention,
      auditRetention: props.auditRetention,
      memorySize: props.managementMemorySize,
      githubSecretScanning: props.githubSecretScanning,
      leakAction: props.leakAction,
      githubKeysUrl: props.githubKeysUrl,
      sampleRoutes: props.sampleRoutes ?? true,
    });

    const eventsOn = props.events ?? props.existingTableName === undefined;
    const streamArn = this.keyStore.table.tableStreamArn;
    if (eventsOn && (props.existingTableName !== undefined || streamArn === undefined)) {
      throwProblems(this.node.path, [
        'events need the stream of the table the stack creates: set events to false with existingTableName',
      ]);
    }
    if (eventsOn && streamArn !== undefined) {
      if (props.eventBusArn !== undefined)
        throwProblems(this.node.path, [checkSetting('eventBusArn', props.eventBusArn)]);
      this.events = new LatchkeyEvents(this, 'Events', {
        table: this.keyStore.table,
        tableStreamArn: streamArn,
        eventBus:
          props.eventBusArn === undefined
            ? undefined
            : eventbridge.EventBus.fromEventBusArn(this, 'ExistingEventBus', props.eventBusArn),
        expiringWithinDays: props.expiringWithinDays,
        webhookUrl: props.webhookUrl,
        logRetention: props.logRetention,
      });
      new CfnOutput(this, 'EventBusArn', {
        description: 'The EventBridge bus latchkey publishes lifecycle events to (source "latchkey")',
        value: this.events.eventBus.eventBusArn,
      });
      new CfnOutput(this, 'EventsDeadLetterQueueUrl', {
        description: 'Stream records whose events could not be published after every retry',
        value: this.events.deadLetterQueue.queueUrl,
      });
      if (this.events.webhookSecret) {
        new CfnOutput(this, 'WebhookSecretArn', {
          description: 'The webhook signing secret: receivers verify with whsec_<its value>',
          value: this.events.webhookSecret.secretArn,
        });
      }
    } else if (props.webhookUrl !== undefined || props.eventBusArn !== undefined) {
      throwProblems(this.node.path, ['webhookUrl and eventBusArn need events']);
    }
    this.monitoring = new LatchkeyMonitoring(this, 'Monitoring', {
      api: this.api,
      authorizerFunction: this.authorizer.function,
      alarmEmail: props.alarmEmail,
    });

    const secretArn = this.api.adminKeySecret.secretArn;
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the API (stage included); management routes are under v1/',
      value: this.api.url,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The web console (no credential to load it; it asks for a key or the admin key)',
      value: this.api.consoleUrl,
    });
    new CfnOutput(this, 'OpenApiUrl', {
      description: 'The OpenAPI 3.1 document of the API (no credential needed)',
      value: this.api.openApiUrl,
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      description: 'Secrets Manager secret holding the admin key',
      value: secretArn,
    });
    new CfnOutput(this, 'ReadAdminKeyCommand', {
      description: 'Prints the admin key (needs secretsmanager:GetSecretValue on the secret)',
      value: Fn.join('', [
        'aws secretsmanager get-secret-value --secret-id ',
        secretArn,
        ' --region ',
        Aws.REGION,
        ' --query SecretString --output text',
      ]),
    });
    new CfnOutput(this, 'SigningSecretArn', {
      description:
        'Signing master secret (no one needs its value; pass the ARN as existingSigningSecretArn to adopt it)',
      value: this.keyStore.signingSecret.secretArn,
    });
    new CfnOutput(this, 'AuthorizerLogGroupName', {
      description: "The authorizer's log group: every refusal with its reason (latchkey logs tail --stack)",
      value: this.api.authorizerLogGroup.logGroupName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every latchkey alarm notifies (subscribe to it, or set alarmEmail)',
      value: this.monitoring.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of verifications, refusals, latency, errors and throttles',
      value: this.monitoring.dashboard.dashboardName,
    });
    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table with key records, organizations, nonces and counters',
      value: this.keyStore.table.tableName,
    });
  }

  private importSecret(
    id: string,
    prop: 'existingAdminKeySecretArn' | 'existingSigningSecretArn',
    props: LatchkeyStackProps,
  ): secretsmanager.ISecret | undefined {
    const arn = props[prop];
    if (arn === undefined) return undefined;
    throwProblems(this.node.path, [checkSetting(prop, arn)]);
    return secretsmanager.Secret.fromSecretCompleteArn(this, id, arn);
  }
}
