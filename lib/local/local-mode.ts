/**
 * Local mode: latchkey on this machine. It starts DynamoDB Local (or reuses a running one) and talks
 * to it with its own credential only (dynamodb/credential.ts: DynamoDB Local keeps a database per
 * access key id, so other credentials see none of local mode's data), then starts the local
 * Secrets Manager endpoint holding the admin key and the signing secret, and the local API Gateway
 * (a REST API or an HTTP API, as `apiType` or LATCHKEY_API_TYPE says) running the same authorizer and
 * handlers as the deployed stack, and stops them again in reverse order. With a data folder, the handlers' log lines are also appended to its latchkey.log
 * (lib/local/log-file.ts). `npm start` (bin/start.ts) and the test suites start it through startLocalMode.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDynamoClient, createSecretsClient, type FixedIdentity } from '#lambda/aws/clients';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createLeaksHandler, leakSettingsFrom } from '#lambda/handlers/leaks';
import { createManagementHandler } from '#lambda/handlers/management';
import { type Config, loadConfig } from '#lambda/runtime/config';
import { createRuntime, type Runtime } from '#lambda/runtime/runtime';
import { randomBase62 } from '../core/base62';
import { ADMIN_KEY_RE, GENERATED_SECRET_LENGTH } from '../core/credentials';
import { type ApiType, parseSetting, SETTINGS } from '../core/settings';
import { WEBHOOK_SECRET_PREFIX, type WebhookRetryPolicy, webhookKey } from '../core/webhooks';
import {
  ADMIN_KEY_SECRET_NAME,
  LOCAL_ENV,
  LOCAL_HOST,
  LOCAL_REGION,
  LOCAL_TABLE_NAME,
  localDataPaths,
  localEventsFile,
  localLogFile,
  SIGNING_SECRET_NAME,
  WEBHOOK_SECRET_NAME,
} from './constants';
import {
  dataFolderDynamoDbCredential,
  type LocalDynamoDbCredential,
  newDynamoDbCredential,
} from './dynamodb/credential';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb/process';
import { createTable } from './dynamodb/table';
import { LocalSetupError } from './errors';
import { type LocalEvents, startLocalEvents } from './events';
import { type LocalGateway, startLocalGateway } from './gateway';
import { openLogFile } from './log-file';
import { assertPortFree } from './net';
import type { LocalSecretsCredential } from './secrets/credential';
import { type SecretsEndpoint, startSecretsEndpoint } from './secrets/server';

export interface LocalModeOptions {
  /** Folder for DynamoDB Local's data, the local secrets and the log file; null keeps everything in memory. */
  dataDir: string | null;
  host?: string;
  /** Gateway port; 0 picks a free one. */
  port?: number;
  secretsPort?: number;
  dynamodbPort?: number;
  /** Use an already running DynamoDB Local instead of starting one (with dynamodbCredential). */
  dynamodbEndpoint?: string;
  /**
   * The credential whose DynamoDB Local database holds the table. Required with dynamodbEndpoint; else
   * the data folder's (created there on first use), or a new one in memory.
   */
  dynamodbCredential?: LocalDynamoDbCredential;
  tableName?: string;
  /**
   * The secrets endpoint's credential; default a new one at each start. A process that holds one AWS
   * identity for both services, as a Lambda function does (the cold-start benchmark), passes its
   * dynamodbCredential here too.
   */
  secretsCredential?: LocalSecretsCredential;
  /** The admin key to use; else the stored one, else a new one is generated and stored. */
  adminKey?: string;
  /**
   * The signing master secret to use (every key's ARMOR-PSK secret derives from it); else the stored
   * one, else a new one is generated and stored. The upgrade test loads a previous release's keys with it.
   */
  signingSecret?: string;
  /** Extra LATCHKEY_* settings (token prefix, default limits, role matrix…), as environment values. */
  settings?: Record<string, string>;
  /**
   * Serve `POST /v1/leaks/github` (GitHub secret-scanning reports; point `LATCHKEY_GITHUB_KEYS_URL` in
   * `settings` at a stand-in for GitHub's key list). false: the route is not served. Default true.
   */
  githubSecretScanning?: boolean;
  /**
   * Which API Gateway API the local gateway answers as; else `LATCHKEY_API_TYPE` in `settings`, else
   * `rest`.
   */
  apiType?: ApiType;
  /** The clock the handlers use (tests move it to cross rate-limit windows and grace periods). */
  now?: () => number;
  /**
   * Lifecycle events (lib/local/events.ts): the event log, `LATCHKEY_WEBHOOK_URL` delivery and the expiry
   * scan. Default: on with a data folder or a webhook URL, off otherwise (most tests need none).
   */
  events?: boolean | { pollMs?: number; webhookPolicy?: WebhookRetryPolicy };
  /** Names of the environment variables that set the ports, for error messages. */
  portEnvNames?: { gateway?: string; secrets?: string; dynamodb?: string };
}

