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
import { bannerElement, clearError, noticeElement, showError } from './ui';

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

/**
 * Renders the page the fragment names. Each navigation renders into a fresh element that replaces the
 * last one: an answer for a page the operator has left arrives at a detached element and changes
 * nothing on screen, and pages raise the shared banner only while their element is connected.
 */
function route(): void {
  clearError();
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  const page = pageOf(location.hash);
  if (page.kind === 'key') void renderDetail(view, page.id);
  else if (page.kind === 'org' && isAdmin()) void renderOrg(view);
  else if (page.kind === 'activity') void renderActivity(view);
  else void renderKeys(view);
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
document.body.replaceChildren(header, bannerElement(), noticeElement(), main);
renderFrame();
