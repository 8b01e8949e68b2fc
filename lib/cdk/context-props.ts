/**
 * Operator settings from CDK context, so a deployment is configured without editing code:
 * `npx cdk deploy -c latchkey:tokenPrefix=acme -c latchkey:defaultRateLimit=120`, or the same keys
 * in `cdk.json` / `cdk.context.json`. The keys and their types come from the settings table
 * (`lib/core/settings.ts`): every setting marked `context` is a key. Values arrive as strings from
 * `-c` and as JSON values from files; both are accepted. Unknown `latchkey:` keys are an error (they
 * are usually typos). Ranges are checked by the constructs, with the same messages as props set in code.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as logs from 'aws-cdk-lib/aws-logs';
import {
  CONTEXT_PREFIX,
  CONTEXT_SETTINGS,
  type ContextSettingName,
  listValues,
  setting,
} from '../core/settings';
import type { LatchkeyStackProps } from './latchkey-stack';

export { CONTEXT_PREFIX };

type Props = { -readonly [K in keyof LatchkeyStackProps]?: LatchkeyStackProps[K] };

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

/** A context value as the type its row of the settings table names, checked against a list of values. */
function parse(key: ContextSettingName, value: unknown): unknown {
  const spec = setting(key);
  switch (spec.kind) {
    case 'integer': {
      const n = int(value, key);
      if (spec.values && !spec.values.includes(n)) fail(key, listValues(spec.values), value);
      return n;
    }
    case 'number':
      return num(value, key);
    case 'string': {
      if (spec.values) {
        if (typeof value !== 'string' || !spec.values.includes(value))
          fail(key, listValues(spec.values), value);
        return value;
      }
      return str(value, key);
    }
    case 'boolean':
      return bool(value, key);
    case 'json':
      return json(value, key);
  }
}

/** The throttling pair becomes one prop, `throttling`. */
const THROTTLING = ['throttlingRateLimit', 'throttlingBurstLimit'] as const;

/**
 * Settings whose stack prop has another name or type than the context value (durations, CDK enums).
 * Every other context setting is the stack prop of the same name.
 */
const CONVERT = {
  keyRetentionDays: (days: number) => ({ keyRetention: Duration.days(days) }),
  auditRetentionDays: (days: number) => ({ auditRetention: Duration.days(days) }),
  authorizerCacheTtlSeconds: (seconds: number) => ({ authorizerCacheTtl: Duration.seconds(seconds) }),
  secretCacheTtlSeconds: (seconds: number) => ({ secretCacheTtl: Duration.seconds(seconds) }),
  adminKeyRotationDays: (days: number) => ({ adminKeyRotation: Duration.days(days) }),
  logRetentionDays: (days: number) => ({ logRetention: days as logs.RetentionDays }),
  executionLogLevel: (level: string) => ({
    executionLogLevel: level as apigateway.MethodLoggingLevel.ERROR | apigateway.MethodLoggingLevel.INFO,
  }),
} satisfies Partial<Record<ContextSettingName, (value: never) => Props>>;

/** The context settings that are stack props of the same name (the compiler checks that they are). */
type SameName = Exclude<ContextSettingName, keyof typeof CONVERT | (typeof THROTTLING)[number]>;

function toProps(key: ContextSettingName, value: unknown): Props {
  if (Object.hasOwn(CONVERT, key)) {
    return (CONVERT[key as keyof typeof CONVERT] as (value: unknown) => Props)(value);
  }
  const prop: keyof LatchkeyStackProps = key as SameName;
  return { [prop]: value };
}

const KNOWN = new Set<string>(CONTEXT_SETTINGS);

/** Reads `latchkey:*` context keys into stack props (missing keys keep the construct defaults). */
export function propsFromContext(context: Readonly<Record<string, unknown>>): Partial<LatchkeyStackProps> {
  const props: Props = {};
  for (const [fullKey, value] of Object.entries(context)) {
    if (!fullKey.startsWith(CONTEXT_PREFIX) || value === undefined) continue;
    const key = fullKey.slice(CONTEXT_PREFIX.length);
    if (!KNOWN.has(key)) {
      throw new Error(`unknown context key ${fullKey}; known: ${CONTEXT_SETTINGS.join(', ')}`);
    }
    const name = key as ContextSettingName;
    if ((THROTTLING as readonly string[]).includes(name)) continue;
    Object.assign(props, toProps(name, parse(name, value)));
  }
  const [rateKey, burstKey] = THROTTLING;
  const rate = context[`${CONTEXT_PREFIX}${rateKey}`];
  const burst = context[`${CONTEXT_PREFIX}${burstKey}`];
  if (rate !== undefined || burst !== undefined) {
    if (rate === undefined || burst === undefined) {
      throw new Error(`context: set both ${CONTEXT_PREFIX}${rateKey} and ${CONTEXT_PREFIX}${burstKey}`);
    }
    props.throttling = {
      rateLimit: parse(rateKey, rate) as number,
      burstLimit: parse(burstKey, burst) as number,
    };
  }
  return props;
}