export interface LocalMode {
  url: string;
  secretsEndpoint: string;
  /** This run's credential for the secrets endpoint (also in the data folder's credentials file). */
  secretsCredential: LocalSecretsCredential;
  /** The signed Secrets Manager client the handlers use (share it with other runtimes in tests). */
  secretsClient: SecretsManagerClient;
  dynamodbEndpoint: string;
  /**
   * The region and credential local mode's DynamoDB clients use (its database in DynamoDB Local):
   * `createDynamoClient(local.dynamodbEndpoint, local.dynamodbIdentity)` reaches the same table.
   */
  dynamodbIdentity: FixedIdentity;
  tableName: string;
  adminKey: string;
  adminKeyGenerated: boolean;
  config: Config;
  /** The API Gateway API the local gateway answers as. */
  apiType: ApiType;
  runtime: Runtime;
  /** The DynamoDB Local process this local mode started (null when it reused one). */
  dynamodb: DynamoDbLocal | null;
  /** Lifecycle events, when on. */
  events: LocalEvents | null;
  /** The webhook signing secret (`whsec_<base64>`) when a webhook URL is set. */
  webhookSecret: string | null;
  stop(): Promise<void>;
}

/** `LATCHKEY_API_TYPE` from local mode's settings (unset or empty: the default), checked against its row. */
function localApiType(settings: Record<string, string> = {}): ApiType {
  const raw = settings[SETTINGS.apiType.env];
  if (raw === undefined || raw === '') return SETTINGS.apiType.default;
  const parsed = parseSetting('apiType', raw, { as: SETTINGS.apiType.env });
  if (!parsed.ok) throw new LocalSetupError(parsed.problem);
  return parsed.value;
}

