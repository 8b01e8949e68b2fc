/**
 * One error class for everything the client can fail with. `kind` tells them apart:
 * - `http`: the server answered with a non-2xx status (or an unreadable body); `status`, `code`,
 *   `message` and `requestId` come from latchkey's error body (docs/protocol.md §5);
 * - `network`: no HTTP response at all (DNS, refused connection, reset, TLS…); `status` is null;
 * - `timeout`: no complete response within `timeoutMs`; `status` is null.
 */
import { ERROR_STATUS } from '../core/errors';

export type LatchkeyErrorKind = 'http' | 'network' | 'timeout';

export interface LatchkeyErrorInit {
  kind: LatchkeyErrorKind;
  status: number | null;
  code: string;
  message: string;
  requestId?: string | null;
  method?: string;
  /** The request path (no query string), e.g. `/v1/keys/abc`. */
  path?: string;
  /** How many attempts were made (1 when the request was not retried). */
  attempts?: number;
  cause?: unknown;
}

/**
 * The server's error code for each status (the first code with that status, e.g. 409 → `conflict`),
 * for error responses without a latchkey body (a proxy's 502, say). Read from the server's own table.
 */
const CODE_BY_STATUS: ReadonlyMap<number, string> = new Map(
  Object.entries(ERROR_STATUS)
    .reverse()
    .map(([code, status]) => [status, code]),
);

export class LatchkeyError extends Error {
  readonly kind: LatchkeyErrorKind;
  /** HTTP status, or null for network errors and timeouts. */
  readonly status: number | null;
  /** latchkey's snake_case error code (`unauthorized`, `key_limit_reached`…), `network_error` or `timeout`. */
  readonly code: string;
  /** The server's request id (`request_id` in the body, else the `x-amzn-requestid` header). */
  readonly requestId: string | null;
  readonly method: string | null;
  readonly path: string | null;
  readonly attempts: number;

  constructor(init: LatchkeyErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LatchkeyError';
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.method = init.method ?? null;
    this.path = init.path ?? null;
    this.attempts = init.attempts ?? 1;
  }

  /** True for 403 `rate_limited` (latchkey's per-key limit) and 429 (gateway throttling). */
  get isRateLimited(): boolean {
    return this.code === 'rate_limited' || (this.status === 429 && this.code !== 'credits_exhausted');
  }

  /** True for `credits_exhausted`: the key's credits are below the call's cost (a retry will not help). */
  get isCreditsExhausted(): boolean {
    return this.code === 'credits_exhausted';
  }

  /**
   * Builds the error for a non-2xx response from its body text. Use it with `client.fetch` on your own
   * routes: `if (!res.ok) throw await LatchkeyError.fromResponse(res)`.
   */
  static async fromResponse(
    response: Response,
    context: { method?: string; path?: string; attempts?: number } = {},
  ): Promise<LatchkeyError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      text = '';
    }
    return LatchkeyError.fromBody(response.status, response.statusText, response.headers, text, context);
  }

  /** @internal */
  static fromBody(
    status: number,
    statusText: string,
    headers: Headers,
    text: string,
    context: { method?: string; path?: string; attempts?: number } = {},
  ): LatchkeyError {
    const body = parseErrorBody(text);
    const headerId = headers.get('x-amzn-requestid') ?? headers.get('x-request-id');
    return new LatchkeyError({
      kind: 'http',
      status,
      code: body?.code ?? CODE_BY_STATUS.get(status) ?? `http_${status}`,
      message:
        body?.message ??
        `The server answered ${status}${statusText ? ` ${statusText}` : ''} without an error body.`,
      requestId: body?.request_id ?? headerId,
      ...context,
    });
  }
}

function parseErrorBody(text: string): { code?: string; message?: string; request_id?: string } | null {
  if (text === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const error = (parsed as { error?: unknown }).error;
    if (typeof error !== 'object' || error === null) return null;
    const { code, message, request_id } = error as Record<string, unknown>;
    return {
      ...(typeof code === 'string' && code !== '' ? { code } : {}),
      ...(typeof message === 'string' && message !== '' ? { message } : {}),
      ...(typeof request_id === 'string' && request_id !== '' ? { request_id } : {}),
    };
  } catch {
    return null;
  }
}
