/**
 * `latchkey/verify/lambda`: a Lambda handler behind latchkey's verifier, for the events a function gets
 * over HTTP without an authorizer — a Function URL and an API Gateway HTTP API (payload 2.0), an API
 * Gateway REST API or HTTP API on payload 1.0, and an Application Load Balancer. The event is translated
 * once into a plain request here; a refused request is answered in the event source's response shape and
 * never reaches your handler, which gets the caller as its third argument.
 *
 * ```ts
 * import { createVerifier } from 'latchkey/verify';
 * import { withLatchkey } from 'latchkey/verify/lambda';
 *
 * const verifier = createVerifier({ routes: [{ method: 'GET', path: '/orders/{id}' }] });
 * export const handler = withLatchkey(verifier, async (event, context, caller) => ({
 *   statusCode: 200,
 *   body: JSON.stringify({ org: caller.orgId }),
 * }));
 * ```
 */
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { canonicalQuery } from '#lambda/runtime/signed-message';
import { forwardedFor } from './headers';
import type { VerifyRefusal } from './refusal';
import type { VerifiedCaller } from './types';
import type { Verifier, VerifyInput } from './verifier';

/** The HTTP events this wrapper reads (a Function URL's event is the HTTP API's payload 2.0). */
export type LatchkeyHttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent | ALBEvent;

/** What a refusal is answered with: fits the result shape of each event source. */
export type LatchkeyRefusalResult = APIGatewayProxyResult & APIGatewayProxyStructuredResultV2 & ALBResult;

export type LatchkeyLambdaHandler<E extends LatchkeyHttpEvent, R> = (
  event: E,
  context: Context,
  caller: VerifiedCaller,
) => Promise<R>;

export interface WithLatchkeyOptions {
  /** Called with every refusal before it is answered: log `reason` and `keyId` here (never the headers). */
  readonly onRefused?: (refusal: VerifyRefusal) => void;
}

/** Wraps `handler`: it runs only for verified requests; refusals get latchkey's error response. */
export function withLatchkey<E extends LatchkeyHttpEvent, R>(
  verifier: Verifier,
  handler: LatchkeyLambdaHandler<E, R>,
  options: WithLatchkeyOptions = {},
): (event: E, context: Context) => Promise<R | LatchkeyRefusalResult> {
  return async (event, context) => {
    const result = await verifier.verify(requestOf(event, context));
    if (result.allowed) return handler(event, context, result.caller);
    options.onRefused?.(result);
    return refusalResult(event, result);
  };
}

function isAlb(event: LatchkeyHttpEvent): event is ALBEvent {
  return 'elb' in (event.requestContext ?? {});
}

function isV2(event: LatchkeyHttpEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

function bodyOf(event: { body?: string | null; isBase64Encoded?: boolean }): Buffer | null {
  if (event.body === undefined || event.body === null) return null;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The plain request of an event: the path as the client sent it, and the path the routes match. */
export function requestOf(event: LatchkeyHttpEvent, context: Pick<Context, 'awsRequestId'>): VerifyInput {
  if (isV2(event)) {
    const { http, stage, requestId } = event.requestContext;
    return {
      method: http.method,
      path: event.rawPath,
      query: event.rawQueryString ?? '',
      routePath: withoutStage(event.rawPath, stage),
      // Payload 2.0 joins repeated headers with commas (AWS, API Gateway developer guide, "Create AWS
      // Lambda proxy integrations for HTTP APIs", payload format differences).
      headers: event.headers ?? {},
      body: bodyOf(event),
      requestId,
      ...optional(http.sourceIp),
    };
  }
  if (isAlb(event)) {
    return {
      method: event.httpMethod,
      path: event.path,
      // An ALB passes the query parameters as sent, not decoded (AWS, Elastic Load Balancing user guide,
      // "Lambda functions as targets", query string parameters): the query is them, joined again.
      query: Object.entries(event.multiValueQueryStringParameters ?? wrap(event.queryStringParameters))
        .flatMap(([k, values]) => (values ?? []).map((v) => `${k}=${v}`))
        .join('&'),
      // With multi-value headers on the target group the event has multiValueHeaders and no headers
      // (AWS, Elastic Load Balancing user guide, "Lambda functions as targets", multi-value headers).
      headers: event.multiValueHeaders ?? event.headers ?? {},
      body: bodyOf(event),
      requestId: context.awsRequestId,
      // An ALB event has no source address but the X-Forwarded-For entry the load balancer appends, the
      // last one (AWS, Elastic Load Balancing user guide, "HTTP headers and Application Load Balancers",
      // X-Forwarded-For; its default "append" processing mode). Not verified on AWS.
      ...optional(forwardedFor(event.multiValueHeaders ?? event.headers ?? {}, 1)),
    };
  }
  return {
    method: event.httpMethod,
    // requestContext.path is what the client sent (with the stage on execute-api URLs), as it signed it;
    // event.path is the path the resources match.
    path: event.requestContext?.path ?? event.path,
    // A REST API gives the parameters only, decoded: the query rebuilt as the authorizer rebuilds it.
    query: canonicalQuery(event.multiValueQueryStringParameters ?? wrap(event.queryStringParameters)),
    routePath: event.path,
    headers: event.multiValueHeaders ?? event.headers ?? {},
    body: bodyOf(event),
    requestId: event.requestContext?.requestId ?? context.awsRequestId,
    ...optional(event.requestContext?.identity?.sourceIp),
  };
}

/**
 * An HTTP API's `rawPath` on a named stage starts with the stage, which the routes do not hold; on
 * `$default` (and a Function URL) it is the path alone. Not verified on AWS.
 */
function withoutStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * The refusal in the event source's shape. An ALB target group with multi-value headers on must answer
 * with `multiValueHeaders`, and its response carries `statusDescription` (AWS, Elastic Load Balancing
 * user guide, "Lambda functions as targets", responding to the load balancer). Not verified on AWS.
 */
export function refusalResult(event: LatchkeyHttpEvent, refusal: VerifyRefusal): LatchkeyRefusalResult {
  const body = JSON.stringify(refusal.body);
  const base = { statusCode: refusal.status, body, isBase64Encoded: false };
  if (!isAlb(event)) return { ...base, headers: { ...refusal.headers } };
  const statusDescription = `${refusal.status} ${REASON_PHRASES[refusal.status] ?? ''}`.trim();
  if (event.multiValueHeaders) {
    const multiValueHeaders = Object.fromEntries(
      Object.entries(refusal.headers).map(([name, value]) => [name, [value]]),
    );
    return { ...base, statusDescription, multiValueHeaders };
  }
  return { ...base, statusDescription, headers: { ...refusal.headers } };
}

const optional = (sourceIp: string | null | undefined) =>
  typeof sourceIp === 'string' && sourceIp !== '' ? { sourceIp } : {};

/** Single-value parameters as multi-value ones. */
function wrap(
  params: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string[]> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, v === undefined ? [] : [v]]));
}
