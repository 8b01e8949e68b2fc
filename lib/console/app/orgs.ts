/**
 * The organization picker the admin uses on the Keys and Organization pages: a list of every
 * organization from `GET /v1/orgs` (route `listOrgs`, admin key only), or a text field for an org id
 * when the API does not offer that list (404, 403, or a route table without it). Submitting the form
 * makes the picked organization the session's and calls `onPick`.
 */

import type { ManagementRouteId } from '#core/routes';
import { DEFAULT_ORG, type Org } from '#core/wire';
import { api } from './api';
import { h, replace, uid } from './dom';
import { session, setOrg } from './session';

/** The organizations list (admin key); any other answer leaves the text field. */
const LIST_ORGS: ManagementRouteId = 'listOrgs';
/** At most this many organizations are listed (pages of 100); past it, the text field stays usable. */
const MAX_LISTED = 1000;

interface OrgPage {
  orgs: Org[];
  next_cursor: string | null;
}

/** Every organization id the API lists, or null when it offers no list to this credential. */
async function listOrgIds(): Promise<string[] | null> {
  const ids: string[] = [];
  let cursor: string | null = null;
  try {
    do {
      const page: OrgPage = await api<OrgPage>(LIST_ORGS, { query: { limit: 100, cursor } });
      ids.push(...page.orgs.map((o) => o.org_id));
      cursor = page.next_cursor;
    } while (cursor !== null && ids.length < MAX_LISTED);
  } catch {
    return null;
  }
  return cursor === null ? ids : null;
}

export function orgPicker(buttonLabel: string, onPick: () => void): HTMLElement {
  const id = uid('org');
  const current = () => session()?.org ?? DEFAULT_ORG;
  let control: HTMLInputElement | HTMLSelectElement = h('input', {
    id,
    type: 'text',
    value: current(),
    autocomplete: 'off',
  });
  const slot = h('span', { class: 'org-control' }, control);
  const form = h(
    'form',
    { class: 'inline-form org-picker' },
    h('label', { for: id }, 'Organization'),
    slot,
    h('button', { type: 'submit', class: 'secondary' }, buttonLabel),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setOrg(control.value.trim() || DEFAULT_ORG);
    onPick();
  });
  void listOrgIds().then((ids) => {
    if (ids === null || !form.isConnected) return;
    const shown = ids.includes(current()) ? ids : [current(), ...ids];
    const select = h(
      'select',
      { id },
      shown.map((org) => h('option', { value: org, selected: org === current() }, org)),
    );
    select.addEventListener('change', () => form.requestSubmit());
    control = select;
    replace(slot, select);
  });
  return form;
}
