/**
 * What the local gateway's server and its event translators share, whatever API Gateway flavour is
 * imitated: the plain request the server reads off the socket (`GatewayRequest`), the API it pretends
 * to be (`ApiIdentity`), the plain response it writes (`HttpResponse`), the contract a translator keeps
 * (`EventTranslator`: request → authorizer event → verdict → proxy event → response, and the API's own
 * refusals; apigw-rest.ts is the REST API's, payload format 1.0, apigw-http.ts the HTTP API's, 2.0), and latchkey's gateway responses rendered as responses. Pure.
 */
import {
  type GatewayError,
  type GatewayResponseOptions,
  type GatewayResponseType,
  renderGatewayResponse,
} from '../core/gateway-responses';
import type { RouteMatch } from '../core/routes';

/** A request as it came off the socket, before any API Gateway event shape. */
export interface GatewayRequest {
  /** API Gateway's request id: the error bodies' `request_id`. */
  requestId: string;
  time: Date;
  /** Upper-cased. */
  method: string;
  /** The path exactly as the client sent it (no query). */
  path: string;
  /** The query string without its `?` (as the URL parser reads it: no fragment). */
  query: string;
  /** Node's `rawHeaders`: name, value, name, value… in the client's order and spelling. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
}

/** Which API the local gateway stands in for: what its events name. */
export interface ApiIdentity {
  accountId: string;
  apiId: string;
  region: string;
  stage: string;
  deploymentId: string;
  /** `host:port` the gateway listens on. */
  domainName: string;
  domainPrefix: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** What API Gateway makes of an authorizer's answer. */
export type AuthorizerVerdict =
  /** `raw`: the context as the authorizer returned it, where the API passes it on unconverted (HTTP APIs). */
  | { kind: 'allow'; principalId: string; context: Record<string, string>; raw?: Record<string, unknown> }
  /** A policy that does not allow this method ARN: 403 with the authorizer's context. */
  | { kind: 'deny'; context: Record<string, string> }
  /** Not an answer API Gateway accepts: 500 AUTHORIZER_CONFIGURATION_ERROR. */
  | { kind: 'invalid' };

/**
 * One API Gateway event format, as pure functions. The server runs them in this order:
 * `authorizerEvent`, the authorizer, `verdict`,
 * `proxyEvent` (`allowed` null on routes without an authorizer), the integration, `response`.
 */
export interface EventTranslator<AuthorizerEvent, ProxyEvent> {
  /** The Authorization header's value (null when absent or blank). */
  identity(request: GatewayRequest): string | null;
  authorizerEvent(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): AuthorizerEvent;
  verdict(answer: unknown, event: AuthorizerEvent): AuthorizerVerdict;
  proxyEvent(
    request: GatewayRequest,
    match: RouteMatch,
    api: ApiIdentity,
    allowed: { principalId: string; context: Record<string, string>; raw?: Record<string, unknown> } | null,
  ): ProxyEvent;
  /** The integration's answer as an HTTP response; null when API Gateway would call it a failure (502). */
  response(answer: unknown, requestId: string): HttpResponse | null;
  /** What the API answers itself when it refuses a request (`context`: the authorizer's, on a deny). */
  refusal(
    type: GatewayResponseType,
    requestId: string,
    context?: Record<string, string>,
    error?: GatewayError,
    options?: GatewayResponseOptions,
  ): HttpResponse;
  /**
   * Which preflights the API answers with `corsAllowOrigin`: a REST API's mock `OPTIONS` methods exist
   * on the management resources only, with their methods; an HTTP API answers every preflight itself.
   */
  readonly corsMethods: 'resource' | 'any';
  /** What an error thrown by the authorizer function means to the API. */
  thrown(error: unknown): GatewayResponseType;
}

/**
 * Splits a request target into path and query. Null when the URL parser cannot read it (`//[`,
 * `//:99999/x`): Node's HTTP parser lets such targets through, and they are the client's error.
 */
export function parseTarget(target: string): { path: string; query: string } | null {
  let url: URL;
  try {
    url = new URL(target, 'http://local');
  } catch {
    return null;
  }
  return { path: target.split('?')[0] as string, query: url.search.slice(1) };
}

/** One of latchkey's gateway responses (the error body) as API Gateway sends it. */
export function gatewayErrorResponse(
  type: GatewayResponseType,
  requestId: string,
  context: Record<string, string> = {},
  error?: GatewayError,
  options: GatewayResponseOptions = {},
): HttpResponse {
  const { statusCode, body, headers } = renderGatewayResponse(type, requestId, context, error, options);
  return {
    statusCode,
    headers: { ...headers, 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body,
  };
}
