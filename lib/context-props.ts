import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { LatchkeyStackProps } from './latchkey-stack';

/**
 * Operator settings from CDK context, so a deployment is configured without editing code:
 * `npx cdk deploy -c latchkey:tokenPrefix=acme -c latchkey:defaultRateLimit=120`, or the same keys
 * in `cdk.json` / `cdk.context.json`. Values arrive as strings from `-c` and as JSON values from
 * files; both are accepted. Unknown `latchkey:` keys are an error (they are usually typos).
 */
export const CONTEXT_PREFIX = 'latchkey:';

type Parser = (value: unknown, key: string) => Partial<LatchkeyStackProps>;

function fail(key: string, expected: string, value: unknown): never {
  throw new Error(`context ${CONTEXT_PREFIX}${key}: expected ${expected}, got ${JSON.stringify(value)}`);
}

function int(value: unknown, key: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail(key, 'an integer', value);
  return n;
}

function num(value: unknown, key: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) fail(key, 'a number', value);
  return n;
}

function str(value: unknown, key: string): string {
  if (typeof value !== 'string' || value === '') fail(key, 'a non-empty string', value);
  return value;
}

function bool(value: unknown, key: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  fail(key, 'true or false', value);
}

function json(value: unknown, key: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    fail(key, 'JSON', value);
  }
}

const RETENTION_DAYS = new Set<number>(
  Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'),
);

const PARSERS: Record<string, Parser> = {
  tokenPrefix: (v, k) => ({ tokenPrefix: str(v, k) }),
  defaultMaxKeys: (v, k) => ({ defaultMaxKeys: int(v, k) }),
  defaultRateLimit: (v, k) => ({ defaultRateLimit: int(v, k) }),
  roleMatrix: (v, k) => ({ roleMatrix: json(v, k) as LatchkeyStackProps['roleMatrix'] }),
  defaultRole: (v, k) => ({ defaultRole: str(v, k) }),
  keyRetentionDays: (v, k) => ({ keyRetention: Duration.days(int(v, k)) }),
  authorizerCacheTtlSeconds: (v, k) => ({ authorizerCacheTtl: Duration.seconds(int(v, k)) }),
  secretCacheTtlSeconds: (v, k) => ({ secretCacheTtl: Duration.seconds(int(v, k)) }),
  adminKeyRotationDays: (v, k) => ({ adminKeyRotation: Duration.days(int(v, k)) }),
  logRetentionDays: (v, k) => {
    const days = int(v, k);
    if (!RETENTION_DAYS.has(days)) fail(k, `one of ${[...RETENTION_DAYS].join(', ')}`, v);
    return { logRetention: days as logs.RetentionDays };
  },
  stageName: (v, k) => ({ stageName: str(v, k) }),
  throttlingRateLimit: () => ({}),
  throttlingBurstLimit: () => ({}),
  executionLogLevel: (v, k) => {
    if (v === 'ERROR') return { executionLogLevel: apigateway.MethodLoggingLevel.ERROR };
    if (v === 'INFO') return { executionLogLevel: apigateway.MethodLoggingLevel.INFO };
    fail(k, 'ERROR or INFO', v);
  },
  cloudWatchRole: (v, k) => ({ cloudWatchRole: bool(v, k) }),
  webAclArn: (v, k) => ({ webAclArn: str(v, k) }),
  authorizerMemorySize: (v, k) => ({ authorizerMemorySize: int(v, k) }),
  existingTableName: (v, k) => ({ existingTableName: str(v, k) }),
  existingAdminKeySecretArn: (v, k) => ({ existingAdminKeySecretArn: str(v, k) }),
  existingSigningSecretArn: (v, k) => ({ existingSigningSecretArn: str(v, k) }),
  managementMemorySize: (v, k) => ({ managementMemorySize: int(v, k) }),
};

/** Reads `latchkey:*` context keys into stack props (missing keys keep the construct defaults). */
export function propsFromContext(context: Readonly<Record<string, unknown>>): Partial<LatchkeyStackProps> {
  const props: { -readonly [K in keyof LatchkeyStackProps]?: LatchkeyStackProps[K] } = {};
  for (const [fullKey, value] of Object.entries(context)) {
    if (!fullKey.startsWith(CONTEXT_PREFIX) || value === undefined) continue;
    const key = fullKey.slice(CONTEXT_PREFIX.length);
    const parse = PARSERS[key];
    if (!parse) {
      throw new Error(`unknown context key ${fullKey}; known: ${Object.keys(PARSERS).join(', ')}`);
    }
    Object.assign(props, parse(value, key));
  }
  const rate = context[`${CONTEXT_PREFIX}throttlingRateLimit`];
  const burst = context[`${CONTEXT_PREFIX}throttlingBurstLimit`];
  if (rate !== undefined || burst !== undefined) {
    if (rate === undefined || burst === undefined) {
      throw new Error(
        `context: set both ${CONTEXT_PREFIX}throttlingRateLimit and ${CONTEXT_PREFIX}throttlingBurstLimit`,
      );
    }
    props.throttling = {
      rateLimit: num(rate, 'throttlingRateLimit'),
      burstLimit: int(burst, 'throttlingBurstLimit'),
    };
  }
  return props;
}
