/**
 * The Organization page (admin key only): plan, key limit and active keys for the picked organization
 * (`GET /v1/orgs/{org_id}`), a meter "17 of 20 keys (85%)", and forms that change the key limit
 * (`PUT {max_keys}`, empty = unlimited; lowering it below current use asks first) and the plan (`PUT {plan}`).
 */

import { DEFAULT_ORG, type Org } from '#core/wire';
import { api } from './api';
import { h, replace } from './dom';
import { num } from './format';
import { orgPicker } from './orgs';
import { session } from './session';
import { announce, errorNote, field, openDialog, showError, showPageError } from './ui';

function meter(org: Org): HTMLElement {
  if (org.max_keys === null) return h('p', {}, `${num(org.active_keys)} active keys (no limit)`);
  const pct = org.max_keys === 0 ? 100 : Math.round((org.active_keys / org.max_keys) * 100);
  const level = pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok';
  const text = `${num(org.active_keys)} of ${num(org.max_keys)} keys (${pct}%)`;
  return h(
    'div',
    { class: `meter meter-${level}` },
    h('meter', {
      min: 0,
      max: org.max_keys,
      value: org.active_keys,
      high: Math.ceil(org.max_keys * 0.8),
      'aria-label': 'Keys used',
    }),
    h(
      'p',
      {},
      text,
      pct >= 100 ? ' — new keys are refused until one is revoked or the limit is raised.' : '',
    ),
    h('p', { class: 'hint' }, 'Active and disabled keys count; revoked, rotated and expired keys do not.'),
  );
}

export async function renderOrg(main: HTMLElement): Promise<void> {
  const body = h('div', { 'aria-live': 'polite' });
  const pick = orgPicker('Show', () => void load());
  main.replaceChildren(h('h1', {}, 'Organization'), pick, body);

  const load = async () => {
    const id = session()?.org ?? DEFAULT_ORG;
    const params = { org_id: id };
    let org: Org;
    try {
      org = await api<Org>('getOrg', { params });
    } catch (error) {
      replace(body, errorNote(error));
      showPageError(main, error);
      return;
    }
    const limit = h('input', { type: 'number', min: 0, value: org.max_keys ?? '' });
    const plan = h('input', { type: 'text', value: org.plan ?? '' });
    const save = async (payload: Record<string, unknown>) => {
      try {
        await api('putOrg', { params, body: payload });
        announce(`Saved ${'plan' in payload ? 'the plan' : 'the key limit'} of ${org.org_id}.`);
        await load();
      } catch (error) {
        showError(error);
      }
    };
    const limitForm = h(
      'form',
      { class: 'inline-form' },
      field('Key limit', limit, 'Empty for no limit.'),
      h('button', { type: 'submit' }, 'Save limit'),
    );
    limitForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const maxKeys = limit.value === '' ? null : Number(limit.value);
      if (maxKeys !== null && maxKeys < org.active_keys) {
        openDialog({
          title: `Lower the limit of ${org.org_id} to ${maxKeys}?`,
          body: h(
            'p',
            {},
            `${num(org.active_keys)} keys are active. They keep working; new keys are refused until fewer than ${maxKeys} are active.`,
          ),
          confirmLabel: 'Lower limit',
          danger: true,
          onConfirm: () => save({ max_keys: maxKeys }),
        });
      } else void save({ max_keys: maxKeys });
    });
    const planForm = h(
      'form',
      { class: 'inline-form' },
      field('Plan', plan),
      h('button', { type: 'submit' }, 'Save plan'),
    );
    planForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void save({ plan: plan.value });
    });
    replace(
      body,
      h('h2', {}, org.org_id),
      h(
        'dl',
        { class: 'fields' },
        h('dt', {}, 'Plan'),
        h('dd', {}, org.plan ?? '—'),
        h('dt', {}, 'Key limit'),
        h('dd', {}, org.max_keys === null ? 'Unlimited' : num(org.max_keys)),
        h('dt', {}, 'Active keys'),
        h('dd', {}, num(org.active_keys)),
      ),
      meter(org),
      limitForm,
      planForm,
    );
  };
  await load();
}
