/**
 * What a command is: its help text (name, summary, usage, description, examples), its positional
 * arguments and options as data, and `run`, which gets a `Context` whose option values and arguments
 * are typed from that data (`defineCommand` keeps the literal types). The context carries the output
 * streams, the environment, standard input and a lazily built API client.
 */
import type { LatchkeyClient } from '../sdk';
import type { API_OPTIONS } from './connection';
import type { GLOBAL_OPTIONS, OptionSpecs, OptionValues } from './options';

/** The environment a command reads (LATCHKEY_URL, LATCHKEY_KEY, AWS_REGION, PORT…). */
export type Env = Readonly<Record<string, string | undefined>>;

/** One string per declared positional argument, in order. */
export type Args<A extends readonly string[]> = { readonly [K in keyof A]: string };

export interface Context<O extends OptionSpecs, A extends readonly string[]> {
  values: OptionValues<O & typeof API_OPTIONS & typeof GLOBAL_OPTIONS>;
  args: Args<A>;
  env: Env;
  /** --json was given. */
  json: boolean;
  /** Writes a line to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
  /** All of standard input (for `--data @-`). */
  readStdin(): string;
  /** The API client from --url/--key/--sign/--timeout and the environment. */
  client(): LatchkeyClient;
  /** Ends a command that runs until interrupted (`logs tail`); absent when run from a terminal. */
  signal?: AbortSignal;
}

export interface Command<
  O extends OptionSpecs = OptionSpecs,
  A extends readonly string[] = readonly string[],
> {
  /** `keys create`, or one word. */
  name: string;
  summary: string;
  usage: string;
  description: string;
  /** Positional argument names, e.g. `['ID']`; exactly these many must be given. */
  args: A;
  options: O;
  /** Talks to the API (accepts --url, --key, --sign, --timeout). */
  api: boolean;
  examples: string[];
  run(ctx: Context<O, A>): Promise<void>;
}

/** Keeps a command's literal option and argument types, so that its `run` reads them typed. */
export function defineCommand<const O extends OptionSpecs, const A extends readonly string[]>(
  command: Command<O, A>,
): Command {
  return command;
}
