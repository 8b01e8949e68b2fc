import { describe, expect, it } from 'vitest';
import { DependencyError, ThrottledError } from '#core/errors';
import { METRICS, METRICS_NAMESPACE, metricsMarkdown } from '#core/metrics';
import { REFUSAL_REASONS } from '#core/refusals';
import { SecretsManagerError } from '#lambda/aws/secrets';
import { countDependencyFailure, MetricsWriter, metricsWriterFor } from '#lambda/runtime/metrics';
import { emfProblems, emfRecords, emfTotal } from '../helpers/emf';
import { readMarkdown } from '../helpers/markdown';

function writer() {
  const lines: string[] = [];
  const metrics = new MetricsWriter({
    functionName: 'fn-1',
    write: (line) => lines.push(line),
    now: () => 1_700_000_000_123,
  });
  return { metrics, lines, records: () => emfRecords(lines.join('').split('\n')) };
}

describe('MetricsWriter', () => {
  it('writes nothing until flushed, then one valid EMF line per set of dimension values', () => {
    const { metrics, lines, records } = writer();
    metrics.count('verifications', { outcome: 'allowed' });
    metrics.count('verifications', { outcome: 'allowed' });
    metrics.count('verifications', { outcome: 'refused', reason: 'wrong_secret' });
    metrics.count('coldStarts');
    expect(lines).toEqual([]);
    metrics.flush();
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n') && l.startsWith('{"level":"INFO","message":"metrics"'))).toBe(
      true,
    );
    for (const r of records()) expect(emfProblems(r)).toEqual([]);
    expect(emfTotal(records(), 'Verifications', { Outcome: 'allowed' })).toBe(2);
    expect(emfTotal(records(), 'Verifications', { Outcome: 'refused' })).toBe(1);
    expect(emfTotal(records(), 'Verifications', { Outcome: 'refused', Reason: 'wrong_secret' })).toBe(1);
    expect(emfTotal(records(), 'ColdStarts', {})).toBe(1);
    const first = records()[0];
    expect(first?._aws.Timestamp).toBe(1_700_000_000_123);
    expect(first?.Function).toBe('fn-1');
    expect(first?._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    metrics.flush();
    expect(lines).toHaveLength(3);
  });

  it('publishes an allowed verification without a Reason dimension set', () => {
    const { metrics, records } = writer();
    metrics.count('verifications', { outcome: 'allowed' });
    metrics.flush();
    const [record] = records();
    expect(record?.Reason).toBeUndefined();
    expect(record?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Function', 'Outcome']]);
  });

  it('counts dependency failures by dependency, throttles apart, and nothing else', () => {
    const { metrics, records } = writer();
    countDependencyFailure(metrics, new ThrottledError('DynamoDB request throttled'));
    countDependencyFailure(metrics, new DependencyError('DynamoDB request failed'));
    countDependencyFailure(metrics, new SecretsManagerError('Secrets Manager request failed'));
    countDependencyFailure(metrics, new Error('a bug'));
    metrics.flush();
    expect(emfTotal(records(), 'DependencyErrors', { Dependency: 'DynamoDB' })).toBe(2);
    expect(emfTotal(records(), 'DependencyErrors', { Dependency: 'SecretsManager' })).toBe(1);
    expect(emfTotal(records(), 'DependencyErrors', {})).toBe(3);
    expect(emfTotal(records(), 'DynamoDBThrottles', {})).toBe(1);
  });

  it('names its function from Lambda, else latchkey-<handler>', () => {
    const emitted = (w: MetricsWriter) => {
      const lines: string[] = [];
      Object.assign(w, { write: (l: string) => lines.push(l) });
      w.count('coldStarts');
      w.flush();
      return emfRecords(lines.join('').split('\n'))[0]?.Function;
    };
    expect(emitted(metricsWriterFor('authorizer', { AWS_LAMBDA_FUNCTION_NAME: 'stack-Authorizer-x1' }))).toBe(
      'stack-Authorizer-x1',
    );
    expect(emitted(metricsWriterFor('authorizer', {}))).toBe('latchkey-authorizer');
  });
});

describe('the metrics table', () => {
  it('uses low-cardinality dimensions only', () => {
    const allowed = new Set(['Function', 'Outcome', 'Reason', 'Dependency']);
    for (const m of Object.values(METRICS))
      for (const set of m.dimensionSets) for (const d of set) expect(allowed.has(d)).toBe(true);
    // Reasons come from the closed refusal table: a bounded set of values.
    expect(Object.keys(REFUSAL_REASONS).length).toBeLessThan(40);
  });

  it('is the table docs/operations.md lists', () => {
    expect(readMarkdown('docs/operations.md')).toContain(metricsMarkdown());
  });
});
