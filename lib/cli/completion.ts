/**
 * `latchkey completion bash|zsh|fish`: a shell completion script, written from the command table
 * (commands.ts), so that it offers every command, subcommand and option there is and nothing else.
 * bash and zsh share one function (zsh through its bashcompinit); fish gets `complete` lines.
 */
import type { Command } from './command';
import { defineCommand } from './command';
import { COMMANDS, GROUPS } from './commands';
import { API_OPTIONS } from './connection';
import { usage } from './errors';
import { GLOBAL_OPTIONS } from './options';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** The first words: groups, one-word commands, and help. */
function topWords(): string[] {
  const single = COMMANDS.filter((c) => !c.name.includes(' ')).map((c) => c.name);
  return [...Object.keys(GROUPS), ...single, 'help'];
}

function subcommands(group: string): string[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
}

/** Every option a command takes, as `--name`. */
function optionsOf(command: Command): string[] {
  const tables = [command.options, command.api ? API_OPTIONS : {}, GLOBAL_OPTIONS];
  return tables.flatMap((t) => Object.keys(t).map((name) => `--${name}`));
}

function bash(): string {
  const groups = Object.keys(GROUPS);
  const lines = [
    '# latchkey completion for bash: source <(latchkey completion bash)',
    '_latchkey() {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own ${…}
    '  local cur=${COMP_WORDS[COMP_CWORD]} key=${COMP_WORDS[1]} words=',
    `  case $key in ${groups.join('|')}) key="$key \${COMP_WORDS[2]}" ;; esac`,
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    words="${topWords().join(' ')}"`,
    `  elif [ "$COMP_CWORD" -eq 2 ] && case \${COMP_WORDS[1]} in ${groups.join('|')}|help) true ;; *) false ;; esac; then`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own ${…}
    '    case ${COMP_WORDS[1]} in',
    ...groups.map((g) => `      ${g}) words="${subcommands(g).join(' ')}" ;;`),
    `      help) words="${topWords().join(' ')}" ;;`,
    '    esac',
    '  else',
    '    case $key in',
    ...COMMANDS.map((c) => `      "${c.name}") words="${optionsOf(c).join(' ')}" ;;`),
    '    esac',
    '  fi',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -o default -F _latchkey latchkey',
    '',
  ];
  return lines.join('\n');
}

function zsh(): string {
  return [
    '# latchkey completion for zsh: source <(latchkey completion zsh)',
    'autoload -U +X bashcompinit && bashcompinit',
    bash().split('\n').slice(1).join('\n'),
  ].join('\n');
}

function fish(): string {
  const groups = Object.keys(GROUPS);
  const lines = [
    '# latchkey completion for fish: latchkey completion fish > ~/.config/fish/completions/latchkey.fish',
    'complete -c latchkey -f',
    `complete -c latchkey -n __fish_use_subcommand -a "${topWords().join(' ')}"`,
  ];
  for (const group of groups) {
    const subs = subcommands(group);
    lines.push(
      `complete -c latchkey -n "__fish_seen_subcommand_from ${group}; and not __fish_seen_subcommand_from ${subs.join(' ')}" -a "${subs.join(' ')}"`,
    );
  }
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    const when = words.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
    for (const option of optionsOf(command)) {
      lines.push(`complete -c latchkey -n "${when}" -l ${option.slice(2)}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** The completion script for a shell. */
export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bash() : shell === 'zsh' ? zsh() : fish();
}

export const completion = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish)',
  usage: 'latchkey completion bash|zsh|fish',
  description:
    'Prints a script with which your shell completes commands and options. Load it from your\n' +
    'shell profile: source <(latchkey completion bash) in ~/.bashrc, the same with zsh in ~/.zshrc, or\n' +
    'latchkey completion fish > ~/.config/fish/completions/latchkey.fish.',
  args: ['SHELL'],
  api: false,
  options: {},
  examples: [
    'source <(latchkey completion bash)',
    'latchkey completion fish > ~/.config/fish/completions/latchkey.fish',
  ],
  async run(ctx) {
    const [shell] = ctx.args;
    const known = SHELLS.find((s) => s === shell);
    if (known === undefined) throw usage(`completion takes one of ${SHELLS.join(', ')}`);
    ctx.out(completionScript(known).trimEnd());
  },
});
