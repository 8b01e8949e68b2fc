/**
 * `latchkey completion`: the scripts are written from the command table, so each one offers every
 * command, subcommand and option. The bash script is also run: bash completes real command lines.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS, GROUPS } from '#cli/commands';
import { completionScript, SHELLS } from '#cli/completion';
import { runCli } from '../helpers/cli';

/** What bash's completion offers for a command line whose last word is being typed. */
function complete(words: string[]): string[] {
  const script = `${completionScript('bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_latchkey; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '');
}

describe('completion scripts', () => {
  it.each(SHELLS)('the %s script names every command, subcommand and option', (shell) => {
    const script = completionScript(shell);
    for (const group of Object.keys(GROUPS)) expect(script).toContain(group);
    for (const command of COMMANDS) {
      for (const word of command.name.split(' '))
        expect(script, command.name).toMatch(new RegExp(`\\b${word}\\b`));
      for (const option of Object.keys(command.options)) {
        expect(script, `${command.name} --${option}`).toMatch(new RegExp(`(--|-l )${option}\\b`));
      }
    }
  });

  it('bash completes commands, subcommands and the options of the command being typed', () => {
    expect(complete(['latchkey', 'de'])).toEqual(['dev']);
    expect(complete(['latchkey', 'do'])).toEqual(['doctor']);
    expect(complete(['latchkey', ''])).toEqual(
      expect.arrayContaining([...Object.keys(GROUPS), 'whoami', 'request', 'completion']),
    );
    expect(complete(['latchkey', 'keys', 'ro'])).toEqual(['rotate']);
    expect(complete(['latchkey', 'keys', 'create', '--name', 'x', '--me'])).toEqual(['--meta']);
    expect(complete(['latchkey', 'logs', 'tail', '--request'])).toEqual(['--request-id']);
    expect(complete(['latchkey', 'whoami', '--si'])).toEqual(['--sign']);
  });

  it('latchkey completion prints the script; another shell is a usage error', async () => {
    const ok = await runCli(['completion', 'fish'], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${completionScript('fish').trimEnd()}\n`);
    const bad = await runCli(['completion', 'tcsh'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bash, zsh, fish');
  });
});
