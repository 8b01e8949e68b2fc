/**
 * The console's own addresses: the URL fragments its hash router reads (`#/keys`, `#/keys/<id>`,
 * `#/org`, `#/activity`). Written here once; the navigation, the links between pages and the router
 * all read them.
 */

export const KEYS_PAGE = '#/keys';
export const ORG_PAGE = '#/org';
export const ACTIVITY_PAGE = '#/activity';

/** A key's detail page. Key ids are letters and digits, so the id needs no encoding. */
export function keyPage(id: string): string {
  return `${KEYS_PAGE}/${id}`;
}

export type Page = { kind: 'keys' } | { kind: 'key'; id: string } | { kind: 'org' } | { kind: 'activity' };

const KEY_ID_SEGMENT_RE = /^[A-Za-z0-9_-]+$/;

/** The page a fragment names; anything else (`''`, `#/`, an unknown page) is the keys list. */
export function pageOf(hash: string): Page {
  const id = hash.startsWith(`${KEYS_PAGE}/`) ? hash.slice(KEYS_PAGE.length + 1) : '';
  if (KEY_ID_SEGMENT_RE.test(id)) return { kind: 'key', id };
  if (hash === ORG_PAGE) return { kind: 'org' };
  if (hash === ACTIVITY_PAGE) return { kind: 'activity' };
  return { kind: 'keys' };
}
