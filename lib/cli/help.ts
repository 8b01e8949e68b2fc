/**
 * The CLI's help texts, all written from the command table: the top-level help (commands,
 * configuration, examples), a group's help (`latchkey keys --help`) and a command's help (usage,
 * description, its options, the connection and global options, examples). Also `--version`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from './command';
import { COMMANDS, GROUPS } from './commands';
import { API_OPTIONS } from './connection';
import { columns } from './format';
import { GLOBAL_OPTIONS, type OptionSpecs } from './options';

/**
 * latchkey's version from its package.json: one directory up from the bundle (dist/cli.js), two from
 * the source (lib/cli/help.ts).
 */
export function version(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8'));
      if (isLatchkeyPackage(pkg)) return pkg.version ?? 'unknown';
    } catch {
      // not there: try the next one
    }
  }
  return 'unknown';
}

function isLatchkeyPackage(pkg: unknown): pkg is { name: string; version?: string } {
  return typeof pkg === 'object' && pkg !== null && (pkg as { name?: unknown }).name === 'latchkey';
}

const commandRows = (commands: readonly Command[]) => commands.map((c) => [`  ${c.name}`, c.summary]);

export function topHelp(): string {
  return [
    'latchkey: manage latchkey API keys from the command line.',
    '',
    'Usage: latchkey <command> [options]',
    '',
    'Commands:',
    columns(commandRows(COMMANDS)),
    '',
    'Configuration:',
    '  LATCHKEY_URL   API base URL, e.g. http://127.0.0.1:8787 (npm start) or the stack ApiUrl output',
    '  LATCHKEY_KEY   the admin key or an API-key token',
    '  --url and --key override them; --json prints the API response as JSON; --debug shows stack traces.',
    '',
    'Examples:',
    '  export LATCHKEY_URL=http://127.0.0.1:8787',
    '  export LATCHKEY_KEY=$(latchkey admin-key --local)',
    '  latchkey keys create --name billing --role member',
    '  latchkey keys list',
    '',
    'Run latchkey <command> --help for details. Exit codes: 0 ok, 1 error, 2 usage error.',
    '',
  ].join('\n');
}

export function groupHelp(group: string): string {
  return [
    `latchkey ${group}: ${GROUPS[group]}`,
    '',
    `Usage: latchkey ${group} <command> [options]`,
    '',
    'Commands:',
    columns(commandRows(COMMANDS.filter((c) => c.name.startsWith(`${group} `)))),
    '',
    `Run latchkey ${group} <command> --help for details and examples.`,
    '',
  ].join('\n');
}

function optionSection(title: string, options: OptionSpecs): string[] {
  const rows = Object.entries(options).map(([name, spec]) => [
    `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value}` : ''}`,
    spec.description,
  ]);
  return rows.length === 0 ? [] : [title, columns(rows), ''];
}

export function commandHelp(command: Command): string {
  return [
    `Usage: ${command.usage}`,
    '',
    command.description,
    '',
    ...optionSection('Options:', command.options),
    ...optionSection('Connection:', command.api ? API_OPTIONS : {}),
    ...optionSection('Global options:', GLOBAL_OPTIONS),
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
