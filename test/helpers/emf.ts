/**
 * Reading latchkey's embedded-metric-format lines in tests: parse one, check it against the rules of
 * CloudWatch's EMF specification that decide whether CloudWatch extracts its metrics, and find counts
 * by metric name and dimension values.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { METRICS_NAMESPACE } from '#core/metrics';

export interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit?: string }>;
}

export type EmfRecord = Record<string, unknown> & {
  _aws: { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
};

/** The problems that would stop CloudWatch extracting a line's metrics (none: a valid EMF record). */
export function emfProblems(record: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = record._aws as EmfRecord['_aws'] | undefined;
  if (!aws || typeof aws !== 'object') return ['no _aws member'];
  if (!Number.isInteger(aws.Timestamp)) problems.push('_aws.Timestamp is not an integer of ms');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0)
    problems.push('_aws.CloudWatchMetrics is empty');
  for (const d of aws.CloudWatchMetrics ?? []) {
    if (typeof d.Namespace !== 'string' || d.Namespace === '') problems.push('a directive has no Namespace');
    if (!Array.isArray(d.Dimensions)) problems.push('a directive has no Dimensions array');
    for (const set of d.Dimensions ?? []) {
      if (set.length > 30) problems.push('a dimension set has more than 30 dimensions');
      for (const name of set)
        if (typeof record[name] !== 'string') problems.push(`dimension ${name} has no string value`);
    }
    if (!Array.isArray(d.Metrics) || d.Metrics.length === 0 || d.Metrics.length > 100)
      problems.push('a directive has no metrics (or more than 100)');
    for (const m of d.Metrics ?? [])
      if (typeof record[m.Name] !== 'number') problems.push(`metric ${m.Name} has no numeric value`);
  }
  return problems;
}

/** The EMF records among handler log lines. */
export function emfRecords(lines: readonly string[]): EmfRecord[] {
  return lines
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return null;
      }
    })
    .filter((r): r is EmfRecord => r !== null && typeof r._aws === 'object');
}

/**
 * The total of metric `name` over records whose dimension values include `dimensions` and that publish
 * it under exactly that dimension set (plus Function), in latchkey's namespace.
 */
export function emfTotal(
  records: readonly EmfRecord[],
  name: string,
  dimensions: Record<string, string>,
): number {
  const wanted = ['Function', ...Object.keys(dimensions)].sort().join(',');
  let total = 0;
  for (const r of records) {
    const published = r._aws.CloudWatchMetrics.some(
      (d) =>
        d.Namespace === METRICS_NAMESPACE &&
        d.Metrics.some((m) => m.Name === name) &&
        d.Dimensions.some((set) => [...set].sort().join(',') === wanted),
    );
    if (!published) continue;
    if (Object.entries(dimensions).every(([k, v]) => r[k] === v)) total += Number(r[name]);
  }
  return total;
}
