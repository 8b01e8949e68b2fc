/**
 * latchkey's metrics writer: counts in memory during an invocation, then `flush()` writes them as
 * CloudWatch embedded-metric-format (EMF) log lines — one line per distinct set of dimension values,
 * usually one per invocation — which CloudWatch Logs turns into metrics with no API call. Nothing is
 * sent on the request's path: a count is a map update, a flush one `process.stdout.write`.
 *
 * EMF: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * — a JSON object whose `_aws` member holds `Timestamp` (ms) and `CloudWatchMetrics`, an array of
 * directives (`Namespace`, `Dimensions`: arrays of dimension names, `Metrics`: `{ Name, Unit }`); each
 * dimension and metric named there is a member of the same object, its value a string (dimension) or a
 * number (metric). Other members are kept as log fields: each line also carries the logger's `level`,
 * `message` (`metrics`), `timestamp` and `service`, so that local mode's log file and the tests' log
 * capture treat it as the handler line it is. Lambda sends a function's stdout to its log group, where
 * CloudWatch extracts the metrics (not verified on AWS).
 *
 * The metric names, units and dimensions are `#core/metrics`'s table; the dimension values are low
 * cardinality (function name, outcome, refusal reason, dependency), never a key id, org or token.
 */
import { DependencyError, ThrottledError } from '#core/errors';
import {
  METRIC_DIMENSIONS,
  METRICS,
  METRICS_NAMESPACE,
  type MetricDependency,
  type MetricDimension,
  type MetricId,
  type MetricInfo,
  type MetricLabels,
} from '#core/metrics';
import { SecretsManagerError } from '../aws/secrets';

export interface MetricsWriterOptions {
  /** The `Function` dimension's value: the Lambda function's name. */
  functionName: string;
  /** Where each line goes (default: the process's stdout, as the logger writes). */
  write?: (line: string) => void;
  now?: () => number;
}

interface Pending {
  labels: MetricLabels;
  counts: Map<MetricId, number>;
}

const labelKey = (labels: MetricLabels): string =>
  `${labels.outcome ?? ''}|${labels.reason ?? ''}|${labels.dependency ?? ''}`;

export class MetricsWriter {
  private readonly functionName: string;
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();

  constructor(options: MetricsWriterOptions) {
    this.functionName = options.functionName;
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.now = options.now ?? Date.now;
  }

  /** Adds `n` to a metric under these dimension values; written at the next `flush()`. */
  count(id: MetricId, labels: MetricLabels = {}, n = 1): void {
    const key = labelKey(labels);
    let group = this.pending.get(key);
    if (!group) {
      group = { labels, counts: new Map() };
      this.pending.set(key, group);
    }
    group.counts.set(id, (group.counts.get(id) ?? 0) + n);
  }

  /** Writes every pending count (one EMF line per set of dimension values) and forgets them. */
  flush(): void {
    if (this.pending.size === 0) return;
    const groups = [...this.pending.values()];
    this.pending.clear();
    const nowMs = this.now();
    for (const group of groups) this.write(`${JSON.stringify(this.record(group, nowMs))}\n`);
  }

  private record(group: Pending, nowMs: number): Record<string, unknown> {
    const values: Record<MetricDimension, string | undefined> = {
      [METRIC_DIMENSIONS.function]: this.functionName,
      [METRIC_DIMENSIONS.outcome]: group.labels.outcome,
      [METRIC_DIMENSIONS.reason]: group.labels.reason,
      [METRIC_DIMENSIONS.dependency]: group.labels.dependency,
    };
    const directives: Array<{ Namespace: string; Dimensions: MetricDimension[][]; Metrics: unknown[] }> = [];
    const members: Record<string, string | number> = {};
    for (const [id, n] of group.counts) {
      const info: MetricInfo = METRICS[id];
      // Only the dimension sets whose every dimension has a value here (an allowed request has no Reason).
      const sets = info.dimensionSets.filter((set) => set.every((d) => values[d] !== undefined));
      directives.push({
        Namespace: METRICS_NAMESPACE,
        Dimensions: sets.map((set) => [...set]),
        Metrics: [{ Name: info.name, Unit: info.unit }],
      });
      members[info.name] = n;
    }
    const dimensions = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    return {
      level: 'INFO',
      message: 'metrics',
      timestamp: new Date(nowMs).toISOString(),
      service: 'latchkey',
      _aws: { Timestamp: nowMs, CloudWatchMetrics: directives },
      ...dimensions,
      ...members,
    };
  }
}

/** The dependency a failure came from: Secrets Manager for a secret read, else DynamoDB. */
export function dependencyOf(error: DependencyError): MetricDependency {
  return error instanceof SecretsManagerError ? 'SecretsManager' : 'DynamoDB';
}

/**
 * Counts a request refused for a dependency failure: `DependencyErrors` by dependency, and
 * `DynamoDBThrottles` when DynamoDB throttled. Anything else is not a dependency failure: not counted.
 */
export function countDependencyFailure(metrics: MetricsWriter, error: unknown): void {
  if (!(error instanceof DependencyError)) return;
  metrics.count('dependencyErrors', { dependency: dependencyOf(error) });
  if (error instanceof ThrottledError) metrics.count('dynamoThrottles');
}

/**
 * The writer of one handler: its `Function` dimension is the Lambda function's name, or, where Lambda
 * does not run it (local mode, the tests), `latchkey-<handler>`.
 */
export function metricsWriterFor(
  handler: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
) {
  return new MetricsWriter({ functionName: env.AWS_LAMBDA_FUNCTION_NAME || `latchkey-${handler}` });
}
