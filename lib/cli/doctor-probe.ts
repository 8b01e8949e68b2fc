/**
 * How `latchkey doctor` talks to the API: one request at a time over plain `fetch`, with the exact
 * headers a check chooses (a bearer token, a signed request sent twice for the replay check), a timeout,
 * and the answer read whole: status, headers, body, latchkey's error code and the request id. A request
 * that gets no answer at all (connection refused, unknown host, timeout) is a `ProbeError`. What the
 * API type changes in the answers (an HTTP API's fixed `{"message": "Forbidden"}` for every refusal
 * where a REST API sends latchkey's error body) is decided here, in `refusalOf`.
 */
import { UNAUTHORIZED_MESSAGE } from '../core/errors';
import type { ApiType } from '../core/settings';
import { HTTP_API_ANSWERS } from '../local/apigw-http';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or null. */
  body: unknown;
  /** latchkey's error code (`{"error": {"code"}}`), or null. */
  code: string | null;
  requestId: string | null;
}

/** No answer: the request never reached the API, or timed out. */
export class ProbeError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface ProbeRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/** Sends requests to paths under one base URL (stage included). */
export class Probe {
  /** The base URL's path, which a signature covers (`/prod` on AWS, `''` locally). */
  readonly basePath: string;

  constructor(
    readonly baseUrl: string,
    readonly timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
  ) {
    this.basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  }

  async send(path: string, request: ProbeRequest = {}): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: request.method ?? 'GET',
        headers: request.headers ?? {},
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new ProbeError('timeout', `no answer from ${this.baseUrl} within ${this.timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
      const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new ProbeError('unreachable', `cannot reach ${this.baseUrl}: ${why}`);
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = null;
    }
    const error = (body as { error?: { code?: unknown; request_id?: unknown } } | null)?.error;
    const headerId =
      response.headers.get('x-request-id') ??
      response.headers.get('x-amzn-requestid') ??
      response.headers.get('apigw-requestid');
    return {
      status: response.status,
      headers: response.headers,
      text,
      body,
      code: typeof error?.code === 'string' ? error.code : null,
      requestId: typeof error?.request_id === 'string' ? error.request_id : headerId,
    };
  }
}

/** A short description of an answer for a report line: `503 service_unavailable`, `200`. */
export function describeAnswer(answer: Answer): string {
  if (answer.code !== null) return `${answer.status} ${answer.code}`;
  const message = (answer.body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? `${answer.status} "${message}"` : String(answer.status);
}

/** What refusal a check expects: any credential failure, a route outside the key's permissions, a rate limit. */
export type RefusalKind = 'credential' | 'forbidden' | 'rate_limited';

const HTTP_FORBIDDEN = HTTP_API_ANSWERS.ACCESS_DENIED;

/** Whether an answer is an HTTP API's own 403 (`{"message":"Forbidden"}`), its answer to every refusal. */
export function isHttpApiForbidden(answer: Answer): boolean {
  return (
    HTTP_FORBIDDEN !== undefined &&
    answer.status === HTTP_FORBIDDEN.status &&
    (answer.body as { message?: unknown } | null)?.message === HTTP_FORBIDDEN.message
  );
}

/**
 * Whether an answer is the refusal expected, as the API type sends it (docs/protocol.md §5.3, §5.5): a
 * REST API's 401 `unauthorized` with the one message, 403 `forbidden`, 403 `rate_limited` with a
 * Retry-After; an HTTP API's 403 `Forbidden` for all three. Null when it is; else what is wrong.
 */
export function refusalProblem(answer: Answer, kind: RefusalKind, apiType: ApiType): string | null {
  if (apiType === 'http') {
    return isHttpApiForbidden(answer)
      ? null
      : `expected the HTTP API's 403 Forbidden, got ${describeAnswer(answer)}`;
  }
  if (kind === 'credential') {
    const message = (answer.body as { error?: { message?: unknown } } | null)?.error?.message;
    if (answer.status === 401 && answer.code === 'unauthorized' && message === UNAUTHORIZED_MESSAGE)
      return null;
    return `expected 401 unauthorized with latchkey's body, got ${describeAnswer(answer)}`;
  }
  if (answer.status !== 403 || answer.code !== kind)
    return `expected 403 ${kind}, got ${describeAnswer(answer)}`;
  if (kind === 'rate_limited' && !(Number(answer.headers.get('retry-after')) > 0))
    return 'expected a Retry-After header with the 403 rate_limited';
  return null;
}
