import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDynamoClient } from '../../lambdas/adapters/aws';
import { randomBase62 } from '../../lambdas/core/base62';
import { ADMIN_KEY_RE } from '../../lambdas/core/credentials';
import { createAuthorizerHandler } from '../../lambdas/handlers/authorizer';
import { echo } from '../../lambdas/handlers/echo';
import { createManagementHandler } from '../../lambdas/handlers/management';
import { type Config, ENV, loadConfig } from '../../lambdas/shared/config';
import { createRuntime, type Runtime } from '../../lambdas/shared/runtime';
import {
  assertPortFree,
  createTable,
  type DynamoDbLocal,
  LocalSetupError,
  startDynamoDbLocal,
} from './dynamodb-local';
import { type LocalGateway, startLocalGateway } from './gateway';
import { type SecretsEndpoint, startSecretsEndpoint } from './secrets-endpoint';

export const ADMIN_KEY_SECRET_NAME = 'latchkey/admin-key';
export const SIGNING_SECRET_NAME = 'latchkey/signing-secret';
export const LOCAL_TABLE_NAME = 'latchkey';

export interface LocalModeOptions {
  /** Folder for DynamoDB Local's data and the local secrets; null keeps everything in memory. */
  dataDir: string | null;
  host?: string;
  /** Gateway port; 0 picks a free one. */
  port?: number;
  secretsPort?: number;
  dynamodbPort?: number;
  /** Use an already running DynamoDB Local instead of starting one. */
  dynamodbEndpoint?: string;
  tableName?: string;
  /** The admin key to use; else the stored one, else a new one is generated and stored. */
  adminKey?: string;
  /** Extra LATCHKEY_* settings (token prefix, default limits, role matrix…), as environment values. */
  settings?: Record<string, string>;
  /** The clock the handlers use (tests move it to cross rate-limit windows and grace periods). */
  now?: () => number;
  /** Names of the environment variables that set the ports, for error messages. */
  portEnvNames?: { gateway?: string; secrets?: string; dynamodb?: string };
}

export interface LocalMode {
  url: string;
  secretsEndpoint: string;
  dynamodbEndpoint: string;
  tableName: string;
  adminKey: string;
  adminKeyGenerated: boolean;
  config: Config;
  runtime: Runtime;
  /** The DynamoDB Local process this local mode started (null when it reused one). */
  dynamodb: DynamoDbLocal | null;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local, the local Secrets Manager endpoint and the local API Gateway. */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const host = options.host ?? '127.0.0.1';
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  // The SDK clients need credentials and a region; local endpoints ignore them.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  try {
    if (options.dataDir !== null) mkdirSync(options.dataDir, { recursive: true });
    if (options.adminKey !== undefined && !ADMIN_KEY_RE.test(options.adminKey)) {
      throw new LocalSetupError('LATCHKEY_ADMIN_KEY must be 32-128 letters and digits');
    }
    if (options.port) await assertPortFree(options.port, options.portEnvNames?.gateway ?? 'PORT');

    let dynamodb: DynamoDbLocal | null = null;
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined) {
      const dbDir = options.dataDir === null ? null : join(options.dataDir, 'dynamodb');
      if (dbDir !== null) mkdirSync(dbDir, { recursive: true });
      dynamodb = await startDynamoDbLocal({
        port: options.dynamodbPort ?? 0,
        dataDir: dbDir,
        host,
        portEnvName: options.portEnvNames?.dynamodb,
      });
      const started = dynamodb;
      stops.push(() => started.stop());
      dynamodbEndpoint = dynamodb.endpoint;
    }

    const secrets: SecretsEndpoint = await startSecretsEndpoint({
      port: options.secretsPort ?? 0,
      host,
      file: options.dataDir === null ? null : join(options.dataDir, 'secrets.json'),
      portEnvName: options.portEnvNames?.secrets,
    });
    stops.push(() => secrets.stop());

    let adminKeyGenerated = false;
    if (options.adminKey !== undefined) secrets.putSecret(ADMIN_KEY_SECRET_NAME, options.adminKey);
    else if (secrets.getSecret(ADMIN_KEY_SECRET_NAME) === undefined) {
      secrets.putSecret(ADMIN_KEY_SECRET_NAME, randomBase62(64));
      adminKeyGenerated = true;
    }
    if (secrets.getSecret(SIGNING_SECRET_NAME) === undefined)
      secrets.putSecret(SIGNING_SECRET_NAME, randomBase62(64));
    const adminKey = secrets.getSecret(ADMIN_KEY_SECRET_NAME) as string;

    const tableName = options.tableName ?? LOCAL_TABLE_NAME;
    await createTable(createDynamoClient(dynamodbEndpoint), tableName);

    const config = loadConfig({
      ...options.settings,
      [ENV.tableName]: tableName,
      [ENV.adminKeySecretId]: ADMIN_KEY_SECRET_NAME,
      [ENV.signingSecretId]: SIGNING_SECRET_NAME,
      [ENV.dynamodbEndpoint]: dynamodbEndpoint,
      [ENV.secretsEndpoint]: secrets.endpoint,
    });
    const runtime = createRuntime(config, options.now ? { now: options.now } : {});
    const gateway: LocalGateway = await startLocalGateway({
      host,
      port: options.port ?? 0,
      authorizer: createAuthorizerHandler(runtime),
      integrations: { management: createManagementHandler(runtime), echo },
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        const env = options.portEnvNames?.gateway ?? 'PORT';
        throw new LocalSetupError(
          `Port ${options.port} is already in use: stop whatever is using it or set ${env}`,
        );
      }
      throw error;
    });
    stops.push(() => gateway.close());

    return {
      url: gateway.url,
      secretsEndpoint: secrets.endpoint,
      dynamodbEndpoint,
      tableName,
      adminKey,
      adminKeyGenerated,
      config,
      runtime,
      dynamodb,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
