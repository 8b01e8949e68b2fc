/**
 * The client's retry rules, apart from the client itself: which methods may be sent twice, which
 * answers are worth another attempt, how long a `Retry-After` asks to wait, an abortable sleep, and the
 * error an attempt that got no answer at all ends with (a timeout or a network failure, named by its
 * error code, never with a key).
 */
import { LatchkeyError } from './errors';

/** Methods that are safe to send twice; only these are retried. POST and PATCH never are. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** 429 and 5xx, except 501 and 505, which another attempt cannot fix. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** An attempt without a response: `timeout` when the client's own timer fired, else `network_error`. */
export function attemptFailure(
  error: unknown,
  attempt: {
    timedOutAfterMs: number | null;
    origin: string;
    method: string;
    path: string;
    attempts: number;
  },
): LatchkeyError {
  const { timedOutAfterMs, origin, method, path, attempts } = attempt;
  const where = { method, path, attempts, status: null, cause: error };
  if (timedOutAfterMs !== null) {
    return new LatchkeyError({
      kind: 'timeout',
      code: 'timeout',
      message: `No response from ${origin} within ${timedOutAfterMs} ms (${method} ${path}).`,
      ...where,
    });
  }
  return new LatchkeyError({
    kind: 'network',
    code: 'network_error',
    message: `Could not reach ${origin} (${describeNetworkError(error)}) for ${method} ${path}.`,
    ...where,
  });
}

/** What went wrong on the network, for the error message: the error code (ECONNREFUSED…) or message. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
