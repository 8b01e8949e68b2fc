/**
 * Shared pieces of the console's pages: the role="alert" error banner (the API's message, the HTTP
 * status and the request id), inline error notes for one section, status badges, the Copy button,
 * copyable commands, the once-only token reveal, and native `<dialog>` confirmations (Cancel focused for destructive ones,
 * labelled by their title, focus returned to the opener).
 */
import { ConsoleApiError } from './api';
import { type Child, h, replace, svg, uid } from './dom';
import { type ShownKey, type ShownStatus, STATUS_LABEL } from './format';
import { keyPage } from './pages';

const banner = h('div', { class: 'banner', role: 'alert' });
const notice = h('div', { class: 'notice', role: 'status' });
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

export function bannerElement(): HTMLElement {
  return banner;
}

/** The polite live region where an action's success is said ("Revoked “billing”."). */
export function noticeElement(): HTMLElement {
  return notice;
}

/** Says that an action worked; the message stays for 8 s or until the next one. */
export function announce(message: string): void {
  clearTimeout(noticeTimer);
  notice.textContent = message;
  noticeTimer = setTimeout(() => {
    notice.textContent = '';
  }, 8000);
}

function describe(error: unknown): { message: string; detail: string } {
  if (error instanceof ConsoleApiError) {
    const parts = [error.status === 0 ? 'No answer' : `HTTP ${error.status}`, error.code];
    if (error.requestId) parts.push(`Request ID: ${error.requestId}`);
    const message = error.missingPermission
      ? `${error.message} This key lacks ${error.missingPermission}; sign in with a key whose role grants it, or with the admin key.`
      : error.message;
    return { message, detail: parts.join(' · ') };
  }
  return { message: error instanceof Error ? error.message : String(error), detail: '' };
}

/** Shows an error in the page's alert banner. */
export function showError(error: unknown): void {
  if (error instanceof ConsoleApiError && error.signedOut) return;
  const { message, detail } = describe(error);
  replace(
    banner,
    h(
      'div',
      { class: 'banner-body' },
      h('p', { class: 'banner-message' }, message),
      detail ? h('p', { class: 'banner-detail' }, detail) : null,
      h('button', { type: 'button', class: 'secondary', on: { click: () => clearError() } }, 'Dismiss'),
    ),
  );
}

/**
 * A page's loading failure, raised in the banner only while that page is on screen: once the operator
 * has moved on, its element is detached (see `route` in main.ts) and the answer is not theirs any more.
 */
export function showPageError(page: HTMLElement, error: unknown): void {
  if (page.isConnected) showError(error);
}

export function clearError(): void {
  banner.replaceChildren();
}

/** An error shown inside one section (e.g. a chart whose endpoint is missing), not as a page alert. */
export function errorNote(error: unknown): HTMLElement {
  const { message, detail } = describe(error);
  return h('p', { class: 'note error-note' }, message, detail ? ` (${detail})` : '');
}

/**
 * Each status's icon as a 16×16 SVG path, drawn in the badge's colour: inline shapes, not font glyphs
 * (`⏸` and `⌛` are missing from Debian's default fonts and showed as empty boxes).
 */
const STATUS_ICON: Record<ShownStatus, { d: string; filled: boolean }> = {
  active: { d: 'M8 4a4 4 0 1 1 0 8a4 4 0 1 1 0-8z', filled: true },
  disabled: { d: 'M5 3h2v10H5zM9 3h2v10H9z', filled: true },
  rotating: { d: 'M13 8a5 5 0 1 1-1.5-3.5M12 1.5v3h-3', filled: false },
  rotated: { d: 'M2.5 8h10M9 4.5l3.5 3.5L9 11.5', filled: false },
  revoked: { d: 'M4 4l8 8M12 4l-8 8', filled: false },
  expired: { d: 'M4 2h8M4 14h8M5 2v2.5l3 3.5-3 3.5V14M11 2v2.5L8 8l3 3.5V14', filled: false },
};