/** Starts DynamoDB Local, the local Secrets Manager endpoint and the local API Gateway. */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const host = options.host ?? LOCAL_HOST;
  const paths = options.dataDir === null ? null : localDataPaths(options.dataDir);
  const gatewayPortEnv = options.portEnvNames?.gateway ?? LOCAL_ENV.gatewayPort;
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  // The secrets client needs a region; it signs with the endpoint's per-run credential, and the
  // DynamoDB clients with local mode's own (never the default chain's, whatever AWS_* says).
  process.env.AWS_REGION ??= LOCAL_REGION;
  try {
    if (options.dataDir !== null) {
      // Secrets and key hashes live here: only this user may read it.
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      chmodSync(options.dataDir, 0o700);
      // The handlers' log lines, for `latchkey logs tail` (closed last, after the gateway).
      const logFile = openLogFile(localLogFile(options.dataDir));
      stops.push(async () => logFile.close());
    }
    if (options.adminKey !== undefined && !ADMIN_KEY_RE.test(options.adminKey)) {
      throw new LocalSetupError(`${LOCAL_ENV.adminKey} must be 32-128 letters and digits`);
    }
    if (options.port) await assertPortFree(options.port, gatewayPortEnv);
    const apiType = options.apiType ?? localApiType(options.settings);

    if (options.dynamodbEndpoint !== undefined && options.dynamodbCredential === undefined) {
      throw new LocalSetupError('dynamodbEndpoint needs dynamodbCredential: the credential of its database');
    }
    const dynamodbCredential =
      options.dynamodbCredential ??
      (paths === null ? newDynamoDbCredential() : dataFolderDynamoDbCredential(paths.dynamodbCredentials));
    const dynamodbIdentity: FixedIdentity = { region: LOCAL_REGION, credentials: dynamodbCredential };
    let dynamodb: DynamoDbLocal | null = null;
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined) {
      if (paths !== null) mkdirSync(paths.dynamodb, { recursive: true });
      dynamodb = await startDynamoDbLocal({
        port: options.dynamodbPort ?? 0,
        dataDir: paths?.dynamodb ?? null,
        host,
        portEnvName: options.portEnvNames?.dynamodb,
        credential: dynamodbCredential,
      });
      const started = dynamodb;
      stops.push(() => started.stop());
      dynamodbEndpoint = dynamodb.endpoint;
    }

    const secrets: SecretsEndpoint = await startSecretsEndpoint({
      port: options.secretsPort ?? 0,
      host,
      file: paths?.secrets ?? null,
      credentialsFile: paths?.credentials ?? null,
      portEnvName: options.portEnvNames?.secrets,
      ...(options.secretsCredential ? { credential: options.secretsCredential } : {}),
    });
    stops.push(() => secrets.stop());

    let adminKeyGenerated = false;
    if (options.adminKey !== undefined) secrets.putSecret(ADMIN_KEY_SECRET_NAME, options.adminKey);
    else if (secrets.getSecret(ADMIN_KEY_SECRET_NAME) === undefined) {
      secrets.putSecret(ADMIN_KEY_SECRET_NAME, randomBase62(GENERATED_SECRET_LENGTH));
      adminKeyGenerated = true;
    }
    if (options.signingSecret !== undefined) secrets.putSecret(SIGNING_SECRET_NAME, options.signingSecret);
    else if (secrets.getSecret(SIGNING_SECRET_NAME) === undefined)
      secrets.putSecret(SIGNING_SECRET_NAME, randomBase62(GENERATED_SECRET_LENGTH));
    const adminKey = secrets.getSecret(ADMIN_KEY_SECRET_NAME) as string;

    const tableName = options.tableName ?? LOCAL_TABLE_NAME;
    const setupClient = createDynamoClient(dynamodbEndpoint, dynamodbIdentity);
    try {
      await createTable(setupClient, tableName);
    } finally {
      setupClient.destroy();
    }

    const config = loadConfig({
      ...options.settings,
      [SETTINGS.tableName.env]: tableName,
      [SETTINGS.adminKeySecretId.env]: ADMIN_KEY_SECRET_NAME,
      [SETTINGS.signingSecretId.env]: SIGNING_SECRET_NAME,
      [SETTINGS.dynamodbEndpoint.env]: dynamodbEndpoint,
      [SETTINGS.secretsEndpoint.env]: secrets.endpoint,
    });
    const secretsClient = createSecretsClient(secrets.endpoint, secrets.credential);
    stops.push(async () => secretsClient.destroy());
    const dynamoClient = createDynamoClient(dynamodbEndpoint, dynamodbIdentity);
    stops.push(async () => dynamoClient.destroy());
    const runtime = createRuntime(config, {
      secrets: secretsClient,
      dynamo: dynamoClient,
      ...(options.now ? { now: options.now } : {}),
    });
    const githubSecretScanning = options.githubSecretScanning ?? SETTINGS.githubSecretScanning.default;
    const gateway: LocalGateway = await startLocalGateway({
      apiType,
      host,
      port: options.port ?? 0,
      authorizer: createAuthorizerHandler(runtime),
      integrations: {
        management: createManagementHandler(runtime),
        echo,
        ...(githubSecretScanning
          ? {
              leaks: createLeaksHandler({
                ...leakSettingsFrom({
                  ...options.settings,
                  [SETTINGS.tokenPrefix.env]: config.tokenPrefixes.join(','),
                }),
                dynamo: dynamoClient,
                tableName,
                now: runtime.now,
              }),
            }
          : {}),
      },
      portEnvName: gatewayPortEnv,
      ...(config.corsAllowOrigin === undefined ? {} : { corsAllowOrigin: config.corsAllowOrigin }),
    });
    stops.push(() => gateway.close());

    const webhookUrl = options.settings?.[SETTINGS.webhookUrl.env] || null;
    let webhookSecret: string | null = null;
    if (webhookUrl !== null) {
      const parsed = parseSetting('webhookUrl', webhookUrl, { as: SETTINGS.webhookUrl.env });
      if (!parsed.ok) throw new LocalSetupError(parsed.problem);
      webhookSecret =
        options.settings?.[SETTINGS.webhookSecret.env] || secrets.getSecret(WEBHOOK_SECRET_NAME) || null;
      if (webhookSecret === null) {
        webhookSecret = `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
        secrets.putSecret(WEBHOOK_SECRET_NAME, webhookSecret);
      }
    }
    const webhookSecretKey = webhookSecret === null ? null : webhookKey(webhookSecret);
    if (webhookSecret !== null && webhookSecretKey === null)
      throw new LocalSetupError(`${SETTINGS.webhookSecret.env} must be whsec_<base64> of at least 24 bytes`);
    const eventsOption = options.events ?? (options.dataDir !== null || webhookUrl !== null);
    let events: LocalEvents | null = null;
    if (eventsOption !== false) {
      const withinRaw = options.settings?.[SETTINGS.expiringWithinDays.env];
      const within = withinRaw
        ? parseSetting('expiringWithinDays', withinRaw, { as: SETTINGS.expiringWithinDays.env })
        : null;
      if (within !== null && !within.ok) throw new LocalSetupError(within.problem);
      const started = await startLocalEvents({
        dynamo: dynamoClient,
        tableName,
        eventsFile: options.dataDir === null ? null : localEventsFile(options.dataDir),
        webhook:
          webhookUrl === null || webhookSecretKey === null
            ? null
            : { url: webhookUrl, key: webhookSecretKey },
        expiringWithinDays: within?.ok ? within.value : SETTINGS.expiringWithinDays.default,
        now: runtime.now,
        ...(typeof eventsOption === 'object' ? eventsOption : {}),
      });
      events = started;
      // Stops run in reverse: the gateway closes first, then a last poll delivers its final changes.
      stops.splice(stops.length - 1, 0, () => started.stop());
    }

    return {
      url: gateway.url,
      secretsEndpoint: secrets.endpoint,
      secretsCredential: secrets.credential,
      secretsClient,
      dynamodbEndpoint,
      dynamodbIdentity,
      tableName,
      adminKey,
      adminKeyGenerated,
      config,
      apiType,
      runtime,
      dynamodb,
      events,
      webhookSecret,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
