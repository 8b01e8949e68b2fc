/**
 * Row and detail actions on one key: "Revoke" (a dialog that names the key), "Rotate" (grace choices,
 * capped at the key's own expiry, then the once-only reveal), "Disable" (confirmed) / "Enable"
 * (immediate), and "Edit" (name, description, rate limit, expiry, metadata; the changes are listed
 * before saving). `done` refreshes the page; `reveal` shows a new token on it.
 */

import type { NewKeyResponse } from '#core/wire';
import { api } from './api';
import { h } from './dom';
import { editDialog } from './edit';
import { relative, type ShownKey, utc } from './format';
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
 * The action buttons a key's status allows, for a credential with keys:write: none on a revoked or
 * expired key, only Revoke on a rotated one (in or after its grace; the API refuses the rest with 409).
 */
export function actionButtons(key: ShownKey, hooks: ActionHooks, onError: (e: unknown) => void): HTMLElement {
  const box = h('div', { class: 'actions' });
  if (!can('keys:write') || key.status === 'revoked' || key.status === 'expired') return box;
  const button = (label: string, run: () => void, cls = 'secondary') =>
    h('button', { type: 'button', class: cls, on: { click: run } }, label);
  if (key.status === 'rotating' || key.status === 'rotated') {
    box.append(button('Revoke', () => revoke(key, hooks), 'danger'));
    return box;
  }
  box.append(button('Edit', () => editDialog(key, hooks.done)));
  if (key.status === 'active') {
    box.append(button('Rotate', () => rotate(key, hooks)));
    box.append(button('Disable', () => disable(key, hooks)));
  } else {
    box.append(button('Enable', () => void enable(key, hooks, onError)));
  }
  box.append(button('Revoke', () => revoke(key, hooks), 'danger'));
  return box;
}
