/**
 * The Keys page: an organization picker for the admin, a status filter, a search box that asks the API
 * (a name through `GET /v1/keys?name=`, so keys past the first page are found; a key id, token prefix
 * or pasted token through `GET /v1/keys/{id}`, sending only the id), the keys table (Name, Token
 * prefix, Roles, Status, Created, Calls, Last used, Expires, and the row actions), pages through
 * cursors, and the slot where a new token is revealed once.
 */

import type { KeyResponse, ListKeysResponse } from '#core/wire';
import { type ActionHooks, actionMenu } from './actions';
import { api, ConsoleApiError } from './api';
import { createDialog } from './create';
import { h, replace, uid } from './dom';
import { firstKeyHelp } from './first-steps';
import { NEVER, num, type ShownKey, STATUS_LABEL, timeEl } from './format';
import { orgPicker } from './orgs';
import { keyPage } from './pages';
import { can, isAdmin, orgQuery, session } from './session';
import { errorNote, keyStatus, showError, showPageError } from './ui';

const COLUMNS = ['Name', 'Token prefix', 'Roles', 'Status', 'Created', 'Calls', 'Last used', 'Expires'];
const PAGE_SIZE = 50;
/** At most this many listing requests fill one filtered page (the API reads up to 200 keys each). */
const MAX_READS = 10;
/** How long typing pauses before the search is sent. */
const SEARCH_DELAY_MS = 300;

/**
 * What a search box's text asks for. A key id (`3hQx9TmP2wLk8ZrA`), a token prefix (`lk_3hQx…`) or a
 * pasted full token is looked up by its key id alone: the secret part of a token is never sent. Any
 * other text searches names server-side (`GET /v1/keys?name=`, case-sensitive), except text with 32 or
 * more letters and digits in a row, which may be a secret (the admin key is such a run) and is not sent.
 */
export type Search =
  | { kind: 'none' }
  | { kind: 'id'; id: string; orName: string | null }
  | { kind: 'name'; text: string }
  | { kind: 'secret' };

const ID_SEARCH_RE = /^(?:([a-z0-9]{1,16})_)?([0-9A-Za-z]{16})(_[0-9A-Za-z]+)?$/;
const SECRET_RUN_RE = /[0-9A-Za-z]{32,}/;

