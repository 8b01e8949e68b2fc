/**
 * Every metric latchkey publishes, in one table: its CloudWatch name, unit, dimensions and meaning. The
 * Lambdas write them as embedded-metric-format log lines (`lambdas/runtime/metrics.ts`), the stack's
 * dashboard and alarms read them by these names (`lib/cdk/monitoring.ts`), and docs/operations.md
 * ("Metrics and alarms") lists the same table, which a test holds to this one.
 *
 * Dimensions are low-cardinality only: the function's name (one per deployed function), an outcome,
 * a refusal reason from `REFUSAL_REASONS`, a dependency's name. Never a key id, an org, a token or
 * anything a caller chooses.
 */
import type { RefusalReason } from './refusals';

/** The CloudWatch namespace of every latchkey metric. */
export const METRICS_NAMESPACE = 'Latchkey';

/** The dimension names, in one place. */
export const METRIC_DIMENSIONS = {
  /** The Lambda function's name (`AWS_LAMBDA_FUNCTION_NAME`): one value per deployed function. */
  function: 'Function',
  /** `allowed` or `refused`. */
  outcome: 'Outcome',
  /** A refusal reason (`REFUSAL_REASONS`); refusals only. */
  reason: 'Reason',
  /** `DynamoDB` or `SecretsManager`. */
  dependency: 'Dependency',
} as const;

export type MetricDimension = (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS];

export type VerificationOutcome = 'allowed' | 'refused';
export type MetricDependency = 'DynamoDB' | 'SecretsManager';

export interface MetricInfo {
  name: string;
  unit: 'Count';
  /**
   * The dimension sets it is published under (each a CloudWatch metric of its own): the first one is
   * what the alarms read; a longer one breaks it down.
   */
  dimensionSets: ReadonlyArray<ReadonlyArray<MetricDimension>>;
  /** Which functions publish it. */
  publishedBy: string;
  /** One line for people: what one count means. */
  description: string;
}

const { function: FN, outcome: OUTCOME, reason: REASON, dependency: DEPENDENCY } = METRIC_DIMENSIONS;

export const METRICS = {
  verifications: {
    name: 'Verifications',
    unit: 'Count',
    dimensionSets: [
      [FN, OUTCOME],
      [FN, OUTCOME, REASON],
    ],
    publishedBy: 'authorizer',
    description:
      'one verified request: `Outcome` allowed or refused; a refusal also by `Reason` (the refusal reasons table)',
  },
  dependencyErrors: {
    name: 'DependencyErrors',
    unit: 'Count',
    dimensionSets: [[FN], [FN, DEPENDENCY]],
    publishedBy: 'authorizer, management',
    description:
      'a request refused because DynamoDB or Secrets Manager failed: the management API answers 503; for the authorizer API Gateway answers 503 (REST API) or 500 (HTTP API)',
  },
  dynamoThrottles: {
    name: 'DynamoDBThrottles',
    unit: 'Count',
    dimensionSets: [[FN]],
    publishedBy: 'authorizer, management',
    description:
      'a request refused because DynamoDB throttled after the SDK’s retries (also a `DependencyErrors` count); bounded mode absorbs a hot key’s throttling without refusing, and that is not counted here',
  },
  hotKeyMemoryAnswers: {
    name: 'HotKeyMemoryAnswers',
    unit: 'Count',
    dimensionSets: [[FN]],
    publishedBy: 'authorizer (bounded mode)',
    description:
      'bounded mode: a hot key’s call counted in memory (its copy and lease) instead of by a write to its key item',
  },
  coldStarts: {
    name: 'ColdStarts',
    unit: 'Count',
    dimensionSets: [[FN]],
    publishedBy: 'authorizer, management',
    description: 'the first invocation of a new execution environment',
  },
} as const satisfies Record<string, MetricInfo>;

export type MetricId = keyof typeof METRICS;

/** The dimension values of one count (the function's name is the writer's own). */
export interface MetricLabels {
  outcome?: VerificationOutcome;
  reason?: RefusalReason;
  dependency?: MetricDependency;
}

/** The metrics table as Markdown (docs/operations.md holds the same). */
export function metricsMarkdown(): string {
  const rows = Object.values(METRICS as Record<string, MetricInfo>).map(
    (m) =>
      `| \`${m.name}\` | ${m.dimensionSets.map((set) => set.map((d) => `\`${d}\``).join(', ')).join('; ')} | ${m.publishedBy} | ${m.description} |`,
  );
  return ['| metric | dimensions | published by | one count is |', '|---|---|---|---|', ...rows].join('\n');
}
