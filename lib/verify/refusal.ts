/**
 * What `verify` answers when it refuses: one value per refusal with the exact status, latchkey's error
 * code and body, and the headers to send — `Retry-After` on 429. Every credential failure is the same
 * 401; the reason is for your logs only, never for the response.
 */
import {
  CREDITS_EXHAUSTED_MESSAGE,
  type ErrorBody,
  errorBody,
  IP_NOT_ALLOWED_MESSAGE,
  rateLimitedMessage,
  UNAUTHORIZED_MESSAGE,
} from '#core/errors';
import { API_JSON_HEADERS, gatewayResponseSpec } from '#core/gateway-responses';
import { FORBIDDEN_MESSAGE } from '#core/principal';
import type { RefusalReason } from '#core/refusals';
import { ROUTE_NOT_FOUND_MESSAGE } from '#core/routes';

/**
 * Why a request was refused: a credential reason of latchkey's refusal table (docs/protocol.md,
 * "Refusal reasons"; `rate_limited` and `credits_exhausted` answer 429 here, `ip_not_allowed` 403), or `forbidden` (the key lacks the route's
 * permission), `route_not_found` (no route of the table matches), `dependency_failure` (DynamoDB or
 * Secrets Manager failed: fail closed); and two an adapter finds before verifying: `body_too_large`
 * (413, past the adapter's body limit) and `body_unavailable` (500: a body parser consumed the body
 * without keeping its bytes, so a signed body cannot be checked).
 */
export type RefusalCause =
  | RefusalReason
  | 'forbidden'
  | 'route_not_found'
  | 'dependency_failure'
  | 'body_too_large'
  | 'body_unavailable';

/** The statuses, codes and messages `verify` refuses with. */
const ANSWERS = {
  unauthorized: { status: 401, message: () => UNAUTHORIZED_MESSAGE },
  forbidden: { status: 403, message: () => FORBIDDEN_MESSAGE },
  ip_not_allowed: { status: 403, message: () => IP_NOT_ALLOWED_MESSAGE },
  not_found: { status: 404, message: () => ROUTE_NOT_FOUND_MESSAGE },
  payload_too_large: { status: 413, message: () => 'The request body is too large.' },
  rate_limited: { status: 429, message: (seconds: number) => rateLimitedMessage(seconds) },
  credits_exhausted: { status: 429, message: () => CREDITS_EXHAUSTED_MESSAGE },
  internal_error: {
    status: 500,
    message: () => 'The request body could not be read to verify the request.',
  },
  service_unavailable: {
    status: 503,
    message: () => gatewayResponseSpec('AUTHORIZER_FAILURE').message,
  },
} as const;

export type RefusalCode = keyof typeof ANSWERS;
export type RefusalStatus = (typeof ANSWERS)[RefusalCode]['status'];

export interface VerifyRefusal {
  readonly allowed: false;
  readonly status: RefusalStatus;
  readonly code: RefusalCode;
  /** For your logs: never send it (every credential failure is the same 401). */
  readonly reason: RefusalCause;
  /** The key id the credential named, when it named one (for your logs). */
  readonly keyId: string | null;
  /** Set on 429: the seconds until the key's rate-limit window ends (also in `headers`). */
  readonly retryAfterSeconds: number | null;
  /** The headers to answer with: JSON content type, no-store, nosniff, x-request-id, retry-after on 429. */
  readonly headers: Readonly<Record<string, string>>;
  /** latchkey's error body: `{"error": {"code", "message", "request_id"}}`. */
  readonly body: ErrorBody;
  readonly requestId: string;
  /** `dependency_failure`: the error, for your logs (it holds no credential). */
  readonly error?: unknown;
}

function codeOf(reason: RefusalCause): RefusalCode {
  switch (reason) {
    case 'forbidden':
      return 'forbidden';
    case 'ip_not_allowed':
      return 'ip_not_allowed';
    case 'route_not_found':
      return 'not_found';
    case 'rate_limited':
      return 'rate_limited';
    case 'credits_exhausted':
      return 'credits_exhausted';
    case 'dependency_failure':
      return 'service_unavailable';
    case 'body_too_large':
      return 'payload_too_large';
    case 'body_unavailable':
      return 'internal_error';
    default:
      return 'unauthorized';
  }
}

export function refusal(
  reason: RefusalCause,
  requestId: string,
  details: { keyId?: string | null; retryAfterSeconds?: number; error?: unknown } = {},
): VerifyRefusal {
  const code = codeOf(reason);
  const answer = ANSWERS[code];
  const retryAfterSeconds = code === 'rate_limited' ? (details.retryAfterSeconds ?? 60) : null;
  const headers: Record<string, string> = {
    ...API_JSON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...(retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) }),
  };
  return {
    allowed: false,
    status: answer.status,
    code,
    reason,
    keyId: details.keyId ?? null,
    retryAfterSeconds,
    headers,
    body: errorBody(code, answer.message(retryAfterSeconds ?? 0), requestId),
    requestId,
    ...(details.error === undefined ? {} : { error: details.error }),
  };
}
