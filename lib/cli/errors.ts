/**
 * How the `latchkey` command fails: `CliError` carries a code and an exit code (1 for errors, 2 for
 * usage errors), and `errorLine` turns any thrown value into the one line printed on stderr,
 * `latchkey: <code>: <message>`, with control characters and newlines removed.
 */
import { LatchkeyError } from '../sdk';
import { clean } from './format';

/** An error the CLI reports as one line, `latchkey: <code>: <message>`, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error: exit code 2. */
export const usage = (message: string) => new CliError('usage_error', message, 2);

/** The one stderr line for an error; never a stack trace (main adds that with --debug). */
export function errorLine(error: unknown): string {
  if (error instanceof LatchkeyError) {
    const id = error.requestId ? ` (request_id ${error.requestId})` : '';
    return `latchkey: ${error.code}: ${oneLine(error.message)}${id}`;
  }
  if (error instanceof CliError) return `latchkey: ${error.code}: ${oneLine(error.message)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `latchkey: internal_error: ${oneLine(message)} (run with --debug for details)`;
}

/** A message folded onto one line, safe for the terminal. */
export function oneLine(text: string): string {
  return clean(text.replace(/\s*\n\s*/g, ' '));
}