export function parseSearch(raw: string): Search {
  const text = raw.trim();
  if (text === '') return { kind: 'none' };
  const id = ID_SEARCH_RE.exec(text);
  if (id?.[2]) return { kind: 'id', id: id[2], orName: id[3] === undefined ? text : null };
  if (SECRET_RUN_RE.test(text)) return { kind: 'secret' };
  return { kind: 'name', text };
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
  let searched: Search = { kind: 'none' };
  /** Each load's number: an answer for an older one (the search text has moved on) is dropped. */
  let loads = 0;

  const statusId = uid('status');
  const status = h(
    'select',
    { id: statusId },
    h('option', { value: '' }, 'All'),
    Object.entries(STATUS_LABEL).map(([value, label]) => h('option', { value }, label)),
  );
  const searchId = uid('search');
  const search = h('input', {
    id: searchId,
    type: 'search',
    autocomplete: 'off',
    'aria-describedby': `${searchId}-hint`,
  });

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

  const restart = () => {
    cursors.splice(1);
    void load(null);
  };
  const button = (label: string, click: () => void) =>
    h('button', { type: 'button', class: 'secondary', on: { click } }, label);

  const draw = () => {
    retireReveal();
    const filtered = searched.kind !== 'none' || status.value !== '';
    const pager = h(
      'div',
      { class: 'pager' },
      cursors.length > 1
        ? button('Previous page', () => {
            cursors.pop();
            void load(cursors[cursors.length - 1] ?? null);
          })
        : null,
      next
        ? button('Next page', () => {
            cursors.push(next);
            void load(next);
          })
        : null,
    );
    if (keys.length === 0 && !filtered && cursors.length === 1) {
      replace(
        tableSlot,
        can('keys:write')
          ? firstKeyHelp(orgQuery() ?? null)
          : h('p', { class: 'empty' }, 'No keys here yet.'),
      );
      return;
    }
    if (keys.length === 0) {
      const why =
        searched.kind === 'secret'
          ? 'That looks like a secret, so it was not sent. Search takes a key name or a key id. '
          : next
            ? 'No matching keys among those read so far; “Next page” searches on. '
            : 'No keys match. ';
      replace(
        tableSlot,
        h(
          'p',
          { class: 'empty' },
          why,
          button('Clear filters', () => {
            search.value = '';
            status.value = '';
            restart();
          }),
        ),
        pager,
      );
      return;
    }
    replace(
      tableSlot,
      h(
        'table',
        { class: 'keys' },
        h('caption', {}, `Keys of organization ${session()?.org ?? ''}: ${keys.length} shown`),
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
          keys.map((k) => keyRow(k, hooks)),
        ),
      ),
      pager,
    );
  };

  /** A key looked up by its id: shown when it is in this organization and passes the status filter. */
  const byId = async (id: string): Promise<ShownKey | null> => {
    try {
      const { key } = await api<KeyResponse>('getKey', { params: { id } });
      const org = session()?.org;
      if (org !== undefined && key.org_id !== org) return null;
      return status.value === '' || key.status === status.value ? key : null;
    } catch (error) {
      if (error instanceof ConsoleApiError && error.status === 404) return null;
      throw error;
    }
  };

  /**
   * One page of the listing. A filtered page (status or name) may come back short with a cursor — the
   * API reads a bounded number of keys per request — so this follows the cursor until the page is
   * full, the listing ends, or MAX_READS requests were made.
   */
  const listPage = async (cursor: string | null, name: string | null) => {
    const found: ShownKey[] = [];
    let at = cursor;
    for (let reads = 0; reads < MAX_READS; reads++) {
      const page = await api<ListKeysResponse>('listKeys', {
        query: {
          limit: PAGE_SIZE - found.length,
          cursor: at,
          status: status.value,
          name,
          org_id: orgQuery(),
        },
      });
      found.push(...page.keys);
      at = page.next_cursor;
      if (at === null || found.length >= PAGE_SIZE || (name === null && status.value === '')) break;
    }
    return { found, at };
  };

  const load = async (cursor: string | null) => {
    const mine = ++loads;
    tableSlot.setAttribute('aria-busy', 'true');
    const wanted = parseSearch(search.value);
    try {
      let found: ShownKey[] = [];
      let at: string | null = null;
      if (wanted.kind === 'id') {
        const key = await byId(wanted.id);
        if (key) found = [key];
        else if (wanted.orName !== null) ({ found, at } = await listPage(cursor, wanted.orName));
      } else if (wanted.kind !== 'secret') {
        ({ found, at } = await listPage(cursor, wanted.kind === 'name' ? wanted.text : null));
      }
      if (mine !== loads) return;
      searched = wanted;
      keys = found;
      next = at;
      draw();
    } catch (error) {
      if (mine !== loads) return;
      replace(tableSlot, errorNote(error));
      showPageError(main, error);
    } finally {
      if (mine === loads) tableSlot.setAttribute('aria-busy', 'false');
    }
  };

  status.addEventListener('change', restart);
  let typing: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(restart, SEARCH_DELAY_MS);
  });
  search.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    clearTimeout(typing);
    restart();
  });
  const orgForm = orgPicker('Show keys', () => {
    replace(revealSlot);
    restart();
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
      h(
        'div',
        { class: 'field' },
        h('label', { for: searchId }, 'Search by name or key id'),
        search,
        h('p', { id: `${searchId}-hint`, class: 'hint' }, 'Names match case-sensitively, across every page.'),
      ),
    ),
    tableSlot,
  );
  await load(null);
}
