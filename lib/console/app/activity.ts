/**
 * The Activity page: the organization's audit events, newest first (`GET /v1/audit`).
 */
import { renderAudit } from './audit';
import { h } from './dom';
import { orgQuery, session } from './session';

export async function renderActivity(main: HTMLElement): Promise<void> {
  const list = h('div', { 'aria-busy': 'true' }, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Activity'), list);
  await renderAudit(list, { org_id: orgQuery() }, `Audit events of organization ${session()?.org ?? ''}`);
  list.removeAttribute('aria-busy');
}
