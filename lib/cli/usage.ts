/**
 * `latchkey keys usage ID [--days N]`: a key's allowed calls per UTC day, as a text bar chart for people
 * (one line a day, the bar scaled to the busiest day, the exact count beside it) or the API's JSON with
 * `--json`.
 */
import { USAGE_DAYS } from '../core/usage';
import type { UsageDay } from '../sdk';
import { defineCommand } from './command';
import { toJson } from './format';
import { optionalInteger } from './input';
import { text } from './options';

const BAR_WIDTH = 40;

/** One line a day: `2026-11-30  ████████  1,204`, bars scaled to the busiest day (zero days empty). */
export function usageChart(days: readonly UsageDay[]): string {
  const peak = Math.max(0, ...days.map((d) => d.calls));
  const total = days.reduce((n, d) => n + d.calls, 0);
  const width = Math.max(...days.map((d) => d.calls.toLocaleString('en-US').length), 1);
  const lines = days.map((d) => {
    const bar = peak === 0 ? '' : '█'.repeat(Math.round((d.calls / peak) * BAR_WIDTH));
    return `${d.date}  ${d.calls.toLocaleString('en-US').padStart(width)}  ${bar}`.trimEnd();
  });
  lines.push(`total ${total.toLocaleString('en-US')} calls in ${days.length} days (UTC)`);
  return lines.join('\n');
}

export const keysUsage = defineCommand({
  name: 'keys usage',
  summary: "a key's calls per day (bar chart; --json for the numbers)",
  usage: 'latchkey keys usage ID [--days N]',
  description: 'Allowed requests per UTC day, oldest first, the last line today (so far). 1-90 days.',
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
