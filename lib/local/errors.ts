/**
 * Errors of local mode: `LocalSetupError`, the one-line message `npm start` prints when a prerequisite
 * is missing or misconfigured (no Java, a busy port, a broken data file), and the small readers that
 * pull a code, name or message out of an unknown thrown value.
 */

/** A local-mode prerequisite is missing or misconfigured; `message` is one line telling the user what to do. */
export class LocalSetupError extends Error {
  override name = 'LocalSetupError';
}

/** A Node system error's `code` (`ENOENT`, `EADDRINUSE`…), else the value as text. */
export function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : String(err);
}

/** An Error's `name` (the AWS SDK puts the service's exception type there). */
export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

export function errorMessage(err: unknown): string | undefined {
  return err instanceof Error ? err.message : undefined;
}
