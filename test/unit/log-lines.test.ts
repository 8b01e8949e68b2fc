/**
 * The one-line view `latchkey logs tail` prints for a handler log line: a refusal's reason with its
 * explanation from the refusal reasons table, a reason this version does not know printed alone, and a
 * dependency failure's error at the end.
 */
import { describe, expect, it } from 'vitest';
import { formatEntry, parseLogLine } from '#cli/log-lines';
import { REFUSAL_REASONS, type RefusalReason } from '#core/refusals';

const KEY = '3hQx9TmP2wLk8ZrA';

function line(fields: Record<string, unknown>): string {
  const entry = parseLogLine(
    JSON.stringify({
      level: 'WARN',
      message: 'unauthorized',
      timestamp: '2030-01-01T12:00:01.204Z',
      service: 'latchkey',
      key_id: KEY,
      request_id: 'req-1',
      ...fields,
    }),
  );
  if (entry === null) throw new Error('not a log line');
  return formatEntry(entry);
}

describe('formatEntry', () => {
  it('prints the explanation beside a refusal', () => {
    expect(line({ reason: 'wrong_secret' })).toBe(
      `2030-01-01 12:00:01Z  WARN   unauthorized  wrong_secret       key ${KEY}  request req-1  ` +
        `— ${REFUSAL_REASONS.wrong_secret.explanation}`,
    );
  });

  it.each(Object.keys(REFUSAL_REASONS) as RefusalReason[])('%s: its own explanation', (reason) => {
    expect(line({ reason }).endsWith(`  — ${REFUSAL_REASONS[reason].explanation}`)).toBe(true);
  });

  it('prints a reason it does not know, and an Object.prototype name, without an explanation', () => {
    expect(line({ reason: 'from_a_newer_version' })).toMatch(
      / from_a_newer_version +key \S+ {2}request req-1$/,
    );
    expect(line({ reason: 'constructor' })).toMatch(/ constructor +key \S+ {2}request req-1$/);
  });

  it('ends a dependency failure with its error, and a line without a reason with the request id', () => {
    expect(
      line({
        level: 'ERROR',
        message: 'authorizer dependency failure: refusing the request',
        error: 'timeout',
        key_id: undefined,
      }),
    ).toMatch(/ - +key - +request req-1 {2}error: timeout$/);
    expect(line({ level: 'INFO', message: 'allow' })).toMatch(/INFO {3}allow +- +key \S+ {2}request req-1$/);
  });
});
