/**
 * The CLI's typed option parser. A command declares its options as data (`StringOption`, `ListOption`,
 * `FlagOption`); `OptionValues` derives the parsed values' types from that declaration (a string, a list
 * of strings or a boolean), so commands read `values.limit` as `string | undefined` with no casts.
 * Parsing itself is node:util's `parseArgs` in strict mode. `splitCommand` finds the command words
 * (`keys create`) among the arguments before the command's own options are known.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { oneLine, usage } from './errors';
import { didYouMean } from './suggest';

interface OptionBase {
  short?: string;
  description: string;
}
/** `--name VALUE`: the last one wins. `value` names the value in help, e.g. `NAME`. */
export interface StringOption extends OptionBase {
  type: 'string';
  value: string;
  multiple?: false;
}
/** `--role A --role B`: every value, in order. */
export interface ListOption extends OptionBase {
  type: 'string';
  value: string;
  multiple: true;
}
/** `--json`: present or not. */
export interface FlagOption extends OptionBase {
  type: 'boolean';
  choices?: undefined;
}
/** `--sign` or `--sign rfc9421`: a flag that may be followed by one of a few words, its value then. */
export interface ChoiceFlagOption extends OptionBase {
  type: 'boolean';
  choices: readonly string[];
}
export type OptionSpec = StringOption | ListOption | FlagOption | ChoiceFlagOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
/** An option table as assembled for parsing, where a spread-in table may be left out (`undefined`). */
type OptionTable = Readonly<Record<string, OptionSpec | undefined>>;

type ValueOf<S extends OptionSpec> = S extends ChoiceFlagOption
  ? true | S['choices'][number]
  : S extends FlagOption
    ? boolean
    : S extends ListOption
      ? string[]
      : string;
/** The parsed values of a set of options; an option not given is absent. */
export type OptionValues<S extends OptionTable> = {
  readonly [K in keyof S]?: ValueOf<Exclude<S[K], undefined>>;
};

/** `--name VALUE`, shown in help as `--name VALUE`. */
export function text(value: string, description: string, short?: string): StringOption {
  return { type: 'string', value, description, ...(short ? { short } : {}) };
}

/** `--name VALUE`, repeatable: every value, in order. */
export function list(value: string, description: string, short?: string): ListOption {
  return { type: 'string', multiple: true, value, description, ...(short ? { short } : {}) };
}

/** `--name`: present or not. */
export function flag(description: string, short?: string): FlagOption {
  return { type: 'boolean', description, ...(short ? { short } : {}) };
}

/** `--name` alone, or `--name WORD` with WORD one of `choices` (which is then its value). */
export function choiceFlag<const C extends readonly string[]>(
  choices: C,
  description: string,
): ChoiceFlagOption & { choices: C } {
  return { type: 'boolean', choices, description };
}

/** Keeps an option table's literal types, so that `OptionValues` can read them. */
export function defineOptions<const S extends OptionSpecs>(specs: S): S {
  return specs;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS = defineOptions({
  json: flag('print the API response as JSON (for scripts)'),
  debug: flag('show stack traces on errors'),
  help: flag('show help for the command', 'h'),
});

/** Parses a command's arguments; a usage error (exit 2) names the command's help. */
export function parseOptions<S extends OptionTable>(
  args: string[],
  specs: S,
  commandName: string,
): { values: OptionValues<S>; positionals: string[] } {
  try {
    const { rest, chosen } = takeChoices(args, specs);
    const parsed = parseArgs({
      args: rest,
      options: toParseArgs(specs),
      allowPositionals: true,
      strict: true,
    });
    // parseArgs returns, per option, exactly the kind its spec declares: the one place that is asserted.
    return { values: { ...parsed.values, ...chosen } as OptionValues<S>, positionals: parsed.positionals };
  } catch (error) {
    const message = oneLine(error instanceof Error ? error.message : String(error))
      .replace(/ To specify a positional argument .*$/, '')
      .replace(/\.$/, '');
    // "Unknown option '--nmae'": suggest the closest option of this command.
    const unknown = /Unknown option '--([^']+)'/.exec(message)?.[1];
    const hint = unknown === undefined ? '' : didYouMean(unknown, Object.keys(specs)).replace('"', '"--');
    throw usage(`${message}${hint} (see latchkey ${commandName} --help)`);
  }
}

/** The words given to choice flags (`--sign rfc9421`, `--sign=rfc9421`), taken out of the arguments. */
function takeChoices(args: string[], specs: OptionTable): { rest: string[]; chosen: Record<string, string> } {
  const rest: string[] = [];
  const chosen: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i] ?? '';
    if (token === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const [flagName = '', inline] = token.startsWith('--') ? token.slice(2).split(/=(.*)/s) : [''];
    const spec = specs[flagName];
    const choices = spec !== undefined && 'choices' in spec ? spec.choices : undefined;
    if (choices === undefined) {
      rest.push(token);
      continue;
    }
    rest.push(`--${flagName}`);
    const word = inline ?? args[i + 1];
    if (word !== undefined && choices.includes(word)) {
      chosen[flagName] = word;
      if (inline === undefined) i++;
    } else if (inline !== undefined) {
      throw usage(`--${flagName} takes ${choices.join(' or ')}, or nothing`);
    }
  }
  return { rest, chosen };
}

function toParseArgs(specs: OptionTable): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec === undefined) continue;
    out[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'string' && spec.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

/**
 * Finds the command words (the first one or two positionals), leaving options and arguments in order.
 * `specs` are every option table (to know which options take a value); `isGroup` tells a group (`keys`).
 */
export function splitCommand(
  argv: string[],
  specs: OptionSpecs[],
  isGroup: (word: string) => boolean,
): { words: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  const choiceWords = new Map<string, readonly string[]>();
  for (const spec of specs) {
    for (const [name, option] of Object.entries(spec)) {
      if ('choices' in option && option.choices !== undefined) choiceWords.set(`--${name}`, option.choices);
      if (option.type !== 'string') continue;
      takesValue.add(`--${name}`);
      if (option.short) takesValue.add(`-${option.short}`);
    }
  }
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') break;
    const next = argv[i + 1];
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (!token.includes('=') && choiceWords.get(token)?.includes(next ?? '')) {
        rest.push(next ?? '');
        i++;
      } else if (!token.includes('=') && takesValue.has(token) && next !== undefined) {
        rest.push(next);
        i++;
      }
      continue;
    }
    const [first = '', second = ''] = words;
    if (words.length === 0 || (words.length === 1 && (isGroup(first) || first === 'help'))) words.push(token);
    else if (first === 'help' && words.length === 2 && isGroup(second)) words.push(token);
    else rest.push(token);
  }
  rest.push(...argv.slice(i));
  return { words, rest };
}
