/**
 * The audit list shared by the Activity page and a key's detail page (`GET /v1/audit`): time, actor
 * ("you" for this session's own key), action, key link, changes as old → new, request id; "Older"
 * loads the next page.
 */

import type { AuditEvent, AuditPage } from '#core/wire';
import { api } from './api';
import { h, replace } from './dom';
import { NEVER, timeEl } from './format';
import { keyPage } from './pages';
import { session } from './session';
import { errorNote } from './ui';

function changeText(changes: AuditEvent['changes']): string {
  if (!changes) return NEVER;
  return Object.entries(changes)
    .map(([field, value]) => {
      if (value && typeof value === 'object' && 'old' in value && 'new' in value) {
        const v = value as { old: unknown; new: unknown };
        return `${field}: ${JSON.stringify(v.old)} → ${JSON.stringify(v.new)}`;
      }
      return `${field}: ${JSON.stringify(value)}`;
    })
    .join('; ');
}

function actorText(actor: string): string {
  const me = session()?.who;
  if (me?.principal === 'admin' && actor === 'admin') return 'admin (you)';
  if (me?.key && actor === `key:${me.key.id}`) return `${actor} (you)`;
  return actor;
}

/** Renders audit events for a query into a container, with paging by "Older". */
export async function renderAudit(
  container: HTMLElement,
  query: Record<string, string | number | undefined>,
  caption: string,
): Promise<void> {
  const events: AuditEvent[] = [];
  const load = async (cursor: string | null) => {
    try {
      const page = await api<AuditPage>('listAudit', { query: { ...query, limit: 50, cursor } });
      events.push(...page.events);
      const rows = events.map((e) =>
        h(
          'tr',
          {},
          h('td', { 'data-label': 'Time' }, timeEl(e.at)),
          h('td', { 'data-label': 'Actor' }, actorText(e.actor)),
          h('td', { 'data-label': 'Action' }, e.type),
          h('td', { 'data-label': 'Key' }, e.key_id ? h('a', { href: keyPage(e.key_id) }, e.key_id) : NEVER),
          h('td', { 'data-label': 'Changes' }, changeText(e.changes)),
          h('td', { 'data-label': 'Request ID' }, h('code', {}, e.request_id ?? NEVER)),
        ),
      );
      replace(
        container,
        events.length === 0
          ? h('p', { class: 'empty' }, 'No events yet.')
          : h(
              'table',
              { class: 'audit' },
              h('caption', {}, caption),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Time', 'Actor', 'Action', 'Key', 'Changes', 'Request ID'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h('tbody', {}, rows),
            ),
        page.next_cursor
          ? h(
              'button',
              { type: 'button', class: 'secondary', on: { click: () => void load(page.next_cursor) } },
              'Older',
            )
          : null,
      );
    } catch (error) {
      replace(container, errorNote(error));
    }
  };
  await load(null);
}
