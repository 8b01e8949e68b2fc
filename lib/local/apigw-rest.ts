/**
 * API Gateway REST API (payload format 1.0) events, built the way API Gateway builds them and read the
 * way it reads the answers: a plain request → the REQUEST authorizer's event → the verdict on its
 * answer (API Gateway's checks, then the IAM policy evaluated for the method ARN) → the Lambda proxy
 * integration event → the HTTP response. Pure: no I/O. Tested against captured events
 * (test/fixtures/apigw-rest); a sibling translator for another format keeps the same `EventTranslator`.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import type { GatewayResponseType } from '../core/gateway-responses';
import { evaluatePolicy } from '../core/policy';
import type { RouteMatch } from '../core/routes';
import {
  type ApiIdentity,
  type AuthorizerVerdict,
  type EventTranslator,
  type GatewayRequest,
  gatewayErrorResponse,
  type HttpResponse,
} from './gateway-request';

type MultiValue = Record<string, string[]>;

/** Null-prototype maps, so a header or parameter named `__proto__` or `toString` is just a name. */
const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

const orNull = <T extends object>(value: T): T | null => (Object.keys(value).length > 0 ? value : null);

/** Headers as API Gateway passes them: the first spelling of each name, the last value, all values. */
export function restHeaders(rawHeaders: readonly string[]): {
  headers: Record<string, string>;
  multi: MultiValue;
} {
  const headers = record<string>();
  const multi: MultiValue = record<string[]>();
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    const existing = spelling.get(lower) ?? name;
    spelling.set(lower, existing);
    const values = multi[existing];
    if (values) values.push(value);
    else multi[existing] = [value];
    headers[existing] = value;
  }
  return { headers, multi };
}

/** Query parameters as API Gateway passes them: the last value of each, and all values. */
export function restQuery(query: string): { query: Record<string, string>; multi: MultiValue } {
  const last = record<string>();
  const multi: MultiValue = record<string[]>();
  for (const [k, v] of new URLSearchParams(query)) {
    last[k] = v;
    const values = multi[k];
    if (values) values.push(v);
    else multi[k] = [v];
  }
  return { query: last, multi };
}

