/**
 * `latchkey keys usage ID [--days N]`: a key's allowed calls per UTC day, as a text bar chart for people
 * (one line a day, the bar scaled to the busiest day, the exact count beside it), with a column per
 * refusal outcome that occurred in the window (`rate_limited`, `forbidden`, …), or the API's JSON with
 * `--json`.
 */
import { REFUSAL_OUTCOMES } from '../core/outcomes';
import { USAGE_DAYS } from '../core/usage';
import type { UsageDay } from '../sdk';
import { defineCommand } from './command';
import { toJson } from './format';
import { optionalInteger } from './input';
import { text } from './options';

const BAR_WIDTH = 40;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * One line a day: `2026-11-30  1,204  ████████`, bars scaled to the busiest day (zero days empty). When
 * the window holds refusals, a header line and a column per outcome that occurred come between the count
 * and the bar, and the total line adds the refusals by outcome.
 */
export function usageChart(days: readonly UsageDay[]): string {
  const peak = Math.max(0, ...days.map((d) => d.calls));
  const total = days.reduce((n, d) => n + d.calls, 0);
  const outcomes = REFUSAL_OUTCOMES.filter((o) => days.some((d) => (d.refused?.[o] ?? 0) > 0));
  const callsLabel = outcomes.length > 0 ? 'allowed' : '';
  const width = Math.max(...days.map((d) => count(d.calls).length), callsLabel.length, 1);
  const widths = outcomes.map((o) => Math.max(o.length, ...days.map((d) => count(d.refused[o]).length)));
  const columns = (cells: string[]) => cells.map((c, i) => `  ${c.padStart(widths[i] ?? 0)}`).join('');
  const lines = days.map((d) => {
    const bar = peak === 0 ? '' : '█'.repeat(Math.round((d.calls / peak) * BAR_WIDTH));
    const refused = columns(outcomes.map((o) => count(d.refused[o])));
    return `${d.date}  ${count(d.calls).padStart(width)}${refused}  ${bar}`.trimEnd();
  });
  let summary = `total ${count(total)} calls in ${days.length} days (UTC)`;
  if (outcomes.length > 0) {
    lines.unshift(`${'date'.padEnd(10)}  ${callsLabel.padStart(width)}${columns([...outcomes])}`);
    const sums = outcomes.map((o) => [o, days.reduce((n, d) => n + d.refused[o], 0)] as const);
    const refused = sums.reduce((n, [, c]) => n + c, 0);
    summary += `; refused ${count(refused)}: ${sums.map(([o, c]) => `${o} ${count(c)}`).join(', ')}`;
  }
  lines.push(summary);
  return lines.join('\n');
}

export const keysUsage = defineCommand({
  name: 'keys usage',
  summary: "a key's calls and refusals per day (bar chart; --json for the numbers)",
  usage: 'latchkey keys usage ID [--days N]',
  description:
    'Allowed requests per UTC day, oldest first, the last line today (so far), with a column per refusal outcome that occurred (rate_limited, credits_exhausted, forbidden, disabled, expired, revoked, network). 1-90 days.',
  args: ['ID'],
  api: true,
  options: { days: text('N', `how many days, ending today (default ${USAGE_DAYS.default})`) },
  examples: ['latchkey keys usage 3hQx9TmP2wLk8ZrA', 'latchkey keys usage 3hQx9TmP2wLk8ZrA --days 7 --json'],
  async run(ctx) {
    const [id] = ctx.args;
    const days = optionalInteger(ctx.values.days, '--days');
    const res = await ctx.client().getUsage(id, days);
    if (ctx.json) return ctx.out(toJson(res));
    ctx.out(usageChart(res.days));
  },
});
