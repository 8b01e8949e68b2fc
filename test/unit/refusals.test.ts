/**
 * The refusal reasons table (`lib/core/refusals.ts`) against docs/protocol.md's "Refusal reasons": every
 * reason documented once, with its status, who logs it and its explanation, and nothing that is not a
 * reason; and the explanation lookup `latchkey logs tail` uses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isRefusalReason,
  REFUSAL_REASONS,
  type RefusalReason,
  refusalExplanation,
  refusalReasonsMarkdown,
} from '#core/refusals';

const PROTOCOL = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const HEADING = '#### Refusal reasons';

/** The rows of the first table under the heading, as trimmed cells (header and rule skipped). */
function documentedRows(): string[][] {
  const lines = PROTOCOL.split('\n');
  const start = lines.indexOf(HEADING);
  if (start < 0) throw new Error(`docs/protocol.md has no heading ${JSON.stringify(HEADING)}`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const next = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  expect(next < 0 || first < next, 'the table is under the heading').toBe(true);
  const rows: string[][] = [];
  for (let i = first + 2; i < lines.length && lines[i]?.startsWith('|'); i++) {
    rows.push(
      (lines[i] ?? '')
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('docs/protocol.md "Refusal reasons"', () => {
  const rows = documentedRows();
  const documented = new Map(rows.map(([reason = '', ...rest]) => [reason.replace(/^`|`$/g, ''), rest]));

  it('lists every reason once and nothing else', () => {
    expect(documented.size, 'a reason documented twice').toBe(rows.length);
    expect([...documented.keys()].sort()).toEqual(Object.keys(REFUSAL_REASONS).sort());
  });

  it.each(Object.entries(REFUSAL_REASONS))('%s: status, who logs it and the explanation', (reason, info) => {
    expect(documented.get(reason)).toEqual([String(info.status), info.loggedBy, info.explanation]);
  });

  it('is the table refusalReasonsMarkdown renders, in its order', () => {
    const lines = PROTOCOL.split('\n');
    const first = lines.findIndex((line, i) => i > lines.indexOf(HEADING) && line.startsWith('|'));
    const table = refusalReasonsMarkdown().split('\n');
    expect(lines.slice(first, first + table.length)).toEqual(table);
  });
});

describe('the table', () => {
  it('explanations are one line each, and no cell could break the Markdown table', () => {
    for (const [reason, info] of Object.entries(REFUSAL_REASONS)) {
      expect(reason).toMatch(/^[a-z_]+$/);
      expect(info.explanation, reason).not.toMatch(/[|\n\r]/);
      expect(info.explanation.length, reason).toBeLessThanOrEqual(110);
    }
  });

  it('gives 403 only to the rate limit, the credits, the route check and the network allowlist, and the integration only body checks', () => {
    const by = (pred: (r: (typeof REFUSAL_REASONS)[RefusalReason]) => boolean) =>
      (Object.keys(REFUSAL_REASONS) as RefusalReason[]).filter((r) => pred(REFUSAL_REASONS[r]));
    expect(by((r) => r.status === 403)).toEqual([
      'rate_limited',
      'credits_exhausted',
      'route_not_allowed',
      'ip_not_allowed',
    ]);
    expect(by((r) => r.loggedBy === 'integration')).toEqual(by((r) => r.check === 'body'));
  });
});

describe('refusalExplanation', () => {
  it('explains a known reason, and nothing for an unknown one or an Object.prototype name', () => {
    expect(refusalExplanation('wrong_secret')).toBe(REFUSAL_REASONS.wrong_secret.explanation);
    expect(refusalExplanation('no_such_reason')).toBeNull();
    expect(refusalExplanation('__proto__')).toBeNull();
    expect(refusalExplanation('toString')).toBeNull();
    expect(isRefusalReason('constructor')).toBe(false);
  });
});
