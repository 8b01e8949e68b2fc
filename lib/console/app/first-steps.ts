/**
 * The next `curl` a new operator needs, built from this deployment's own address (the page's origin and
 * stage): on an empty keys list, the call that creates a first key; after "Create key", a call that
 * tries the new one. The credential is always a shell variable (`$LATCHKEY_KEY`, `$API_KEY`), never a
 * key the console holds.
 */

import { DEFAULT_ORG } from '#core/wire';
import { apiUrl } from './api';
import { h } from './dom';
import { commandBlock } from './ui';

/** Single-quoted for a POSIX shell. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The empty keys list's first-run help: how to create a first key from a terminal. */
export function firstKeyHelp(orgId: string | null): HTMLElement {
  const body =
    orgId && orgId !== DEFAULT_ORG ? { name: 'my-first-key', org_id: orgId } : { name: 'my-first-key' };
  const command = [
    `curl -X POST ${quoted(apiUrl('createKey'))} \\`,
    `  -H "Authorization: Bearer $LATCHKEY_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${quoted(JSON.stringify(body))}`,
  ].join('\n');
  return h(
    'div',
    { class: 'first-run' },
    h('p', {}, 'No keys here yet. “Create key” makes the first one, or from a terminal:'),
    commandBlock('Create a first key with curl', command),
    h(
      'p',
      { class: 'hint' },
      'Set LATCHKEY_KEY to the admin key (or a key with keys:write) first. The answer holds the new token, once.',
    ),
  );
}

/** After a key is created: the next step, a call with the new token. */
export function tryKeyHelp(): HTMLElement {
  const command = `curl ${quoted(apiUrl('whoami'))} \\\n  -H "Authorization: Bearer $API_KEY"`;
  return h(
    'div',
    { class: 'next-step' },
    commandBlock('Next: try the new key with curl', command),
    h(
      'p',
      { class: 'hint' },
      'Put the token in API_KEY first; the answer names the key and its permissions.',
    ),
  );
}
