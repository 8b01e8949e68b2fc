/**
 * The command table: every `latchkey` command in the order help lists them, and the command groups
 * (`keys`, `orgs`) with their one-line summaries.
 */
import { adminKey } from './admin-key';
import type { Command } from './command';
import { KEYS_COMMANDS } from './keys';
import { ORGS_COMMANDS } from './orgs';
import { request } from './request';
import { TOKEN_COMMANDS } from './token';
import { whoami } from './whoami';

export const COMMANDS: readonly Command[] = [
  ...KEYS_COMMANDS,
  ...ORGS_COMMANDS,
  whoami,
  request,
  adminKey,
  ...TOKEN_COMMANDS,
];

export const GROUPS: Readonly<Record<string, string>> = {
  keys: 'create, list, show, revoke and rotate API keys',
  orgs: "read and set organizations' key limits (admin key)",
  token: 'inspect a token offline (prefix, shape, checksum, key id)',
};

export function isGroup(word: string): boolean {
  return Object.hasOwn(GROUPS, word);
}
