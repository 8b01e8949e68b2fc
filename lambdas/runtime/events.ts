/**
 * The two API Gateway event shapes latchkey's functions accept, read once into plain values: a REST API's
 * (payload format 1.0) and an HTTP API's (payload format 2.0, `version: "2.0"`). `authorizerRequestOf`
 * reads a REQUEST authorizer event, `proxyRequestOf` a Lambda proxy integration event; nothing past
 * them looks at which API sent the event. Logs nothing: `latchkey/integration` bundles it.
 *
 * Payload format 2.0 as AWS documents it (API Gateway developer guide, "Working with AWS Lambda
 * authorizers for HTTP APIs" and "Working with AWS Lambda proxy integrations for HTTP APIs"): header
 * names lower-cased, repeated headers "combined with commas" in `headers` (no `multiValueHeaders`),
 * cookies moved to `cookies`, the method at `requestContext.http.method`, the path as sent at `rawPath`,
 * the route as `routeKey` (`GET /v1/keys/{id}`), and an authorizer's context at
 * `requestContext.authorizer.lambda`. Checked against captured events (test/fixtures/apigw-http).
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';

/** A REST API's (1.0) or an HTTP API's (2.0) REQUEST authorizer event. */
export type AuthorizerEvent = APIGatewayRequestAuthorizerEvent | APIGatewayRequestAuthorizerEventV2;

/** A Lambda proxy integration event after the latchkey authorizer: context values arrive as strings (1.0) or as returned (2.0). */
export type HttpApiProxyEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown> | null>;
export type ProxyEvent = APIGatewayProxyEvent | HttpApiProxyEvent;

/** Whether an event is payload format 2.0 (an HTTP API's): AWS marks those `version: "2.0"`. */
export function isPayloadV2<V1 extends object, V2 extends { version: string }>(event: V1 | V2): event is V2 {
  return (event as { version?: unknown }).version === '2.0';
}

