/**
 * `latchkey whoami`: the principal behind the key in use (the admin key or an API key), its
 * organization and permissions, and for an API key the key's own details.
 */
import { DEFAULT_ORG } from '../core/management';
import { defineCommand } from './command';
import { type Field, fields, keyFields, toJson } from './format';

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'show who the key is and what it may do',
  usage: 'latchkey whoami',
  description:
    'Shows the principal behind the key in use (admin or an API key), its organization and permissions.',
  args: [],
  api: true,
  options: {},
  examples: ['latchkey whoami', 'LATCHKEY_KEY=$KEY latchkey whoami --sign'],
  async run(ctx) {
    const me = await ctx.client().whoami();
    if (ctx.json) return ctx.out(toJson(me));
    const rows: Field[] = [
      ['principal', me.principal],
      ['org', me.org_id ?? `any (default: ${DEFAULT_ORG})`],
      ['permissions', me.permissions.join(', ')],
    ];
    if (me.key)
      rows.push(...keyFields(me.key).filter(([label]) => label !== 'org' && label !== 'permissions'));
    ctx.out(fields(rows));
  },
});
