/**
 * API Gateway HTTP API (payload format 2.0) events, built the way API Gateway builds them and read the
 * way it reads the answers, beside apigw-rest.ts (same `EventTranslator`): a plain request → the Lambda
 * REQUEST authorizer's event → the verdict on its simple response → the Lambda proxy integration event →
 * the HTTP response; and the answers an HTTP API sends itself, which no gateway response can change.
 * Pure: no I/O. Tested against captured events (test/fixtures/apigw-http).
 *
 * AWS, API Gateway developer guide: "Working with AWS Lambda authorizers for HTTP APIs" (the 2.0 event,
 * the simple response, identity sources: "If the client's request doesn't include the identity sources,
 * API Gateway doesn't invoke your Lambda authorizer, and the client receives a 401 error"; "If API Gateway
 * can't invoke your Lambda authorizer, or your Lambda authorizer returns a response in an invalid format,
 * clients receive a 500 Internal Server Error") and "Working with AWS Lambda proxy integrations for HTTP
 * APIs" (the 2.0 event: "Duplicate headers are combined with commas", "All cookie headers in the request
 * are combined with commas and added to the cookies field"; the response format and its defaults).
 */
import type { APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { corsGatewayHeaders } from '../core/cors';
import type { GatewayError, GatewayResponseOptions, GatewayResponseType } from '../core/gateway-responses';
import type { RouteMatch } from '../core/routes';
import { clfTime, proxyBody } from './apigw-rest';
import type {
  ApiIdentity,
  AuthorizerVerdict,
  EventTranslator,
  GatewayRequest,
  HttpResponse,
} from './gateway-request';
import { gatewayErrorResponse } from './gateway-request';

/** An HTTP API's proxy integration event (payload 2.0), as the local gateway builds it. */
export interface HttpApiEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: Record<string, unknown>;
  body?: string;
  pathParameters?: Record<string, string>;
  isBase64Encoded: boolean;
}

/** Null-prototype maps, so a header or parameter named `__proto__` or `toString` is just a name. */
const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/**
 * Headers as an HTTP API passes them: names lower-cased, repeated lines joined with commas, and `cookie`
 * lines moved to `cookies` (one entry per cookie).
 */
export function httpApiHeaders(rawHeaders: readonly string[]): {
  headers: Record<string, string>;
  cookies: string[];
} {
  const headers = record<string>();
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      );
      continue;
    }
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${existing},${value}`;
  }
  return { headers, cookies };
}

/** Query parameters as an HTTP API passes them: repeated ones joined with commas. */
export function httpApiQuery(query: string): Record<string, string> {
  const out = record<string>();
  for (const [k, v] of new URLSearchParams(query)) {
    const existing = out[k];
    out[k] = existing === undefined ? v : `${existing},${v}`;
  }
  return out;
}

/** `METHOD /path` of the route that matched, as API Gateway names it. */
export function routeKeyOf(match: RouteMatch): string {
  return `${match.route.method} ${match.route.path}`;
}

/**
 * The Authorization header's value, listed as the event's identity source (null when absent or blank).
 * The authorizer has no identity source configured (lib/cdk/authorizer.ts), so nothing is refused on it.
 */
function identity(request: GatewayRequest): string | null {
  const value = httpApiHeaders(request.rawHeaders).headers.authorization;
  return value === undefined || value.trim() === '' ? null : value;
}

function requestContext(request: GatewayRequest, match: RouteMatch, api: ApiIdentity) {
  const { headers } = httpApiHeaders(request.rawHeaders);
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: api.domainName,
    domainPrefix: api.domainPrefix,
    http: {
      method: request.method,
      path: request.path,
      protocol: 'HTTP/1.1',
      sourceIp: request.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: request.requestId,
    routeKey: routeKeyOf(match),
    stage: api.stage,
    time: clfTime(request.time),
    timeEpoch: request.time.getTime(),
  };
}

/** Optional fields: an HTTP API leaves out what the request does not have (the captured events do). */
function present<T extends object>(name: string, value: T | null): Record<string, T> {
  return value !== null && Object.keys(value).length > 0 ? { [name]: value } : {};
}

function authorizerEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
): APIGatewayRequestAuthorizerEventV2 {
  const { headers, cookies } = httpApiHeaders(request.rawHeaders);
  const source = identity(request);
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${request.method}${request.path}`,
    identitySource: source === null ? [] : [source],
    routeKey: routeKeyOf(match),
    rawPath: request.path,
    rawQueryString: request.query,
    ...present('cookies', cookies),
    headers,
    ...present('queryStringParameters', httpApiQuery(request.query)),
    requestContext: requestContext(request, match, api),
    ...present('pathParameters', match.pathParameters),
  } as APIGatewayRequestAuthorizerEventV2;
}

/**
 * API Gateway's checks on a simple response: `isAuthorized` a boolean and `context`, when present, an
 * object. Context values reach the integration as returned (AWS's example passes numbers, booleans,
 * arrays and maps); the verdict carries them as strings for the local gateway's own use.
 */
