/**
 * The Organization page (admin key only): plan, key limit and active keys for the picked organization
 * (`GET /v1/orgs/{org_id}`), a meter "17 of 20 keys (85%)", and forms that change the key limit
 * (`PUT {max_keys}`, empty = unlimited; lowering it below current use asks first) and the plan
 * (`PUT {plan}`): a select of the deployment's plans from `GET /v1/plans`, left out when the deployment
 * defines none, and a text field when the API does not list them.
 */

import { DEFAULT_ORG, type Org, type PlansResponse } from '#core/wire';
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

/** The deployment's plans, or null when the API does not list them (an older API answers 404). */
async function listPlans(): Promise<PlansResponse['plans'] | null> {
  try {
    return (await api<PlansResponse>('listPlans')).plans;
  } catch {
    return null;
  }
}

/** The plan control: a select of the deployment's plans with their limits, or a text field. */
function planControl(
  plans: PlansResponse['plans'] | null,
  current: string | null,
): HTMLSelectElement | HTMLInputElement {
  if (plans === null) return h('input', { type: 'text', value: current ?? '' });
  const names = Object.keys(plans);
  return h(
    'select',
    {},
    current === null || !names.includes(current)
      ? h(
          'option',
          { value: '', selected: true },
          current === null ? 'Choose a plan' : `${current} (no longer defined)`,
        )
      : null,
    names.map((name) => {
      const limit = plans[name];
      const text = `${name} (${limit === null || limit === undefined ? 'unlimited' : `${num(limit)} keys`})`;
      return h('option', { value: name, selected: name === current }, text);
    }),
  );
}

export async function renderOrg(main: HTMLElement): Promise<void> {
  const body = h('div', { 'aria-live': 'polite' });
  const pick = orgPicker('Show', () => void load());
  main.replaceChildren(h('h1', {}, 'Organization'), pick, body);
  const plans = listPlans();

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
    const offered = await plans;
    const plan = planControl(offered, org.plan);
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
    const planForm =
      offered !== null && Object.keys(offered).length === 0
        ? h('p', { class: 'hint' }, 'This deployment defines no plans (the plans setting).')
        : h(
            'form',
            { class: 'inline-form' },
            field('Plan', plan, 'The organization follows its plan’s key limit.'),
            h('button', { type: 'submit' }, 'Save plan'),
          );
    planForm.addEventListener('submit', (event) => {
      event.preventDefault();
      if (plan.value === '') showError(new Error('Choose a plan first.'));
      else void save({ plan: plan.value });
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
