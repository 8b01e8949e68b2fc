/**
 * The sign-in page: one password field labelled "Admin key or API key" with a Show toggle, checked with
 * `GET /v1/whoami`. The value is moved into the API client's memory and cleared from the field.
 */

import type { Whoami } from '#core/wire';
import { api, setCredential } from './api';
import { h, uid } from './dom';
import { clearError, showError } from './ui';

export function renderSignIn(main: HTMLElement, onSignedIn: (who: Whoami) => void): void {
  const id = uid('credential');
  const input = h('input', {
    id,
    type: 'password',
    name: 'credential',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': `${id}-note`,
  });
  const show = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Show');
  show.addEventListener('click', () => {
    const visible = input.type === 'password';
    input.type = visible ? 'text' : 'password';
    show.setAttribute('aria-pressed', String(visible));
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin' },
    h('h1', {}, 'Sign in to latchkey'),
    h('label', { for: id }, 'Admin key or API key'),
    h('div', { class: 'token-row' }, input, show),
    h(
      'p',
      { id: `${id}-note`, class: 'hint' },
      "Held in this tab's memory only; reloading signs you out, and so do 15 idle minutes. " +
        'For daily work, prefer an organization key with the admin role over the root admin key.',
    ),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value === '') return;
    submit.disabled = true;
    setCredential(value);
    input.value = '';
    try {
      const who = await api<Whoami>('whoami');
      clearError();
      onSignedIn(who);
    } catch (error) {
      setCredential(null);
      showError(error);
      submit.disabled = false;
      input.focus();
    }
  });
  main.replaceChildren(form);
  input.focus();
}