function verdict(answer: unknown): AuthorizerVerdict {
  if (typeof answer !== 'object' || answer === null) return { kind: 'invalid' };
  const v = answer as { isAuthorized?: unknown; context?: unknown };
  if (typeof v.isAuthorized !== 'boolean') return { kind: 'invalid' };
  if (
    v.context !== undefined &&
    v.context !== null &&
    (typeof v.context !== 'object' || Array.isArray(v.context))
  )
    return { kind: 'invalid' };
  const raw = (v.context ?? {}) as Record<string, unknown>;
  const context = record<string>();
  for (const [k, val] of Object.entries(raw))
    context[k] = typeof val === 'string' ? val : JSON.stringify(val);
  if (!v.isAuthorized) return { kind: 'deny', context };
  return { kind: 'allow', principalId: '', context, raw };
}

/**
 * The Lambda proxy integration's event; after a yes, `requestContext.authorizer.lambda` holds the
 * authorizer's context as it returned it.
 */
function proxyEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
  allowed: { context: Record<string, string>; raw?: Record<string, unknown> } | null,
): HttpApiEvent {
  const { headers, cookies } = httpApiHeaders(request.rawHeaders);
  const { body, isBase64Encoded } = proxyBody(request.body);
  const context = requestContext(request, match, api);
  return {
    version: '2.0',
    routeKey: routeKeyOf(match),
    rawPath: request.path,
    rawQueryString: request.query,
    ...present('cookies', cookies),
    headers,
    ...present('queryStringParameters', httpApiQuery(request.query)),
    requestContext:
      allowed === null ? context : { ...context, authorizer: { lambda: allowed.raw ?? allowed.context } },
    ...(body === null ? {} : { body }),
    ...present('pathParameters', match.pathParameters),
    isBase64Encoded,
  };
}

/** The header an HTTP API names its request id in. Not verified on AWS. */
export const HTTP_API_REQUEST_ID_HEADER = 'apigw-requestid';

/**
 * A proxy integration's answer as a response (format 2.0): a structured result as given; any other JSON
 * value becomes a 200 `application/json` body, as AWS documents. Null for an answer API Gateway cannot
 * use (500).
 */
function response(answer: unknown, requestId: string): HttpResponse | null {
  if (answer === undefined) return null;
  const headers = record<string>();
  headers[HTTP_API_REQUEST_ID_HEADER] = requestId;
  const structured =
    typeof answer === 'object' && answer !== null && 'statusCode' in answer
      ? (answer as APIGatewayProxyStructuredResultV2)
      : null;
  if (structured === null) {
    headers['content-type'] = 'application/json';
    return { statusCode: 200, headers, body: typeof answer === 'string' ? answer : JSON.stringify(answer) };
  }
  if (
    typeof structured.statusCode !== 'number' ||
    (structured.body !== undefined && typeof structured.body !== 'string')
  ) {
    return null;
  }
  for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies.join(', ');
  const body = structured.isBase64Encoded
    ? Buffer.from(structured.body ?? '', 'base64')
    : (structured.body ?? '');
  return { statusCode: structured.statusCode, headers, body };
}

/**
 * What an HTTP API answers itself, by what happened (named by the REST API's gateway response types):
 * its own status and `{"message": …}` body, which no setting changes (HTTP APIs have no gateway
 * responses). The 401, the 500s of the authorizer and of the integration are AWS's documented behaviour
 * (see the module's overview); the 403 for `isAuthorized: false`, the 404 for a path no route matches,
 * the 413 and the messages are not verified on AWS. docs/deploy.md ("REST API or HTTP API") shows the
 * same table.
 */
export const HTTP_API_ANSWERS: Readonly<
  Partial<Record<GatewayResponseType, { status: number; message: string }>>
> = {
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { status: 403, message: 'Forbidden' },
  MISSING_AUTHENTICATION_TOKEN: { status: 404, message: 'Not Found' },
  AUTHORIZER_FAILURE: { status: 500, message: 'Internal Server Error' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: 'Internal Server Error' },
  INTEGRATION_FAILURE: { status: 500, message: 'Internal Server Error' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Entity Too Large' },
};

/** An HTTP API's own answer; latchkey's error body for what only the local gateway refuses (a non-loopback Host). */
function refusal(
  type: GatewayResponseType,
  requestId: string,
  context?: Record<string, string>,
  error?: GatewayError,
  options: GatewayResponseOptions = {},
): HttpResponse {
  const answer = HTTP_API_ANSWERS[type];
  if (answer === undefined) return gatewayErrorResponse(type, requestId, context, error, options);
  return {
    statusCode: answer.status,
    // With `corsAllowOrigin`, the HTTP API's CORS configuration adds its headers to its own answers too
    // (AWS, "Configuring CORS for an HTTP API"; not verified on AWS).
    headers: {
      'content-type': 'application/json',
      [HTTP_API_REQUEST_ID_HEADER]: requestId,
      ...corsGatewayHeaders(options.corsAllowOrigin),
    },
    body: JSON.stringify({ message: answer.message }),
  };
}

/**
 * Any error from the authorizer function is a failed invocation: 500, whatever its message (AWS documents
 * no `Unauthorized` error for HTTP APIs; latchkey's authorizer never throws one for them).
 */
function thrown(): GatewayResponseType {
  return 'AUTHORIZER_FAILURE';
}

/** The HTTP API's translator (payload format 2.0). */
export const HTTP_API: EventTranslator<APIGatewayRequestAuthorizerEventV2, HttpApiEvent> = {
  identity,
  authorizerEvent,
  verdict,
  proxyEvent,
  response,
  refusal,
  thrown,
  corsMethods: 'any',
};
