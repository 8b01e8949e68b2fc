/**
 * The console's entry point: the page frame (header with identity, navigation and "Sign out", the
 * alert banner, the main region), the hash router (its pages are in `pages.ts`),
 * sign-out on a 401 and after 15 idle minutes. A reload starts from the sign-in page because the
 * credential lives only in the API client's memory.
 */

import { renderActivity } from './activity';
import { setCredential, setUnauthorizedHandler } from './api';
import { renderDetail } from './detail';
import { h, replace } from './dom';
import { renderKeys } from './keys';
import { renderOrg } from './org';
import { ACTIVITY_PAGE, KEYS_PAGE, ORG_PAGE, pageOf } from './pages';
import { endSession, isAdmin, session, startSession } from './session';
import { renderSignIn } from './signin';
import { bannerElement, clearError, showError } from './ui';

const IDLE_MS = 15 * 60 * 1000;

const identity = h('p', { class: 'identity' });
const nav = h('nav', { 'aria-label': 'Console' });
const header = h('header', { class: 'top' }, h('p', { class: 'brand' }, 'latchkey'), identity, nav);
const main = h('main', { id: 'main', tabindex: '-1' });
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function signOut(reason: string | null): void {
  setCredential(null);
  endSession();
  clearTimeout(idleTimer);
  document.querySelectorAll('dialog').forEach((d) => {
    d.close();
  });
  renderFrame();
  if (reason) {
    showError(new Error(reason));
  } else {
    clearError();
  }
}

function resetIdle(): void {
  if (!session()) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => signOut('Signed out after 15 idle minutes.'), IDLE_MS);
}

function renderFrame(): void {
  const s = session();
  if (!s) {
    replace(identity);
    replace(nav);
    renderSignIn(main, (who) => {
      startSession(who);
      resetIdle();
      if (location.hash === '' || location.hash === '#/') location.hash = KEYS_PAGE;
      renderFrame();
    });
    return;
  }
  const who = s.who;
  replace(
    identity,
    who.principal === 'admin'
      ? 'Root admin key · every organization'
      : `Key ${who.key?.name ?? ''} (${who.key?.key_prefix ?? ''}) · organization ${who.org_id ?? ''}`,
  );
  const link = (href: string, text: string) =>
    h('a', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : null }, text);
  replace(
    nav,
    h(
      'ul',
      {},
      h('li', {}, link(KEYS_PAGE, 'Keys')),
      isAdmin() ? h('li', {}, link(ORG_PAGE, 'Organization')) : null,
      h('li', {}, link(ACTIVITY_PAGE, 'Activity')),
      h(
        'li',
        {},
        h('button', { type: 'button', class: 'secondary', on: { click: () => signOut(null) } }, 'Sign out'),
      ),
    ),
  );
  route();
}

function route(): void {
  clearError();
  const page = pageOf(location.hash);
  if (page.kind === 'key') void renderDetail(main, page.id);
  else if (page.kind === 'org' && isAdmin()) void renderOrg(main);
  else if (page.kind === 'activity') void renderActivity(main);
  else void renderKeys(main);
}

setUnauthorizedHandler((error) => {
  if (!session()) return false;
  signOut(`${error.message} Sign in again.`);
  return true;
});
window.addEventListener('hashchange', () => {
  if (session()) renderFrame();
});
for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
  window.addEventListener(type, resetIdle, { passive: true });
}
document.body.replaceChildren(header, bannerElement(), main);
renderFrame();
