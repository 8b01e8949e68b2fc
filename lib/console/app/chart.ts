/**
 * A hand-drawn SVG bar chart of daily calls (UTC days) with its text alternatives: the SVG has
 * role="img" and an aria-label with the total and the peak day, each bar a `<title>`, zero days a
 * baseline tick, and a "Show as table" button that reveals a captioned `<table>` of the same numbers.
 */
import { h, svg, uid } from './dom';
import { num } from './format';

export interface Day {
  date: string;
  calls: number;
}

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
  const max = Math.max(1, peak?.calls ?? 0);
  const slot = WIDTH / Math.max(1, days.length);
  const plot = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const summary =
    peak && peak.calls > 0
      ? `${num(total)} calls in ${days.length} days; peak ${num(peak.calls)} on ${dayLabel(peak.date)} (UTC)`
      : `No calls in the last ${days.length} days`;
  const bars = days.map((d, i) => {
    const height = d.calls === 0 ? 1 : Math.max(2, (d.calls / max) * plot);
    return svg(
      'rect',
      {
        x: (i * slot + slot * 0.15).toFixed(1),
        y: (PAD_TOP + plot - height).toFixed(1),
        width: (slot * 0.7).toFixed(1),
        height: height.toFixed(1),
        class: d.calls === 0 ? 'bar bar-zero' : 'bar',
      },
      svg('title', {}, `${dayLabel(d.date)} (UTC): ${num(d.calls)} calls`),
    );
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
  const tableId = uid('usage-table');
  const table = h(
    'table',
    { id: tableId, class: 'usage-table', hidden: true },
    h('caption', {}, `${title} (UTC days)`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Calls'))),
    h(
      'tbody',
      {},
      days.map((d) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('time', { datetime: d.date }, d.date)),
          h('td', { class: 'num' }, num(d.calls)),
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
  return h('div', { class: 'usage' }, h('p', { class: 'summary' }, summary), chart, toggle, table);
}
