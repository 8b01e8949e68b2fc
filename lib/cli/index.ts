/**
 * The `latchkey` command's entry: `main(argv, io)` finds the command, parses its options, runs it and
 * returns the exit code (0 success, 1 any error, 2 usage errors), writing only through `io`. Importing
 * this module does nothing; lib/cli/run.ts wires it to the process (bin/latchkey-cli.mjs runs that),
 * and tests call `main` in process. Errors are one line on stderr naming their code (one line of JSON
 * with `--json`); `--debug` adds the stack trace.
 */
import { readFileSync } from 'node:fs';
import type { Command, Context, Env } from './command';
import { COMMANDS, GROUPS, isGroup } from './commands';
import { API_OPTIONS, makeClient } from './connection';
import { CliError, errorJson, errorLine, usage } from './errors';
import { clean } from './format';
import { commandHelp, groupHelp, topHelp, version } from './help';
import { GLOBAL_OPTIONS, parseOptions, splitCommand } from './options';
import { didYouMean } from './suggest';

/** Where the CLI reads and writes: the process's streams and environment, or a test's. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Env;
  /** All of standard input, for `--data @-`; default: read file descriptor 0. */
  stdin?(): string;
  /** Ends a command that follows (`logs tail`) instead of an interrupt; tests use it. */
  signal?: AbortSignal;
}

/** Runs one command line; resolves to its exit code. Never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  try {
    return await dispatch([...argv], io);
  } catch (error) {
    io.stderr(`${json ? errorJson(error) : errorLine(error)}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

const ALL_OPTION_TABLES = [API_OPTIONS, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)];

/** Help on stdout (exit 0) when asked for, on stderr (exit 2) when the command line was incomplete. */
function help(text: string, asked: boolean, io: Io): number {
  if (asked) io.stdout(text);
  else io.stderr(text);
  return asked ? 0 : 2;
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const { words, rest } = splitCommand(argv, ALL_OPTION_TABLES, isGroup);
  const helpAsked = rest.includes('--help') || rest.includes('-h');
  const [group, sub] = words;
  if (group === undefined) {
    if (rest.includes('--version') || rest.includes('-v')) {
      io.stdout(`${version()}\n`);
      return 0;
    }
    return help(topHelp(), helpAsked, io);
  }
  if (group === 'help') return dispatch([...words.slice(1), '--help'], io);
  let command = COMMANDS.find((c) => c.name === group);
  if (!command && isGroup(group)) {
    if (sub === undefined) return help(groupHelp(group), helpAsked, io);
    command = COMMANDS.find((c) => c.name === `${group} ${sub}`);
    if (!command) {
      const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) =>
        c.name.slice(group.length + 1),
      );
      const hint = didYouMean(sub, subs);
      throw usage(`unknown command "${clean(`${group} ${sub}`)}"${hint} (see latchkey ${group} --help)`);
    }
    words.splice(0, 2);
  } else if (command) {
    words.splice(0, 1);
  } else {
    const names = [
      ...Object.keys(GROUPS),
      ...COMMANDS.filter((c) => !c.name.includes(' ')).map((c) => c.name),
    ];
    throw usage(`unknown command "${clean(group)}"${didYouMean(group, names)} (see latchkey --help)`);
  }
  return run(command, [...words, ...rest], io);
}

async function run(command: Command, args: string[], io: Io): Promise<number> {
  const options = { ...command.options, ...(command.api ? API_OPTIONS : {}), ...GLOBAL_OPTIONS };
  const { values, positionals } = parseOptions(args, options, command.name);
  if (values.help) {
    io.stdout(commandHelp(command));
    return 0;
  }
  if (positionals.length !== command.args.length) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.join(' ');
    throw usage(`${command.name} takes ${expected} (see latchkey ${command.name} --help)`);
  }
  const ctx: Context<typeof options, readonly string[]> = {
    values,
    args: positionals,
    env: io.env,
    json: values.json === true,
    out: (text) => io.stdout(`${text}\n`),
    err: (text) => io.stderr(`${text}\n`),
    readStdin: io.stdin ?? (() => readFileSync(0, 'utf8')),
    client: () => makeClient(values, io.env),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  await command.run(ctx);
  return 0;
}
