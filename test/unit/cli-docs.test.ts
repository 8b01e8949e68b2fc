/**
 * The CLI's help and docs/cli.md against the command table (lib/cli/commands.ts): the Commands table
 * names every command and nothing else, documents every option a command takes and no option it does
 * not, and every `latchkey …` command line in any help text or in docs/cli.md names a real command with
 * real options.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '#cli/command';
import { COMMANDS, GROUPS } from '#cli/commands';
import { API_OPTIONS } from '#cli/connection';
import { commandHelp, groupHelp, topHelp } from '#cli/help';
import { GLOBAL_OPTIONS, type OptionSpecs } from '#cli/options';
import { readMarkdown } from '../helpers/markdown';

const DOC = readMarkdown('docs/cli.md');

/** The rows of the table after `## Commands`: the first cell, split on ` · ` into its `code` spans. */
function documentedCommands(): string[] {
  const lines = DOC.split('\n');
  const start = lines.indexOf('## Commands');
  expect(start, 'docs/cli.md has a "## Commands" section').toBeGreaterThan(0);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const spans: string[] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) {
    const cell = (lines[i] ?? '').split(/(?<!\\)\|/)[1] ?? '';
    for (const span of cell.matchAll(/`([^`]+)`/g)) spans.push((span[1] ?? '').replace(/\\\|/g, '|'));
  }
  return spans;
}

/** The command a command line starts with (`keys create --name x` → keys create), or null. */
function commandOf(line: string): Command | null {
  const [first = '', second = ''] = line.trim().split(/\s+/);
  return (
    COMMANDS.find((c) => c.name === `${first} ${second}`) ?? COMMANDS.find((c) => c.name === first) ?? null
  );
}

/** Every option a command accepts, long (`--name`) and short (`-q`). */
function accepted(command: Command): Set<string> {
  const tables: OptionSpecs[] = [command.options, GLOBAL_OPTIONS, command.api ? API_OPTIONS : {}];
  const names = new Set<string>();
  for (const table of tables) {
    for (const [name, spec] of Object.entries(table)) {
      names.add(`--${name}`);
      if (spec.short) names.add(`-${spec.short}`);
    }
  }
  return names;
}

/** The options written in a command line (`--name`, `-H`), not counting words inside quotes. */
function optionsIn(line: string): string[] {
  return [...line.replace(/"[^"]*"|'[^']*'/g, '').matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map(
    (m) => m[1] ?? '',
  );
}

/** docs/cli.md's examples of typing mistakes and the suggestions they get. */
const MISTYPED = ['kyes list', 'keys create --nmae x'];

/** `latchkey <words…>` command lines in a text, up to the end of the line, a code span, a pipe or a `;`. */
function latchkeyLines(text: string): string[] {
  return [...text.matchAll(/\blatchkey ((?:[a-z][\w-]*)(?: [^`\n);|]*)?)/g)].map((m) => m[1] ?? '');
}

describe('docs/cli.md Commands table', () => {
  const rows = documentedCommands();

  it('names every command of the CLI, and only those', () => {
    const documented = rows.map((row) => commandOf(row)?.name ?? `unknown: ${row}`);
    expect([...new Set(documented)].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('documents every option of %s', (_name, command) => {
    const written = new Set(rows.filter((row) => commandOf(row) === command).flatMap(optionsIn));
    for (const [name, spec] of Object.entries(command.options)) {
      const forms = [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])];
      expect(
        forms.some((f) => written.has(f)),
        `${command.name} --${name}`,
      ).toBe(true);
    }
    const known = accepted(command);
    for (const option of written) expect(known.has(option), `${command.name} ${option}`).toBe(true);
  });
});

describe('command lines in the help texts and docs/cli.md', () => {
  const texts: Array<[string, string]> = [
    ['latchkey --help', topHelp()],
    ...Object.keys(GROUPS).map((g): [string, string] => [`latchkey ${g} --help`, groupHelp(g)]),
    ...COMMANDS.map((c): [string, string] => [`latchkey ${c.name} --help`, commandHelp(c)]),
    ['docs/cli.md', DOC],
  ];

  it.each(texts)('%s names only commands and options that exist', (_where, text) => {
    for (const line of latchkeyLines(text).filter((l) => !MISTYPED.includes(l))) {
      const [word = ''] = line.split(' ');
      // `latchkey <command> --help`, `latchkey keys <command>`: placeholders, and a group's own help.
      if (line.startsWith('<') || /^[a-z]+ <command>/.test(line)) continue;
      if (Object.hasOwn(GROUPS, word) && commandOf(line) === null) {
        expect(line.split(' ')[1] ?? '--help', line).toMatch(/^(--help|<command>|$)/);
        continue;
      }
      const command = commandOf(line);
      expect(command, `"latchkey ${line}" is not a command`).not.toBeNull();
      if (command === null) continue;
      const known = accepted(command);
      for (const option of optionsIn(line))
        expect(known.has(option), `latchkey ${line}: ${option}`).toBe(true);
    }
  });

  it("every command's usage line shows all of its options", () => {
    for (const command of COMMANDS) {
      const written = new Set(optionsIn(command.usage));
      for (const [name, spec] of Object.entries(command.options)) {
        const forms = [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])];
        expect(
          forms.some((f) => written.has(f)),
          `${command.name}'s usage lacks --${name}`,
        ).toBe(true);
      }
    }
  });
});
