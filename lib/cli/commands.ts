/**
 * The command table: every `latchkey` command in the order help lists them, and the command groups
 * (`keys`, `orgs`, `audit`, `token`, `logs`, `events`) with their one-line summaries.
 */
import { adminKey } from './admin-key';
import { AUDIT_COMMANDS } from './audit';
import type { Command } from './command';
import { completion } from './completion';
import { dev } from './dev';
import { doctor } from './doctor';
import { EVENTS_COMMANDS } from './events';
import { KEYS_COMMANDS } from './keys';
import { KEYS_EDIT_COMMANDS } from './keys-edit';
import { LOGS_COMMANDS } from './logs';
import { ORGS_COMMANDS } from './orgs';
import { request } from './request';
import { TOKEN_COMMANDS } from './token';
import { whoami } from './whoami';

export const COMMANDS: readonly Command[] = [
  ...KEYS_COMMANDS,
  ...KEYS_EDIT_COMMANDS,
  ...ORGS_COMMANDS,
  ...AUDIT_COMMANDS,
  whoami,
  request,
  doctor,
  adminKey,
  dev,
  ...TOKEN_COMMANDS,
  ...LOGS_COMMANDS,
  ...EVENTS_COMMANDS,
  completion,
];

export const GROUPS: Readonly<Record<string, string>> = {
  keys: 'create, list, get, update, disable, enable, revoke and rotate API keys, and read their usage',
  orgs: 'list organizations, read and set their plans and key limits (admin key)',
  audit: 'the audit trail of key and organization changes',
  token: 'inspect a token offline (prefix, shape, checksum, key id)',
  logs: "follow the authorizer's refusals and their reasons (why was I refused?)",
  events: 'follow lifecycle events in local mode (key created, revoked, expiring…)',
};

export function isGroup(word: string): boolean {
  return Object.hasOwn(GROUPS, word);
}
