/**
 * A menu button (the WAI-ARIA menu button pattern): a button with `aria-haspopup="menu"` that opens a
 * `role="menu"` list of `role="menuitem"` buttons. Enter, Space or ArrowDown open it on the first
 * item, ArrowUp on the last; inside it ArrowUp/ArrowDown move (wrapping), Home/End jump, Escape closes
 * and returns focus to the button, Tab closes and moves on from the button, and a click outside closes. Choosing an item closes the
 * menu and puts focus back on the button before the item runs, so a dialog the item opens returns
 * focus there too.
 */

import { type Child, h, uid } from './dom';

export interface MenuItem {
  label: string;
  run: () => void;
  danger?: boolean;
}

/** Every open menu's close function: opening one closes the others. */
const openMenus = new Set<() => void>();

export function menuButton(label: string, hiddenLabel: Child, items: readonly MenuItem[]): HTMLElement {
  const menuId = uid('menu');
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary menu-button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
    },
    label,
    h('span', { class: 'visually-hidden' }, hiddenLabel),
    h('span', { class: 'menu-caret', 'aria-hidden': 'true' }),
  );
  const entries = items.map((item) =>
    h(
      'button',
      { type: 'button', role: 'menuitem', tabindex: '-1', class: item.danger ? 'danger' : '' },
      item.label,
    ),
  );
  const menu = h(
    'ul',
    { id: menuId, role: 'menu', class: 'menu', hidden: true },
    entries.map((entry) => h('li', { role: 'none' }, entry)),
  );
  const wrap = h('div', { class: 'menu-wrap' }, button, menu);

  const onOutside = (event: Event) => {
    if (!wrap.contains(event.target as Node)) close(false);
  };
  function close(returnFocus: boolean): void {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    openMenus.delete(closeQuietly);
    if (returnFocus) button.focus();
  }
  const closeQuietly = () => close(false);
  function open(focusIndex: number): void {
    for (const other of [...openMenus]) other();
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onOutside, true);
    openMenus.add(closeQuietly);
    focusAt(focusIndex);
  }
  function focusAt(index: number): void {
    const n = entries.length;
    if (n === 0) return;
    entries[((index % n) + n) % n]?.focus();
  }

  button.addEventListener('click', () => (menu.hidden ? open(0) : close(true)));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open(event.key === 'ArrowDown' ? 0 : entries.length - 1);
    }
  });
  menu.addEventListener('keydown', (event) => {
    const at = entries.indexOf(document.activeElement as HTMLButtonElement);
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      Home: 0,
      End: entries.length - 1,
    };
    const to = moves[event.key];
    if (to !== undefined) {
      event.preventDefault();
      focusAt(to);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
    } else if (event.key === 'Tab') {
      // Back on the button first, so the browser's Tab moves on from there.
      close(true);
    }
  });
  entries.forEach((entry, i) => {
    entry.addEventListener('click', () => {
      close(true);
      items[i]?.run();
    });
  });
  return wrap;
}
