/**
 * How the `latchkey` command fails: `CliError` carries a code and an exit code (1 for errors, 2 for
 * usage errors), and `errorLine` turns any thrown value into the one line printed on stderr,
 * `latchkey: <code>: <message>`, with control characters and newlines removed.
 */
import { type HttpMethod, matchRoute, READ_METHODS } from '../core/routes';
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
    return `latchkey: ${error.code}: ${oneLine(error.message)}${hintFor(error)}${id}`;
  }
  if (error instanceof CliError) return `latchkey: ${error.code}: ${oneLine(error.message)}`;
  const message = error instanceof Error ? error.message : String(error);
  if (/region is missing/i.test(message)) {
    return `latchkey: usage_error: ${oneLine(message)}: pass --region or set AWS_REGION (e.g. AWS_REGION=eu-west-1)`;
  }
  return `latchkey: internal_error: ${oneLine(message)} (run with --debug for details)`;
}

/**
 * What to do about an API error the message alone does not explain: a 404 for a route latchkey has
 * (on AWS the base URL must include the stage), or a 403 from a route (the permission it needs).
 */
function hintFor(error: LatchkeyError): string {
  if (error.method === null || error.path === null) return '';
  const path = error.path.split('?')[0] ?? '';
  const match = matchRoute(error.method.toUpperCase(), path);
  // The gateway's own 404 for a path latchkey serves: the base URL is missing the stage.
  if (
    error.status === 404 &&
    error.code === 'not_found' &&
    match !== null &&
    /no route/i.test(error.message)
  ) {
    return '; hint: on AWS the base URL includes the stage, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/prod';
  }
  if (error.status === 403 && error.code === 'forbidden' && match !== null) {
    const needs = match.route.needs;
    const method = error.method.toUpperCase() as HttpMethod;
    const permission =
      needs === 'admin'
        ? 'the admin key'
        : needs === 'application'
          ? READ_METHODS.includes(method)
            ? 'api:read'
            : 'api:write'
          : needs === 'authenticated'
            ? null
            : needs;
    if (permission !== null) return `; this route needs ${permission}`;
  }
  return '';
}

/** A message folded onto one line, safe for the terminal. */
export function oneLine(text: string): string {
  return clean(text.replace(/\s*\n\s*/g, ' '));
}
