/**
 * A key's detail page: its header with status and actions, a definition list of every field (metadata
 * included), its credits, the 30-day chart of daily calls (`GET /v1/keys/{id}/usage?days=30`) and the key's audit
 * trail. A section whose endpoint fails shows the API's error in place; the rest of the page stays.
 */

import type { KeyResponse, KeyUsageResponse } from '#core/wire';
import { actionButtons } from './actions';
import { api } from './api';
import { renderAudit } from './audit';
import { usageChart } from './chart';
import { creditsDetails } from './credits';
import { type Child, h, replace } from './dom';
import { NEVER, num, type ShownKey, timeEl } from './format';
import { KEYS_PAGE } from './pages';
import { errorNote, keyStatus, showError, showPageError, statusBadge } from './ui';

function fields(key: ShownKey): HTMLElement {
  const rows: [string, Child][] = [
    ['Key ID', h('code', {}, key.id)],
    ['Token prefix', h('code', {}, key.key_prefix)],
    ['Status', keyStatus(key)],
    ['Description', key.description ?? NEVER],
    ['Organization', key.org_id],
    ['Roles', key.roles.join(', ') || NEVER],
    ['Permissions', key.permissions.join(', ') || NEVER],
    ['Rate limit', `${num(key.rate_limit_per_minute)} per minute`],
    ['Created', [timeEl(key.created_at), ` by ${key.created_by}`]],
    ['Expires', key.expires_at ? timeEl(key.expires_at) : 'Never'],
    ['Revoked', timeEl(key.revoked_at)],
    ['Calls', num(key.calls)],
    ['Last used', timeEl(key.last_used_at, 'relative')],
  ];
  // A console served by an older API shows no algorithm: the field is then left out.
  if (key.signature_algorithm !== undefined)
    rows.push(['Signature algorithm', h('code', {}, key.signature_algorithm)]);
  if (key.public_key) rows.push(['Public key (Ed25519)', h('code', { class: 'public-key' }, key.public_key)]);
  const networks = key.allowed_cidrs ?? [];
  rows.push([
    'Allowed networks',
    networks.length
      ? h(
          'ul',
          { class: 'meta' },
          networks.map((cidr) => h('li', {}, h('code', {}, cidr))),
        )
      : 'Any address',
  ]);
  const meta = Object.entries(key.metadata ?? {});
  rows.push([
    'Metadata',
    meta.length
      ? h(
          'ul',
          { class: 'meta' },
          meta.map(([k, v]) => h('li', {}, h('code', {}, k), ` = ${v}`)),
        )
      : NEVER,
  ]);
  return h(
    'dl',
    { class: 'fields' },
    rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

export async function renderDetail(main: HTMLElement, id: string): Promise<void> {
  let key: ShownKey;
  try {
    key = (await api<KeyResponse>('getKey', { params: { id } })).key;
  } catch (error) {
    replace(
      main,
      h('h1', {}, 'Key'),
      h('p', {}, h('a', { href: KEYS_PAGE }, 'Back to keys')),
      errorNote(error),
    );
    showPageError(main, error);
    return;
  }
  const revealSlot = h('div', { class: 'reveal-slot' });
  const usage = h('div', { 'aria-busy': 'true' }, 'Loading…');
  const audit = h('div', { 'aria-busy': 'true' }, 'Loading…');
  const hooks = {
    done: () => void renderDetail(main, id),
    reveal: (section: HTMLElement) => {
      replace(revealSlot, section);
      section.querySelector('input')?.focus();
    },
  };
  main.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: KEYS_PAGE }, 'Keys'), ' / ', key.key_prefix),
    h('div', { class: 'title-row' }, h('h1', {}, key.name), statusBadge(key.status)),
    actionButtons(key, hooks, showError),
    revealSlot,
    h('section', { 'aria-labelledby': 'fields-h' }, h('h2', { id: 'fields-h' }, 'Details'), fields(key)),
    h(
      'section',
      { 'aria-labelledby': 'credits-h' },
      h('h2', { id: 'credits-h' }, 'Credits'),
      creditsDetails(key.credits ?? null),
    ),
    h('section', { 'aria-labelledby': 'usage-h' }, h('h2', { id: 'usage-h' }, 'Calls, last 30 days'), usage),
    h('section', { 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, 'Audit trail'), audit),
  );
  const usageLoad = api<KeyUsageResponse>('getKeyUsage', { params: { id }, query: { days: 30 } }).then(
    (res) => replace(usage, usageChart(res.days, 'Daily calls, last 30 days')),
    (error) => replace(usage, errorNote(error)),
  );
  usage.removeAttribute('aria-busy');
  await Promise.all([usageLoad, renderAudit(audit, { key_id: id }, `Audit trail of ${key.name}`)]);
  audit.removeAttribute('aria-busy');
}
