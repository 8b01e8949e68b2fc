/**
 * What a client sees for each refusal, by API type: the table docs/deploy.md ("REST API or HTTP API")
 * shows, for tests that run against both. A REST API answers with latchkey's gateway responses (its
 * error body and codes, `Retry-After` on a rate limit); an HTTP API with its own fixed answers
 * (lib/local/apigw-http.ts), the same 403 for every refusal of a verified or unverified credential.
 */
import { expect } from 'vitest';
import { API_TYPES, type ApiType } from '#core/settings';
import { HTTP_API_ANSWERS } from '#local/apigw-http';
import type { ApiResponse } from './local';

export { API_TYPES, type ApiType };

/** Why the API refuses a request before any integration runs. */
export type RefusalKind =
  /** No credential at all: the authorizer (which has no identity source) refuses it as `missing`. */
  | 'missing_credential'
  /** Any credential failure: malformed, unknown, revoked, expired, bad signature, replayed… */
  | 'bad_credential'
  /** A valid credential on a route its permissions do not cover. */
  | 'forbidden_route'
  /** A key over its rate_limit_per_minute. */
  | 'rate_limited'
  /** A key whose credits are below the call's cost. */
  | 'credits_exhausted'
  /** DynamoDB or Secrets Manager failed while the authorizer checked the credential. */
  | 'dependency_failure';

export interface ExpectedRefusal {
  status: number;
  /** latchkey's error code (REST API), or null where the body is the HTTP API's `{"message": …}`. */
  code: string | null;
  /** The HTTP API's message, or null where the body is latchkey's. */
  message: string | null;
  retryAfter: boolean;
}

const rest = (status: number, code: string, retryAfter = false): ExpectedRefusal => ({
  status,
  code,
  message: null,
  retryAfter,
});
const http = (type: keyof typeof HTTP_API_ANSWERS): ExpectedRefusal => {
  const answer = HTTP_API_ANSWERS[type];
  if (answer === undefined) throw new Error(`no HTTP API answer ${type}`);
  return { status: answer.status, code: null, message: answer.message, retryAfter: false };
};

export const REFUSALS: Readonly<Record<ApiType, Readonly<Record<RefusalKind, ExpectedRefusal>>>> = {
  rest: {
    missing_credential: rest(401, 'unauthorized'),
    bad_credential: rest(401, 'unauthorized'),
    forbidden_route: rest(403, 'forbidden'),
    rate_limited: rest(403, 'rate_limited', true),
    credits_exhausted: rest(403, 'credits_exhausted'),
    dependency_failure: rest(503, 'service_unavailable'),
  },
  http: {
    missing_credential: http('ACCESS_DENIED'),
    bad_credential: http('ACCESS_DENIED'),
    forbidden_route: http('ACCESS_DENIED'),
    rate_limited: http('ACCESS_DENIED'),
    credits_exhausted: http('ACCESS_DENIED'),
    dependency_failure: http('AUTHORIZER_FAILURE'),
  },
};

/** Asserts that a response is the refusal `kind` as the API of `apiType` sends it. */
export function expectRefusal(res: ApiResponse<unknown>, apiType: ApiType, kind: RefusalKind): void {
  const expected = REFUSALS[apiType][kind];
  const where = `${apiType} ${kind}: ${res.status} ${res.text}`;
  expect(res.status, where).toBe(expected.status);
  const body = res.body as { error?: { code?: unknown }; message?: unknown } | null;
  if (expected.code !== null) expect(body?.error?.code, where).toBe(expected.code);
  if (expected.message !== null) expect(body, where).toEqual({ message: expected.message });
  if (expected.retryAfter) expect(Number(res.headers.get('retry-after')), where).toBeGreaterThan(0);
  else expect(res.headers.get('retry-after'), where).toBeNull();
}

/** Whether a response is one of the HTTP API's own answers (which no OpenAPI document describes). */
export function isHttpApiAnswer(status: number, text: string): boolean {
  return Object.values(HTTP_API_ANSWERS).some(
    (a) => a !== undefined && a.status === status && text === JSON.stringify({ message: a.message }),
  );
}
