/**
 * How the `latchkey` command fails: `CliError` carries a code and an exit code (1 for errors, 2 for
 * usage errors), and `errorLine` turns any thrown value into the one line printed on stderr,
 * `latchkey: <code>: <message>`, with control characters and newlines removed; under `--json`,
 * `errorJson` prints the same as `{"error": {"code", "message", "hint", "request_id"}}` instead. A 401 or
 * a 403 refusal says how to learn why: `latchkey logs tail --request-id <id>`.
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

/** What is said about an error, in either form (a line, or JSON under --json). */
export interface ErrorReport {
  code: string;
  message: string;
  /** What to do about it, when the message alone does not say. */
  hint: string | null;
  requestId: string | null;
}

/** Any thrown value as code, message, hint and request id; never a stack trace. */
export function errorReport(error: unknown): ErrorReport {
  if (error instanceof LatchkeyError) {
    return {
      code: error.code,
      message: oneLine(error.message),
      hint: hintFor(error),
      requestId: error.requestId ? clean(error.requestId) : null,
    };
  }
  if (error instanceof CliError) {
    return { code: error.code, message: oneLine(error.message), hint: null, requestId: null };
  }
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (/region is missing/i.test(message)) {
    return {
      code: 'usage_error',
      message,
      hint: 'pass --region or set AWS_REGION (e.g. AWS_REGION=eu-west-1)',
      requestId: null,
    };
  }
  return { code: 'internal_error', message, hint: 'run with --debug for details', requestId: null };
}

/** The one stderr line for an error; never a stack trace (main adds that with --debug). */
export function errorLine(error: unknown): string {
  const r = errorReport(error);
  if (r.code === 'usage_error' && r.hint !== null) return `latchkey: ${r.code}: ${r.message}: ${r.hint}`;
  if (r.code === 'internal_error') return `latchkey: ${r.code}: ${r.message} (${r.hint})`;
  // One sentence, then the hint: no ".;" where the server's message ends with a full stop.
  const message = r.hint === null ? r.message : r.message.replace(/\.$/, '');
  const id = r.requestId === null ? '' : ` (request_id ${r.requestId})`;
  return `latchkey: ${r.code}: ${message}${r.hint === null ? '' : `; ${r.hint}`}${id}`;
}

/** The error under --json: one line of JSON, in the shape of the API's error body plus the hint. */
export function errorJson(error: unknown): string {
  const r = errorReport(error);
  return JSON.stringify({
    error: { code: r.code, message: r.message, hint: r.hint, request_id: r.requestId },
  });
}

/**
 * What to do about an API error the message alone does not explain: a 404 for a route latchkey has
 * (on AWS the base URL must include the stage), a 403 from a route (the permission it needs), or any
 * other 401 or 403 (the authorizer logged why: `logs tail` prints it).
 */
function hintFor(error: LatchkeyError): string | null {
  const why =
    (error.status === 401 || error.status === 403) && error.requestId
      ? `see why: latchkey logs tail --request-id ${clean(error.requestId)} --no-follow`
      : null;
  if (error.method === null || error.path === null) return why;
  const path = error.path.split('?')[0] ?? '';
  const match = matchRoute(error.method.toUpperCase(), path);
  // The gateway's own 404 for a path latchkey serves: the base URL is missing the stage.
  if (
    error.status === 404 &&
    error.code === 'not_found' &&
    match !== null &&
    /no route/i.test(error.message)
  ) {
    return 'hint: on AWS the base URL includes the stage, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/prod';
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
    if (permission !== null) return `this route needs ${permission}`;
  }
  return why;
}

/** A message folded onto one line, safe for the terminal. */
export function oneLine(text: string): string {
  return clean(text.replace(/\s*\n\s*/g, ' '));
}
