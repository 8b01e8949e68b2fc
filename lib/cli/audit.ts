/**
 * `latchkey audit list`: the audit trail (who created, changed, disabled, revoked or rotated which key),
 * newest first, following every page; `--key-id ID` for one key's events (`--key` is the credential).
 */
import type { AuditEvent, AuditQuery } from '../sdk';
import { defineCommand } from './command';
import { clean, date, toJson } from './format';
import { defineOptions, text } from './options';

const OPTIONS = defineOptions({
  // Not --key: that is the credential option every API command takes.
  'key-id': text('ID', "only this key's events"),
  org: text('ORG', 'organization (admin key only)'),
});

function line(e: AuditEvent): string {
  const changes = Object.entries(e.changes)
    .map(([field, c]) => `${field}: ${JSON.stringify(c.old)} → ${JSON.stringify(c.new)}`)
    .join(', ');
  return clean(
    `${date(e.at)}  ${e.type.padEnd(12)}  ${e.key_id ?? e.org_id}  by ${e.actor}${changes ? `  ${changes}` : ''}`,
  );
}

export const auditList = defineCommand({
  name: 'audit list',
  summary: 'the audit trail, newest first',
  usage: 'latchkey audit list [--key-id ID] [--org ORG]',
  description:
    "Lists key and organization changes, newest first: the caller's organization (any with --org, admin key).",
  args: [],
  api: true,
  options: OPTIONS,
  examples: ['latchkey audit list', 'latchkey audit list --key-id 3hQx9TmP2wLk8ZrA --json'],
  async run(ctx) {
    const query: AuditQuery = { limit: 100 };
    if (ctx.values['key-id'] !== undefined) query.key_id = ctx.values['key-id'];
    if (ctx.values.org !== undefined) query.org_id = ctx.values.org;
    const events: AuditEvent[] = [];
    for await (const event of ctx.client().iterateAudit(query)) events.push(event);
    if (ctx.json) return ctx.out(toJson({ events, next_cursor: null }));
    for (const event of events) ctx.out(line(event));
  },
});

export const AUDIT_COMMANDS = [auditList];
