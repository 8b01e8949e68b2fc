/**
 * The Keys page: an organization picker for the admin, a status filter, a search box (name or key id;
 * a pasted full token is cut down to its `lk_<keyId>` part and never sent anywhere), the keys table
 * (Name, Token prefix, Roles, Status, Created, Calls, Last used, Expires, and the row actions), pages
 * through cursors, and the slot where a new token is revealed once.
 */

import type { ListKeysResponse } from '#core/wire';
import { type ActionHooks, actionMenu } from './actions';
import { api } from './api';
import { createDialog } from './create';
import { h, replace, uid } from './dom';
import { NEVER, num, type ShownKey, STATUS_LABEL, timeEl } from './format';
import { orgPicker } from './orgs';
import { keyPage } from './pages';
import { can, isAdmin, orgQuery, session } from './session';
import { errorNote, keyStatus, showError, showPageError } from './ui';

const COLUMNS = ['Name', 'Token prefix', 'Roles', 'Status', 'Created', 'Calls', 'Last used', 'Expires'];
const PAGE_SIZE = 50;

/** The search text a person means: a pasted token keeps only its public `prefix_keyId` part. */
export function searchTerm(raw: string): string {
  const text = raw.trim().toLowerCase();
  const token = /^([a-z0-9]{1,16}_[a-z0-9]+)_[a-z0-9]{20,}$/i.exec(raw.trim());
  return token?.[1] ? token[1].toLowerCase() : text;
}

/** The date of an expiry, or its time as well when it is less than a day away (or just past). */
function expiresCell(iso: string | null): Parameters<typeof h>[2] {
  if (!iso) return 'Never';
  const near = Math.abs(new Date(iso).getTime() - Date.now()) < 86_400_000;
  return timeEl(iso, near ? 'absolute' : 'date');
}

function keyRow(key: ShownKey, hooks: ActionHooks): HTMLElement {
  const cell = (label: string, ...content: Parameters<typeof h>[2][]) =>
    h('td', { 'data-label': label }, ...content);
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row', 'data-label': 'Name' },
      h('a', { href: keyPage(key.id) }, key.name),
      key.description ? h('span', { class: 'desc' }, key.description) : null,
    ),
    cell('Token prefix', h('code', {}, key.key_prefix)),
    cell('Roles', key.roles.join(', ') || NEVER),
    cell('Status', keyStatus(key)),
    cell('Created', timeEl(key.created_at, 'date')),
    cell('Calls', h('span', { class: 'num' }, num(key.calls))),
    cell('Last used', timeEl(key.last_used_at, 'relative')),
    cell('Expires', expiresCell(key.expires_at)),
    cell('Actions', actionMenu(key, hooks, showError)),
  );
}

export async function renderKeys(main: HTMLElement): Promise<void> {
  const revealSlot = h('div', { class: 'reveal-slot' });
  const tableSlot = h('div', { class: 'table-slot', 'aria-live': 'polite', 'aria-busy': 'true' });
  const cursors: (string | null)[] = [null];
  let keys: ShownKey[] = [];
  let next: string | null = null;

  const statusId = uid('status');
  const status = h(
    'select',
    { id: statusId },
    h('option', { value: '' }, 'All'),
    Object.entries(STATUS_LABEL).map(([value, label]) => h('option', { value }, label)),
  );
  const searchId = uid('search');
  const search = h('input', { id: searchId, type: 'search', autocomplete: 'off' });

  const hooks = {
    done: () => void load(cursors[cursors.length - 1] ?? null),
    reveal: (section: HTMLElement) => {
      replace(revealSlot, section);
      section.querySelector('input')?.focus();
    },
  };

  /** A revealed token whose key has since been revoked is taken off the page, with a note saying so. */
  const retireReveal = () => {
    const section = revealSlot.querySelector<HTMLElement>('section.reveal');
    const key = section && keys.find((k) => k.id === section.dataset.keyId);
    if (key?.status !== 'revoked') return;
    replace(
      revealSlot,
      h('p', { class: 'note' }, `The new token for “${key.name}” was revoked; it no longer works.`),
    );
  };

  const draw = () => {
    retireReveal();
    const term = searchTerm(search.value);
    const shown = term
      ? keys.filter((k) => k.name.toLowerCase().includes(term) || k.key_prefix.toLowerCase().includes(term))
      : keys;
    if (keys.length === 0) {
      replace(tableSlot, h('p', { class: 'empty' }, 'No keys here yet. “Create key” makes the first one.'));
      return;
    }
    const pager = h(
      'div',
      { class: 'pager' },
      cursors.length > 1
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              on: {
                click: () => {
                  cursors.pop();
                  void load(cursors[cursors.length - 1] ?? null);
                },
              },
            },
            'Previous page',
          )
        : null,
      next
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              on: {
                click: () => {
                  cursors.push(next);
                  void load(next);
                },
              },
            },
            'Next page',
          )
        : null,
    );
    replace(
      tableSlot,
      shown.length === 0
        ? h(
            'p',
            { class: 'empty' },
            'No keys on this page match. ',
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                on: {
                  click: () => {
                    search.value = '';
                    draw();
                  },
                },
              },
              'Clear search',
            ),
          )
        : h(
            'table',
            { class: 'keys' },
            h('caption', {}, `Keys of organization ${session()?.org ?? ''}: ${shown.length} shown`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
                h('th', { scope: 'col' }, 'Actions'),
              ),
            ),
            h(
              'tbody',
              {},
              shown.map((k) => keyRow(k, hooks)),
            ),
          ),
      pager,
    );
  };

  const load = async (cursor: string | null) => {
    tableSlot.setAttribute('aria-busy', 'true');
    try {
      const page = await api<ListKeysResponse>('listKeys', {
        query: { limit: PAGE_SIZE, cursor, status: status.value, org_id: orgQuery() },
      });
      keys = page.keys;
      next = page.next_cursor;
      draw();
    } catch (error) {
      replace(tableSlot, errorNote(error));
      showPageError(main, error);
    } finally {
      tableSlot.setAttribute('aria-busy', 'false');
    }
  };

  status.addEventListener('change', () => {
    cursors.splice(1);
    void load(null);
  });
  search.addEventListener('input', draw);
  const orgForm = orgPicker('Show keys', () => {
    cursors.splice(1);
    replace(revealSlot);
    void load(null);
  });

  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Keys'),
      can('keys:write')
        ? h(
            'button',
            { type: 'button', on: { click: () => void createDialog(hooks.reveal, hooks.done) } },
            'Create key',
          )
        : null,
    ),
    revealSlot,
    h(
      'div',
      { class: 'filters' },
      isAdmin() ? orgForm : null,
      h('div', { class: 'field' }, h('label', { for: statusId }, 'Status'), status),
      h('div', { class: 'field' }, h('label', { for: searchId }, 'Search by name or key id'), search),
    ),
    tableSlot,
  );
  await load(null);
}
