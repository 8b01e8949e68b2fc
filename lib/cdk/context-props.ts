/**
 * Operator settings from CDK context, so a deployment is configured without editing code:
 * `npx cdk deploy -c latchkey:tokenPrefix=acme -c latchkey:defaultRateLimit=120`, or the same keys
 * in `cdk.json` / `cdk.context.json`. The keys and their types come from the settings table
 * (`lib/core/settings.ts`): every setting marked `context` is a key. Values arrive as strings from
 * `-c` and as JSON values from files; both are accepted. Unknown `latchkey:` keys are an error (they
 * are usually typos). Each value is checked against its row (type, range, values) here, with the
 * sentence the constructs use for props set in code; the constructs check combinations.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as logs from 'aws-cdk-lib/aws-logs';
import {
  CONTEXT_PREFIX,
  CONTEXT_SETTINGS,
  type ContextSettingName,
  parseSetting,
  throwProblems,
} from '../core/settings';
import type { LatchkeyStackProps } from './latchkey-stack';

export { CONTEXT_PREFIX };

type Props = { -readonly [K in keyof LatchkeyStackProps]?: LatchkeyStackProps[K] };

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

/**
 * Reads `latchkey:*` context keys into stack props (missing keys keep the construct defaults). Every
 * value is read and checked against its row of the settings table (`parseSetting`); unknown keys are
 * refused first, then one error names every invalid value.
 */
export function propsFromContext(context: Readonly<Record<string, unknown>>): Partial<LatchkeyStackProps> {
  const given = Object.entries(context).filter(
    ([fullKey, value]) => fullKey.startsWith(CONTEXT_PREFIX) && value !== undefined,
  );
  const unknown = given
    .map(([fullKey]) => fullKey)
    .filter((key) => !KNOWN.has(key.slice(CONTEXT_PREFIX.length)));
  if (unknown.length > 0) {
    throw new Error(`unknown context key ${unknown.join(', ')}; known: ${CONTEXT_SETTINGS.join(', ')}`);
  }
  const problems: string[] = [];
  const values = new Map<ContextSettingName, unknown>();
  for (const [fullKey, raw] of given) {
    const name = fullKey.slice(CONTEXT_PREFIX.length) as ContextSettingName;
    const parsed = parseSetting(name, raw, { as: fullKey });
    if (parsed.ok) values.set(name, parsed.value);
    else problems.push(parsed.problem);
  }
  const [rateKey, burstKey] = THROTTLING;
  if (given.some(([key]) => THROTTLING.some((name) => key === `${CONTEXT_PREFIX}${name}`))) {
    const bothGiven = THROTTLING.every((name) => context[`${CONTEXT_PREFIX}${name}`] !== undefined);
    if (!bothGiven) problems.push(`set both ${CONTEXT_PREFIX}${rateKey} and ${CONTEXT_PREFIX}${burstKey}`);
  }
  throwProblems('context', problems);

  const props: Props = {};
  for (const [name, value] of values) {
    if ((THROTTLING as readonly string[]).includes(name)) continue;
    Object.assign(props, toProps(name, value));
  }
  const rate = values.get(rateKey);
  const burst = values.get(burstKey);
  if (rate !== undefined && burst !== undefined) {
    props.throttling = { rateLimit: rate as number, burstLimit: burst as number };
  }
  return props;
}
