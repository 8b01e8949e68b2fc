import { corsGatewayHeaders } from './cors';
import { ERROR_STATUS, type ErrorCode, UNAUTHORIZED_MESSAGE } from './errors';
import type { AuthorizerContext } from './principal';
import { ROUTE_NOT_FOUND_MESSAGE } from './routes';

/**
 * The responses API Gateway itself sends (before or instead of an integration), in the one error
 * body shape. The CDK stack installs them as gateway responses; the local gateway renders the same
 * templates. Templates are plain substitution (API Gateway does not run VTL on them), so only
 * `$context.requestId`, `$context.authorizer.*` and `$context.error.messageString` appear.
 * `DEFAULT_4XX` and `DEFAULT_5XX` have no status code of their own: a status there would replace the
 * status of every response type without its own response (a WAF 403, a 415, …), so they keep API
 * Gateway's status and carry its message.
 */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'REQUEST_TOO_LARGE'
  | 'THROTTLED'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'WAF_FILTERED'
  | 'QUOTA_EXCEEDED'
  | 'RESOURCE_NOT_FOUND'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayResponseSpec {
  type: GatewayResponseType;
  /** `null`: API Gateway's own status is kept (the DEFAULT_* fallbacks). */
  statusCode: number | null;
  /** An error code, or `$context.authorizer.error_code` for the authorizer's Deny reasons. */
  code: ErrorCode | '$context.authorizer.error_code';
  message: string;
  /**
   * Headers taken from the authorizer's context: header name → context key (`retry_after` →
   * `context.authorizer.retry_after`). Left out of the answer when the value is empty.
   */
  contextHeaders?: Readonly<Record<string, keyof AuthorizerContext>>;
}

/**
 * Headers on every JSON answer of the API, the Lambdas' and API Gateway's own alike: a browser must
 * never sniff an answer (one carrying a new key's `raw_key`, say) into something it would run.
 */
export const API_JSON_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

/** What a deployment adds to every gateway response. */
export interface GatewayResponseOptions {
  /** The `corsAllowOrigin` setting: the CORS headers of `corsGatewayHeaders`. @default - CORS off */
  readonly corsAllowOrigin?: string;
}

/** The static headers of every gateway response: `API_JSON_HEADERS`, and the CORS ones when on. */
function staticHeaders(options: GatewayResponseOptions): Record<string, string> {
  return { ...API_JSON_HEADERS, ...corsGatewayHeaders(options.corsAllowOrigin) };
}

/**
 * The static headers as a gateway response's header parameters, values in single quotes: AWS,
 * API Gateway developer guide, "x-amazon-apigateway-gateway-responses.gatewayResponse object"
 * (`responseParameters` take "a static custom value") and CDK's `GatewayResponseOptions.responseHeaders`
 * ("values must be enclosed within a pair of single quotes"). Not verified on AWS.
 */
export function gatewayResponseHeaders(
  spec?: GatewayResponseSpec,
  options: GatewayResponseOptions = {},
): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(staticHeaders(options)).map(([name, value]) => [name, `'${value}'`]),
    ),
    ...contextHeaderParameters(spec),
  };
}

/**
 * A gateway response's headers read from the authorizer context, as response parameters
 * (`context.authorizer.<key>`, unquoted): AWS, API Gateway developer guide, "Parameter mapping source
 * reference for REST APIs" (context variables are a mapping source; `$context.authorizer.<property>`
 * is one) and "x-amazon-apigateway-gateway-responses.responseParameters". Not verified on AWS, nor what
 * API Gateway sends when the value is empty (a `forbidden` Deny carries `retry_after: ''`); the local
 * gateway leaves such a header out.
 */
function contextHeaderParameters(spec?: GatewayResponseSpec): Record<string, string> {
  return Object.fromEntries(
    Object.entries(spec?.contextHeaders ?? {}).map(([name, key]) => [name, `context.authorizer.${key}`]),
  );
}

/**
 * The codes `ACCESS_DENIED` (403) carries from the authorizer's Deny: `forbidden` for a permission the
 * key lacks, `rate_limited` for a key over its own per-minute limit, `ip_not_allowed` for a key used from
 * outside its `allowed_cidrs`, `credits_exhausted` for a key whose credits are below the call's cost.
 */
export const ACCESS_DENIED_CODES: readonly ErrorCode[] = [
  'forbidden',
  'rate_limited',
  'ip_not_allowed',
  'credits_exhausted',
];

/** Every status an error code comes with: its own (errors.ts) and those of the gateway responses. */
export function statusesOfCode(code: ErrorCode): number[] {
  const statuses = new Set<number>([ERROR_STATUS[code]]);
  for (const r of GATEWAY_RESPONSES) {
    if (r.statusCode === null) continue;
    const codes = r.code === '$context.authorizer.error_code' ? ACCESS_DENIED_CODES : [r.code];
    if (codes.includes(code)) statuses.add(r.statusCode);
  }
  return [...statuses].sort((a, b) => a - b);
}

/** API Gateway's own message for the response, as a quoted JSON string. */
const ERROR_MESSAGE_STRING = '$context.error.messageString';