export function statusBadge(status: ShownStatus): HTMLElement {
  const icon = STATUS_ICON[status];
  return h(
    'span',
    { class: `badge badge-${status}` },
    svg(
      'svg',
      { viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false', class: 'icon' },
      svg('path', {
        d: icon.d,
        fill: icon.filled ? 'currentColor' : 'none',
        stroke: icon.filled ? 'none' : 'currentColor',
        'stroke-width': 1.8,
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
      }),
    ),
    STATUS_LABEL[status],
  );
}

/** A key's badge and, for a rotated key, links to the key that replaced it (or that it replaced). */
export function keyStatus(key: ShownKey): HTMLElement {
  const link = (label: string, id: string) =>
    h('a', { href: keyPage(id), class: 'rotation-link' }, label, ' ', h('code', {}, id));
  return h(
    'span',
    { class: 'key-status' },
    statusBadge(key.status),
    key.rotated_to ? link('replaced by', key.rotated_to) : null,
    key.rotated_from ? link('replaces', key.rotated_from) : null,
  );
}

/** A "Copy" button for the text of `field`; announces the result through a live region. */
export function copyButton(field: HTMLInputElement | HTMLTextAreaElement, label = 'Copy'): HTMLElement {
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      on: {
        click: async () => {
          try {
            await navigator.clipboard.writeText(field.value);
            status.textContent = 'Copied';
          } catch {
            field.focus();
            field.select();
            status.textContent = 'Press Ctrl+C to copy';
          }
          setTimeout(() => {
            status.textContent = '';
          }, 2000);
        },
      },
    },
    label,
  );
  return h('span', { class: 'copy' }, button, status);
}

/**
 * The once-only reveal of a new token: a read-only "New token" field, Copy, and a plain warning. The
 * section carries its key's id, so a page that sees the key revoked can take the token away.
 */
export function tokenReveal(
  raw: string,
  keyId: string,
  heading: string,
  extra: Child = null,
  after: Child = null,
): HTMLElement {
  const id = uid('new-token');
  const field = h('input', {
    id,
    type: 'text',
    readonly: true,
    class: 'token',
    value: raw,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const section: HTMLElement = h(
    'section',
    { class: 'reveal', 'aria-labelledby': `${id}-h`, 'data-key-id': keyId },
    h('h2', { id: `${id}-h` }, heading),
    h(
      'p',
      { class: 'warning' },
      'Copy this token now and store it somewhere safe: latchkey keeps only its hash and cannot show it again.',
    ),
    extra,
    h('label', { for: id }, 'New token'),
    h('div', { class: 'token-row' }, field, copyButton(field)),
    after,
    h('button', { type: 'button', on: { click: () => section.remove() } }, "Done: I've stored it"),
  );
  return section;
}

/**
 * A shell command to copy: a labelled read-only monospace box and a "Copy command" button. Commands
 * hold placeholders such as `$LATCHKEY_KEY`, never a credential.
 */
export function commandBlock(label: string, command: string): HTMLElement {
  const id = uid('command');
  const box = h(
    'textarea',
    {
      id,
      readonly: true,
      class: 'command',
      rows: command.split('\n').length,
      spellcheck: 'false',
      autocomplete: 'off',
    },
    command,
  );
  return h(
    'div',
    { class: 'command-block' },
    h('label', { for: id }, label),
    box,
    copyButton(box, 'Copy command'),
  );
}

export interface DialogOptions {
  title: string;
  body: Child;
  confirmLabel: string;
  danger?: boolean;
  /** Runs on confirm; resolve to close, throw to show the error in the dialog. */
  onConfirm: (form: HTMLFormElement) => Promise<void>;
}

/** A modal `<dialog>` with a form, Cancel and a confirm button. */
export function openDialog(options: DialogOptions): HTMLDialogElement {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('dialog-title');
  const errorBox = h('div', { class: 'dialog-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'submit', class: options.danger ? 'danger' : '' },
    options.confirmLabel,
  );
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: titleId }, options.title),
    // The error sits under the title and the buttons stick to the bottom, so both stay on screen when
    // a long form scrolls inside the dialog.
    errorBox,
    options.body,
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    errorBox.replaceChildren();
    try {
      await options.onConfirm(form);
      dialog.close();
    } catch (error) {
      errorBox.replaceChildren(errorNote(error));
      errorBox.scrollIntoView({ block: 'nearest' });
      confirm.disabled = false;
    }
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  const first = form.querySelector<HTMLElement>('input, select, textarea');
  (options.danger || !first ? cancel : first).focus();
  return dialog;
}

/** A labelled form field. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  const id = control.id || uid('field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
  );
}