/** A body as API Gateway hands it to a proxy integration: text when it is UTF-8, base64 otherwise. */
export function proxyBody(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const text = body.toString('utf8');
  // Decoding replaced invalid sequences (U+FFFD): hand over the exact bytes instead.
  if (Buffer.byteLength(text) === body.length && Buffer.from(text, 'utf8').equals(body)) {
    return { body: text, isBase64Encoded: false };
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/** The method ARN API Gateway evaluates the authorizer's policy against. */
export function methodArnOf(request: GatewayRequest, api: ApiIdentity): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${request.method}${request.path}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `$context.requestTime`: "the CLF-formatted request time (dd/MMM/yyyy:HH:mm:ss +-hhmm)" (API Gateway
 * developer guide, "Variables for data transformations"/access logging), as in the captured events.
 */
export function clfTime(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}:` +
    `${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())} +0000`
  );
}

function requestContext(request: GatewayRequest, match: RouteMatch, api: ApiIdentity) {
  const { headers } = restHeaders(request.rawHeaders);
  const userAgent = Object.keys(headers).find((k) => k.toLowerCase() === 'user-agent');
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    deploymentId: api.deploymentId,
    domainName: api.domainName,
    domainPrefix: api.domainPrefix,
    extendedRequestId: request.requestId,
    httpMethod: request.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: null,
      userAgent: userAgent === undefined ? null : (headers[userAgent] ?? null),
      userArn: null,
    },
    path: request.path,
    protocol: 'HTTP/1.1',
    requestId: request.requestId,
    requestTime: clfTime(request.time),
    requestTimeEpoch: request.time.getTime(),
    resourceId: match.route.id,
    resourcePath: match.route.path,
    stage: api.stage,
  };
}

/** What the authorizer's and the integration's events both carry. */
function shared(request: GatewayRequest, match: RouteMatch) {
  const { headers, multi } = restHeaders(request.rawHeaders);
  return {
    resource: match.route.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: multi,
  };
}

/** The Authorization header's value (null when absent or blank); the authorizer has no identity source. */
function identity(request: GatewayRequest): string | null {
  const { headers } = restHeaders(request.rawHeaders);
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  return value === undefined || value.trim() === '' ? null : value;
}

/** The REQUEST authorizer's event. Real ones have {} for absent parameters and stage variables (proxy events null). */
function authorizerEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
): APIGatewayRequestAuthorizerEvent {
  const { query, multi } = restQuery(request.query);
  return {
    ...shared(request, match),
    type: 'REQUEST',
    methodArn: methodArnOf(request, api),
    stageVariables: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: multi,
    pathParameters: match.pathParameters,
    requestContext: requestContext(request, match, api),
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/**
 * API Gateway's checks on an authorizer's answer (a string principalId, a policy document, a flat
 * context of strings, numbers and booleans, passed on as strings), then the policy for the method ARN.
 */
function verdict(answer: unknown, event: APIGatewayRequestAuthorizerEvent): AuthorizerVerdict {
  if (typeof answer !== 'object' || answer === null) return { kind: 'invalid' };
  const v = answer as { principalId?: unknown; policyDocument?: unknown; context?: unknown };
  if (typeof v.principalId !== 'string' || typeof v.policyDocument !== 'object' || v.policyDocument === null)
    return { kind: 'invalid' };
  const context: Record<string, string> = {};
  if (v.context !== undefined && v.context !== null) {
    if (typeof v.context !== 'object') return { kind: 'invalid' };
    for (const [k, val] of Object.entries(v.context as Record<string, unknown>)) {
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean')
        return { kind: 'invalid' };
      context[k] = String(val);
    }
  }
  if (evaluatePolicy(v.policyDocument as { Statement?: unknown }, event.methodArn) !== 'Allow') {
    return { kind: 'deny', context };
  }
  return { kind: 'allow', principalId: v.principalId, context };
}

/**
 * The Lambda proxy integration's event; after an Allow, `requestContext.authorizer` holds the
 * authorizer's context with API Gateway's `principalId` and `integrationLatency`.
 */
function proxyEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
  allowed: { principalId: string; context: Record<string, string> } | null,
): APIGatewayProxyEvent {
  const { query, multi } = restQuery(request.query);
  const authorizer =
    allowed === null ? null : { ...allowed.context, principalId: allowed.principalId, integrationLatency: 0 };
  return {
    ...shared(request, match),
    stageVariables: null,
    queryStringParameters: orNull(query),
    multiValueQueryStringParameters: orNull(multi),
    pathParameters: orNull(match.pathParameters),
    requestContext: { ...requestContext(request, match, api), authorizer },
    ...proxyBody(request.body),
  } as unknown as APIGatewayProxyEvent;
}

/** A proxy integration's answer as a response; null for anything API Gateway rejects (502). */
function response(answer: unknown, requestId: string): HttpResponse | null {
  const result = answer as APIGatewayProxyResult | null | undefined;
  if (
    !result ||
    typeof result.statusCode !== 'number' ||
    (result.body !== undefined && typeof result.body !== 'string')
  ) {
    return null;
  }
  const headers = record<string>();
  headers['x-amzn-requestid'] = requestId;
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  return { statusCode: result.statusCode, headers, body };
}

/** Only an error whose message is exactly `Unauthorized` is a 401; any other is a failed authorizer. */
function thrown(error: unknown): GatewayResponseType {
  const message = error instanceof Error ? error.message : String(error);
  return message === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE';
}

/** The REST API's translator (payload format 1.0): its refusals are latchkey's gateway responses. */
export const REST_API: EventTranslator<APIGatewayRequestAuthorizerEvent, APIGatewayProxyEvent> = {
  identity,
  authorizerEvent,
  verdict,
  proxyEvent,
  response,
  refusal: gatewayErrorResponse,
  thrown,
  corsMethods: 'resource',
};