export const GATEWAY_RESPONSES: readonly GatewayResponseSpec[] = [
  { type: 'UNAUTHORIZED', statusCode: 401, code: 'unauthorized', message: UNAUTHORIZED_MESSAGE },
  {
    type: 'ACCESS_DENIED',
    statusCode: 403,
    code: '$context.authorizer.error_code',
    message: '$context.authorizer.error_message',
    // A key over its rate limit: the seconds until its window ends (RFC 9110 §10.2.3), and the IETF
    // RateLimit fields (draft-ietf-httpapi-ratelimit-headers), for any HTTP client. The authorizer
    // writes each value whole into its context: a mapping copies one context value, unchanged.
    contextHeaders: {
      'retry-after': 'retry_after',
      ratelimit: 'ratelimit',
      'ratelimit-policy': 'ratelimit_policy',
    },
  },
  {
    type: 'MISSING_AUTHENTICATION_TOKEN',
    statusCode: 404,
    code: 'not_found',
    message: ROUTE_NOT_FOUND_MESSAGE,
  },
  {
    type: 'AUTHORIZER_FAILURE',
    statusCode: 503,
    code: 'service_unavailable',
    message: 'Credentials could not be checked right now. Try again shortly.',
  },
  {
    type: 'AUTHORIZER_CONFIGURATION_ERROR',
    statusCode: 500,
    code: 'internal_error',
    message: 'The authorizer returned an invalid response.',
  },
  {
    type: 'REQUEST_TOO_LARGE',
    statusCode: 413,
    code: 'payload_too_large',
    message: 'The request is too large.',
  },
  {
    type: 'THROTTLED',
    statusCode: 429,
    code: 'rate_limited',
    message: 'Too many requests to this API. Slow down.',
  },
  {
    type: 'INTEGRATION_FAILURE',
    statusCode: 502,
    code: 'internal_error',
    message: 'The integration failed.',
  },
  {
    type: 'INTEGRATION_TIMEOUT',
    statusCode: 504,
    code: 'service_unavailable',
    message: 'The integration timed out.',
  },
  {
    type: 'WAF_FILTERED',
    statusCode: 403,
    code: 'forbidden',
    message: 'The request was blocked by the web application firewall.',
  },
  {
    type: 'QUOTA_EXCEEDED',
    statusCode: 429,
    code: 'rate_limited',
    message: 'The usage plan quota is exhausted. Try again later.',
  },
  {
    type: 'RESOURCE_NOT_FOUND',
    statusCode: 404,
    code: 'not_found',
    message: ROUTE_NOT_FOUND_MESSAGE,
  },
  { type: 'DEFAULT_4XX', statusCode: null, code: 'invalid_request', message: ERROR_MESSAGE_STRING },
  { type: 'DEFAULT_5XX', statusCode: null, code: 'internal_error', message: ERROR_MESSAGE_STRING },
];

/** The body template, as installed on API Gateway. */
export function gatewayResponseTemplate(spec: GatewayResponseSpec): string {
  // $context.error.messageString is already a quoted JSON string.
  const message = spec.message === ERROR_MESSAGE_STRING ? spec.message : `"${spec.message}"`;
  return `{"error":{"code":"${spec.code}","message":${message},"request_id":"$context.requestId"}}`;
}

export function gatewayResponseSpec(type: GatewayResponseType): GatewayResponseSpec {
  const spec = GATEWAY_RESPONSES.find((r) => r.type === type);
  if (!spec) throw new Error(`no gateway response ${type}`);
  return spec;
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** What API Gateway itself answered, for the DEFAULT_* responses that keep its status and message. */
export interface GatewayError {
  statusCode: number;
  message: string;
}

/** Renders a gateway response as API Gateway would (used by the local gateway). */
export function renderGatewayResponse(
  type: GatewayResponseType,
  requestId: string,
  authorizer: Readonly<Record<string, string>> = {},
  error?: GatewayError,
  options: GatewayResponseOptions = {},
): { statusCode: number; body: string; headers: Readonly<Record<string, string>> } {
  const spec = gatewayResponseSpec(type);
  const statusCode = spec.statusCode ?? error?.statusCode;
  if (statusCode === undefined) throw new Error(`${type} needs the status API Gateway chose`);
  // One pass with a function replacement: substituted values are never re-read as templates.
  const body = gatewayResponseTemplate(spec).replace(
    /\$context\.(?:authorizer\.([A-Za-z0-9_]+)|requestId|error\.messageString)/g,
    (match: string, name: string | undefined) => {
      if (match === ERROR_MESSAGE_STRING) return JSON.stringify(error?.message ?? '');
      return jsonEscape(name === undefined ? requestId : (authorizer[name] ?? ''));
    },
  );
  const headers: Record<string, string> = staticHeaders(options);
  for (const [name, key] of Object.entries(spec.contextHeaders ?? {})) {
    const value = authorizer[key];
    if (value !== undefined && value !== '') headers[name] = value;
  }
  return { statusCode, body, headers };
}
