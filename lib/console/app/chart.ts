/**
 * A hand-drawn SVG bar chart of daily calls (UTC days), each bar the allowed calls with the day's refusals
 * stacked on it by outcome (usage by outcome, docs/protocol.md §5.6), with its text alternatives: the SVG
 * has role="img" and an aria-label with the totals and the peak day, each segment a `<title>` in words,
 * zero days a baseline tick, a legend naming each outcome that occurred (never colour alone), and a "Show
 * as table" button that reveals a captioned `<table>` of the same numbers, a column per outcome shown.
 */
import { REFUSAL_OUTCOMES, type RefusalOutcome } from '#core/outcomes';
import { h, svg, uid } from './dom';
import { num } from './format';

export interface Day {
  date: string;
  calls: number;
  /** Refusals by outcome (absent from a server that does not count them). */
  refused?: Partial<Record<RefusalOutcome, number>>;
}

/** How each outcome reads in the chart, its legend and its table. */
export const OUTCOME_LABELS: Readonly<Record<RefusalOutcome, string>> = {
  rate_limited: 'Rate limited',
  credits_exhausted: 'Credits exhausted',
  forbidden: 'Forbidden route',
  disabled: 'Disabled',
  expired: 'Expired',
  revoked: 'Revoked',
  network: 'Outside allowed networks',
};

const refusedOf = (d: Day, outcome: RefusalOutcome): number => d.refused?.[outcome] ?? 0;
const refusedTotal = (d: Day): number => REFUSAL_OUTCOMES.reduce((n, o) => n + refusedOf(d, o), 0);

const WIDTH = 600;
const HEIGHT = 160;
const PAD_TOP = 10;
const PAD_BOTTOM = 20;

function dayLabel(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

export function usageChart(days: readonly Day[], title: string): HTMLElement {
  const total = days.reduce((sum, d) => sum + d.calls, 0);
  const peak = days.reduce<Day | null>((best, d) => (best === null || d.calls > best.calls ? d : best), null);
  const shown = REFUSAL_OUTCOMES.filter((o) => days.some((d) => refusedOf(d, o) > 0));
  const refusedSums = shown.map((o) => [o, days.reduce((n, d) => n + refusedOf(d, o), 0)] as const);
  const refused = refusedSums.reduce((n, [, c]) => n + c, 0);
  const max = Math.max(1, ...days.map((d) => d.calls + refusedTotal(d)));
  const slot = WIDTH / Math.max(1, days.length);
  const plot = HEIGHT - PAD_TOP - PAD_BOTTOM;
  let summary =
    peak && peak.calls > 0
      ? `${num(total)} calls in ${days.length} days; peak ${num(peak.calls)} on ${dayLabel(peak.date)} (UTC)`
      : `No calls in the last ${days.length} days`;
  if (refused > 0)
    summary += `; ${num(refused)} refused (${refusedSums
      .map(([o, c]) => `${OUTCOME_LABELS[o].toLowerCase()} ${num(c)}`)
      .join(', ')})`;
  const bars = days.flatMap((d, i) => {
    const x = (i * slot + slot * 0.15).toFixed(1);
    const width = (slot * 0.7).toFixed(1);
    const label = `${dayLabel(d.date)} (UTC)`;
    const dayRefused = refusedTotal(d);
    if (d.calls + dayRefused === 0)
      return [
        svg(
          'rect',
          { x, y: (PAD_TOP + plot - 1).toFixed(1), width, height: '1.0', class: 'bar bar-zero' },
          svg('title', {}, `${label}: 0 calls`),
        ),
      ];
    // Allowed at the bottom, then each outcome in the table's order; a segment at least 2 units tall.
    const segments: { count: number; cls: string; text: string }[] = [
      { count: d.calls, cls: 'bar', text: `${label}: ${num(d.calls)} calls allowed` },
      ...shown.map((o) => ({
        count: refusedOf(d, o),
        cls: `bar refused refused-${o.replaceAll('_', '-')}`,
        text: `${label}: ${num(refusedOf(d, o))} refused, ${OUTCOME_LABELS[o].toLowerCase()}`,
      })),
    ];
    let y = PAD_TOP + plot;
    return segments
      .filter((s) => s.count > 0)
      .map((s) => {
        const height = Math.max(2, (s.count / max) * plot);
        y -= height;
        return svg(
          'rect',
          { x, y: y.toFixed(1), width, height: height.toFixed(1), class: s.cls },
          svg('title', {}, s.text),
        );
      });
  });
  const first = days[0];
  const last = days[days.length - 1];
  const axis = [
    svg('line', { x1: 0, x2: WIDTH, y1: PAD_TOP + plot + 0.5, y2: PAD_TOP + plot + 0.5, class: 'axis' }),
    first ? svg('text', { x: 0, y: HEIGHT - 4, class: 'tick' }, dayLabel(first.date)) : null,
    last
      ? svg('text', { x: WIDTH, y: HEIGHT - 4, class: 'tick end' }, `${dayLabel(last.date)} (so far)`)
      : null,
    svg('text', { x: 0, y: PAD_TOP + 8, class: 'tick' }, `max ${num(max)}`),
  ];
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}: ${summary}`, class: 'chart' },
    bars,
    axis,
  );
  const swatch = (cls: string) =>
    svg(
      'svg',
      { viewBox: '0 0 10 10', class: 'swatch', 'aria-hidden': 'true' },
      svg('rect', { x: 0, y: 0, width: 10, height: 10, class: cls }),
    );
  const legend =
    shown.length === 0
      ? null
      : h(
          'ul',
          { class: 'legend', 'aria-label': 'Chart legend' },
          h('li', {}, swatch('bar'), 'Allowed'),
          shown.map((o) =>
            h(
              'li',
              {},
              swatch(`bar refused refused-${o.replaceAll('_', '-')}`),
              `Refused: ${OUTCOME_LABELS[o]}`,
            ),
          ),
        );
  const tableId = uid('usage-table');
  const table = h(
    'table',
    { id: tableId, class: 'usage-table', hidden: true },
    h('caption', {}, `${title} (UTC days)`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Day'),
        h('th', { scope: 'col' }, 'Calls'),
        shown.map((o) => h('th', { scope: 'col' }, `Refused: ${OUTCOME_LABELS[o]}`)),
      ),
    ),
    h(
      'tbody',
      {},
      days.map((d) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('time', { datetime: d.date }, d.date)),
          h('td', { class: 'num' }, num(d.calls)),
          shown.map((o) => h('td', { class: 'num' }, num(refusedOf(d, o)))),
        ),
      ),
    ),
  );
  const toggle = h(
    'button',
    { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': tableId },
    'Show as table',
  );
  toggle.addEventListener('click', () => {
    table.hidden = !table.hidden;
    toggle.setAttribute('aria-expanded', String(!table.hidden));
    toggle.textContent = table.hidden ? 'Show as table' : 'Hide table';
  });
  return h('div', { class: 'usage' }, h('p', { class: 'summary' }, summary), chart, legend, toggle, table);
}
