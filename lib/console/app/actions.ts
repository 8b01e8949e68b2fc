/**
 * Row and detail actions on one key: "Revoke" (a dialog that names the key), "Rotate" (grace choices,
 * capped at the key's own expiry, then the once-only reveal), "Disable" (confirmed) / "Enable"
 * (immediate), "Edit" (name, description, rate limit, expiry, metadata, credits; the changes are
 * listed before saving) and, on a key with credits, "Add credits". A key's page shows them as buttons; a row of the keys table behind one "Actions" menu
 * button. `done` refreshes the page; `reveal` shows a new token on it.
 */

import type { NewKeyResponse } from '#core/wire';
import { api } from './api';
import { addCreditsDialog } from './credits';
import { type Child, h } from './dom';
import { editDialog } from './edit';
import { relative, type ShownKey, utc } from './format';
import { type MenuItem, menuButton } from './menu';
import { can } from './session';
import { announce, openDialog, tokenReveal } from './ui';

export interface ActionHooks {
  done: () => void;
  reveal: (section: HTMLElement) => void;
}

const GRACE_CHOICES: [number, string][] = [
  [0, 'Now'],
  [15 * 60, '15 minutes'],
  [60 * 60, '1 hour'],
  [6 * 60 * 60, '6 hours'],
  [24 * 60 * 60, '24 hours'],
];

function revoke(key: ShownKey, hooks: ActionHooks): void {
  openDialog({
    title: `Revoke “${key.name}”?`,
    body: h(
      'p',
      {},
      `Revoking ${key.key_prefix} is permanent and immediate: its next request is refused. `,
      'The key stays listed for the audit.',
    ),
    confirmLabel: 'Revoke',
    danger: true,
    onConfirm: async () => {
      await api('revokeKey', { params: { id: key.id } });
      announce(`Revoked “${key.name}”.`);
      hooks.done();
    },
  });
}

function rotate(key: ShownKey, hooks: ActionHooks): void {
  const expiresMs = key.expires_at ? new Date(key.expires_at).getTime() : null;
  const choices = GRACE_CHOICES.map(([seconds, label]) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'grace', value: seconds, checked: seconds === 24 * 60 * 60 }),
      label,
    ),
  );
  openDialog({
    title: `Rotate “${key.name}”?`,
    body: [
      h('p', {}, `A new token replaces ${key.key_prefix}, with the same name, roles and limits.`),
      h('fieldset', {}, h('legend', {}, 'The old token keeps working for'), choices),
      expiresMs !== null
        ? h(
            'p',
            { class: 'hint' },
            `The key expires ${utc(key.expires_at ?? '')}; the grace never runs past it.`,
          )
        : null,
    ],
    confirmLabel: 'Rotate',
    onConfirm: async (form) => {
      const picked = form.querySelector<HTMLInputElement>('input[name="grace"]:checked');
      const grace = Number(picked?.value ?? 0);
      const res = await api<NewKeyResponse>('rotateKey', {
        params: { id: key.id },
        body: { grace_period_seconds: grace },
      });
      let stopMs = Date.now() + grace * 1000;
      if (expiresMs !== null && expiresMs < stopMs) stopMs = expiresMs;
      const stopIso = new Date(stopMs).toISOString();
      const when =
        grace === 0
          ? 'The old token has stopped working.'
          : `The old token stops working ${utc(stopIso)} (${relative(stopIso)}).`;
      hooks.reveal(tokenReveal(res.raw_key, res.key.id, `New token for “${key.name}”`, h('p', {}, when)));
      announce(`Rotated “${key.name}”.`);
      hooks.done();
    },
  });
}

function disable(key: ShownKey, hooks: ActionHooks): void {
  openDialog({
    title: `Disable “${key.name}” (${key.key_prefix})?`,
    body: h('p', {}, 'Requests with this key are refused until it is enabled again. Nothing is deleted.'),
    confirmLabel: 'Disable',
    danger: true,
    onConfirm: async () => {
      await api('updateKey', { params: { id: key.id }, body: { enabled: false } });
      announce(`Disabled “${key.name}”.`);
      hooks.done();
    },
  });
}

async function enable(key: ShownKey, hooks: ActionHooks, onError: (e: unknown) => void): Promise<void> {
  try {
    await api('updateKey', { params: { id: key.id }, body: { enabled: true } });
    announce(`Enabled “${key.name}”.`);
    hooks.done();
  } catch (error) {
    onError(error);
  }
}

/**
 * What a key's status allows, for a credential with keys:write: nothing on a revoked or expired key,
 * only Revoke on a rotated one (in or after its grace; the API refuses the rest with 409).
 */
function keyActions(key: ShownKey, hooks: ActionHooks, onError: (e: unknown) => void): MenuItem[] {
  if (!can('keys:write') || key.status === 'revoked' || key.status === 'expired') return [];
  const revokeItem: MenuItem = { label: 'Revoke', run: () => revoke(key, hooks), danger: true };
  if (key.status === 'rotating' || key.status === 'rotated') return [revokeItem];
  const items: MenuItem[] = [{ label: 'Edit', run: () => editDialog(key, hooks.done) }];
  if (key.status === 'active') {
    items.push({ label: 'Rotate', run: () => rotate(key, hooks) });
    items.push({ label: 'Disable', run: () => disable(key, hooks) });
  } else {
    items.push({ label: 'Enable', run: () => void enable(key, hooks, onError) });
  }
  if (key.credits) items.push({ label: 'Add credits', run: () => addCreditsDialog(key, hooks.done) });
  items.push(revokeItem);
  return items;
}

/** The key's allowed actions as buttons (the key's detail page). */
export function actionButtons(key: ShownKey, hooks: ActionHooks, onError: (e: unknown) => void): HTMLElement {
  return h(
    'div',
    { class: 'actions' },
    keyActions(key, hooks, onError).map((item) =>
      h(
        'button',
        { type: 'button', class: item.danger ? 'danger' : 'secondary', on: { click: item.run } },
        item.label,
      ),
    ),
  );
}

/** The key's allowed actions behind one "Actions" menu button (a row of the keys table); none → empty. */
export function actionMenu(key: ShownKey, hooks: ActionHooks, onError: (e: unknown) => void): Child {
  const items = keyActions(key, hooks, onError);
  return items.length ? menuButton('Actions', ` for ${key.name}`, items) : null;
}