/** Header names lower-cased, in a null-prototype object (a header named `__proto__` is only a name). */
export function lowerCaseHeaders(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

type HeaderLines = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * How many lines of a header (name compared case-insensitively) a REST API event says the request
 * carried. In REST API events, proxy and REQUEST authorizer alike, `headers` holds one value per name
 * (the last, as `queryStringParameters` holds the last of a repeated parameter) and `multiValueHeaders`
 * every line: AWS, API Gateway developer guide, "Set up Lambda proxy integrations in API Gateway" (input
 * format, multi-value headers) and "Input to an API Gateway Lambda authorizer" (REQUEST type). Repeated
 * request headers are not verified on AWS; the local gateway builds both fields the same way.
 */
export function headerLineCount(
  event: {
    headers?: Readonly<Record<string, string | undefined>> | null;
    multiValueHeaders?: HeaderLines | null;
  },
  name: string,
): number {
  const wanted = name.toLowerCase();
  const matching = (input: object | null | undefined) =>
    Object.entries(input ?? {}).filter(([key, value]) => key.toLowerCase() === wanted && value !== undefined);
  const multi = matching(event.multiValueHeaders);
  if (multi.length > 0) return multi.reduce((n, [, lines]) => n + (lines as readonly string[]).length, 0);
  return matching(event.headers).length;
}

/**
 * Whether a payload 2.0 `Content-Digest` value may hold more than one entry. HTTP APIs join repeated
 * headers with commas, so two lines cannot be told from a one-line list; a single sha-512 digest
 * (`sha-512=:<base64>:`) never holds a comma, so either is refused as repeated (fail closed).
 */
function joinedHeaderIsRepeated(value: string | undefined): boolean {
  return value?.includes(',') ?? false;
}

/** What the authorizer reads from either event shape. */
export interface AuthorizerRequest {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  method: string;
  /** The path as the client sent it (with the stage where the URL has one), as clients sign it. */
  path: string;
  contentDigestRepeated: boolean;
  requestId: string | undefined;
  /**
   * The address API Gateway saw the request come from: REST `requestContext.identity.sourceIp`, HTTP API
   * `requestContext.http.sourceIp` (the TCP peer of API Gateway; behind CloudFront, CloudFront's
   * address — docs/security.md). Undefined when the event has none.
   */
  sourceIp: string | undefined;
  /**
   * The resource path of the route API Gateway matched (REST `resource`; HTTP API the path of
   * `routeKey`), e.g. `/v1/echo/{proxy+}`; null when the event names none. Read for the route's credit cost.
   */
  resource: string | null;
  /**
   * Where API Gateway will apply the answer: a REST API evaluates a policy against `methodArn`; an HTTP
   * API with simple responses takes a yes or no for the route `routeKey` names (`ANY /v1/echo/{proxy+}`).
   */
  target: { api: 'rest'; methodArn: string } | { api: 'http'; routeKey: string };
}

export function authorizerRequestOf(event: AuthorizerEvent): AuthorizerRequest {
  const headers = lowerCaseHeaders(event.headers);
  if (isPayloadV2<APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2>(event)) {
    return {
      headers,
      method: event.requestContext?.http?.method ?? '',
      path: event.rawPath,
      contentDigestRepeated: joinedHeaderIsRepeated(headers['content-digest']),
      requestId: event.requestContext?.requestId,
      sourceIp: nonEmpty(event.requestContext?.http?.sourceIp),
      resource: routeKeyParts(event.routeKey)?.path ?? null,
      target: { api: 'http', routeKey: event.routeKey },
    };
  }
  return {
    headers,
    method: event.httpMethod,
    // The path as the client sent it: with the stage on execute-api URLs, as clients sign it.
    path: event.requestContext?.path ?? event.path,
    contentDigestRepeated: headerLineCount(event, 'content-digest') > 1,
    requestId: event.requestContext?.requestId,
    sourceIp: nonEmpty(event.requestContext?.identity?.sourceIp),
    resource: nonEmpty(event.resource) ?? null,
    target: { api: 'rest', methodArn: event.methodArn },
  };
}

const nonEmpty = (value: string | null | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The route a payload 2.0 `routeKey` names, split (`GET /v1/keys/{id}` → `GET`, `/v1/keys/{id}`); null
 * for `$default` or anything else that is not `METHOD /path`.
 */
export function routeKeyParts(routeKey: string): { method: string; path: string } | null {
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  return match ? { method: match[1] as string, path: match[2] as string } : null;
}

/** What every integration reads from either proxy event shape. */
export interface ProxyRequest {
  method: string;
  /** The route's path template, e.g. `/v1/keys/{id}` (empty when the event names none). */
  resource: string;
  /** The path as the client sent it (with the stage where the URL has one). */
  path: string;
  /** The path inside the API: no stage, no custom domain's base path (`/console/app.js`). */
  routePath: string;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The body's raw bytes (API Gateway's base64 decoded); null without a body. */
  rawBody: Buffer | null;
  requestId: string;
  /** The latchkey authorizer's context; null when the route has no authorizer. */
  authorizer: Readonly<Record<string, unknown>> | null;
  /** The request carried more than one `Content-Digest` (`headers` holds one value). */
  contentDigestRepeated: boolean;
}

/** The defined entries of an event map (parameters, query), in a null-prototype object. */
export function definedValues(
  input: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(input ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

export function rawBodyOf(event: { body?: string | null; isBase64Encoded?: boolean }): Buffer | null {
  if (event.body === null || event.body === undefined) return null;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

function objectOrNull(value: unknown): Readonly<Record<string, unknown>> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

export function proxyRequestOf(event: ProxyEvent): ProxyRequest {
  const headers = lowerCaseHeaders(event.headers);
  if (isPayloadV2<APIGatewayProxyEvent, HttpApiProxyEvent>(event)) {
    const resource = routeKeyParts(event.routeKey ?? '')?.path ?? '';
    const pathParameters = definedValues(event.pathParameters);
    return {
      method: event.requestContext?.http?.method ?? '',
      resource,
      path: event.rawPath,
      routePath: routedPath(resource, pathParameters),
      pathParameters,
      query: definedValues(event.queryStringParameters),
      headers,
      rawBody: rawBodyOf(event),
      requestId: event.requestContext?.requestId ?? 'unknown',
      authorizer: objectOrNull(objectOrNull(event.requestContext?.authorizer)?.lambda),
      contentDigestRepeated: joinedHeaderIsRepeated(headers['content-digest']),
    };
  }
  return {
    method: event.httpMethod,
    resource: event.resource,
    path: event.requestContext?.path ?? event.path,
    // REST events carry it: the resource path with the parameters as sent.
    routePath: event.path,
    pathParameters: definedValues(event.pathParameters),
    query: definedValues(event.queryStringParameters),
    headers,
    rawBody: rawBodyOf(event),
    requestId: event.requestContext?.requestId ?? 'unknown',
    authorizer: objectOrNull(event.requestContext?.authorizer),
    contentDigestRepeated: headerLineCount(event, 'content-digest') > 1,
  };
}

/**
 * The path inside the API from a payload 2.0 event, which carries only the path as sent (with the
 * stage, or a custom domain's base path): the route's template with its path parameters filled in
 * (`/console/{proxy+}` and `proxy=app.js` → `/console/app.js`).
 */
export function routedPath(resource: string, pathParameters: Readonly<Record<string, string>>): string {
  return resource.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_, name: string) =>
    Object.hasOwn(pathParameters, name) ? (pathParameters[name] as string) : '',
  );
}
