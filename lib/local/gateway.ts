/**
 * A local stand-in for the API Gateway REST API: it builds the events API Gateway builds, runs the
 * real authorizer and handlers in-process, evaluates the returned IAM policy, and answers with the
 * same gateway responses as the deployed stack.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { publicHandler } from '#lambda/handlers/public';
import {
  type GatewayError,
  type GatewayResponseType,
  renderGatewayResponse,
} from '../core/gateway-responses';
import { evaluatePolicy } from '../core/policy';
import { isPublicRoute, matchRoute, ROUTES, type Route, type RouteHandler } from '../core/routes';
import {
  hostPort,
  httpUrl,
  LOCAL_ACCOUNT_ID,
  LOCAL_API_ID,
  LOCAL_HOST,
  LOCAL_REGION,
  LOCAL_STAGE,
} from './constants';
import { closeServer, isLoopbackHost, listen, rawHttpResponse, readBody } from './net';

export type AuthorizerFn = (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>;
export type IntegrationFn = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalGatewayOptions {
  authorizer: AuthorizerFn;
  /** The integration of each handler; `public` defaults to latchkey's own public handler. */
  integrations: Omit<Record<RouteHandler, IntegrationFn>, 'public'> & { public?: IntegrationFn };
  routes?: readonly Route[];
  port?: number;
  host?: string;
  stage?: string;
  region?: string;
  accountId?: string;
  apiId?: string;
  /** API Gateway's payload limit is 10 MB. */
  maxPayloadBytes?: number;
  /** Environment variable to suggest when the port is busy. */
  portEnvName?: string;
}

export interface LocalGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

type MultiValue = Record<string, string[]>;

interface IncomingRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  multiValueHeaders: MultiValue;
  query: Record<string, string>;
  multiValueQuery: MultiValue;
  body: Buffer;
  sourceIp: string;
}

/** Null-prototype maps, so a header or parameter named `__proto__` or `toString` is just a name. */
const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Headers as API Gateway passes them: the first spelling of each name, the last value, all values. */
function collectHeaders(req: IncomingMessage): { headers: Record<string, string>; multi: MultiValue } {
  const headers = record<string>();
  const multi: MultiValue = record<string[]>();
  const spelling = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
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

/** A body as API Gateway hands it to a proxy integration: text when it is UTF-8, base64 otherwise. */
function proxyBody(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const text = body.toString('utf8');
  // Decoding replaced invalid sequences (U+FFFD): hand over the exact bytes instead.
  if (Buffer.byteLength(text) === body.length && Buffer.from(text, 'utf8').equals(body)) {
    return { body: text, isBase64Encoded: false };
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/** The answer to a Host that is not loopback (DNS rebinding). */
const MISDIRECTED: GatewayError = {
  statusCode: 421,
  message: 'Local mode answers only requests for localhost, 127.0.0.1 or [::1].',
};

/** The answer to a request target Node accepted but no URL parser can read (`//[`, `//:99999/x`). */
const BAD_TARGET: GatewayError = { statusCode: 400, message: 'The request target is not a valid path.' };

/** The request target as a URL, or null when it cannot be parsed. */
function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://local');
  } catch {
    return null;
  }
}

/** What API Gateway answers when the gateway itself fails. */
const INTERNAL_ERROR: GatewayError = { statusCode: 500, message: 'Internal server error' };

const orNull = <T extends object>(value: T): T | null => (Object.keys(value).length > 0 ? value : null);

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const routes = options.routes ?? ROUTES;
  const stage = options.stage ?? LOCAL_STAGE;
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const apiId = options.apiId ?? LOCAL_API_ID;
  const host = options.host ?? LOCAL_HOST;
  const maxPayload = options.maxPayloadBytes ?? 10 * 1024 * 1024;

  const send = (
    res: ServerResponse,
    statusCode: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ) => {
    res.writeHead(statusCode, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  const gatewayResponse = (
    res: ServerResponse,
    type: GatewayResponseType,
    requestId: string,
    context: Record<string, string> = {},
    error?: GatewayError,
  ) => {
    const { statusCode, body } = renderGatewayResponse(type, requestId, context, error);
    send(res, statusCode, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }, body);
  };

  const requestContext = (r: IncomingRequest, route: Route, requestId: string, now: Date) => ({
    accountId,
    apiId,
    domainName: hostPort(host, port),
    domainPrefix: host,
    extendedRequestId: requestId,
    httpMethod: r.method,
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
      sourceIp: r.sourceIp,
      user: null,
      userAgent:
        r.headers[Object.keys(r.headers).find((k) => k.toLowerCase() === 'user-agent') ?? ''] ?? null,
      userArn: null,
    },
    path: r.path,
    protocol: 'HTTP/1.1',
    requestId,
    requestTime: now.toUTCString(),
    requestTimeEpoch: now.getTime(),
    resourceId: route.id,
    resourcePath: route.path,
    stage,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const now = new Date();
    if (!isLoopbackHost(req.headers.host)) {
      req.resume();
      return gatewayResponse(res, 'DEFAULT_4XX', requestId, {}, MISDIRECTED);
    }
    const url = parseTarget(req.url);
    if (url === null) {
      req.resume();
      return gatewayResponse(res, 'DEFAULT_4XX', requestId, {}, BAD_TARGET);
    }
    const bodyBuffer = await readBody(req, maxPayload);
    if (bodyBuffer === null) return gatewayResponse(res, 'REQUEST_TOO_LARGE', requestId);
    const { headers, multi } = collectHeaders(req);
    const query = record<string>();
    const multiQuery: MultiValue = record<string[]>();
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      const values = multiQuery[k];
      if (values) values.push(v);
      else multiQuery[k] = [v];
    }
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    const r: IncomingRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: rawPath,
      rawQuery: url.search,
      headers,
      multiValueHeaders: multi,
      query,
      multiValueQuery: multiQuery,
      body: bodyBuffer,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };

    const match = matchRoute(r.method, r.path, routes);
    if (!match) return gatewayResponse(res, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    const { route, pathParameters } = match;
    const ctx = requestContext(r, route, requestId, now);
    // What both events carry. Real REQUEST authorizer events have {} for absent parameters, proxy
    // events null (see test/fixtures/apigw-rest).
    const shared = {
      resource: route.path,
      path: r.path,
      httpMethod: r.method,
      headers,
      multiValueHeaders: multi,
      stageVariables: null,
    };
    const proxyEventOf = (authorizer: Record<string, unknown> | null) =>
      ({
        ...shared,
        queryStringParameters: orNull(query),
        multiValueQueryStringParameters: orNull(multiQuery),
        pathParameters: orNull(pathParameters),
        requestContext: { ...ctx, authorizer },
        ...proxyBody(r.body),
      }) as unknown as APIGatewayProxyEvent;

    // Public routes have no authorizer (authorization type NONE): straight to the integration.
    if (isPublicRoute(route)) {
      return integrate(res, options.integrations.public ?? publicHandler, proxyEventOf(null), requestId);
    }

    // The identity source is the Authorization header: without it API Gateway answers 401 itself.
    const authHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
    if (authHeader === undefined || authHeader.trim() === '')
      return gatewayResponse(res, 'UNAUTHORIZED', requestId);

    const methodArn = `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${r.method}${r.path}`;
    const authorizerEvent = {
      ...shared,
      type: 'REQUEST',
      methodArn,
      queryStringParameters: query,
      multiValueQueryStringParameters: multiQuery,
      pathParameters,
      requestContext: ctx,
    } as unknown as APIGatewayRequestAuthorizerEvent;

    let authResult: unknown;
    try {
      authResult = await options.authorizer(authorizerEvent);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return gatewayResponse(
        res,
        message === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE',
        requestId,
      );
    }
    const checked = checkAuthorizerResult(authResult);
    if (!checked) return gatewayResponse(res, 'AUTHORIZER_CONFIGURATION_ERROR', requestId);
    if (evaluatePolicy(checked.policyDocument, methodArn) !== 'Allow') {
      return gatewayResponse(res, 'ACCESS_DENIED', requestId, checked.context);
    }

    const integration =
      route.handler === 'public'
        ? (options.integrations.public ?? publicHandler)
        : options.integrations[route.handler];
    const proxyEvent = proxyEventOf({
      ...checked.context,
      principalId: checked.principalId,
      integrationLatency: 0,
    });
    return integrate(res, integration, proxyEvent, requestId);
  };

  const integrate = async (
    res: ServerResponse,
    integration: IntegrationFn,
    proxyEvent: APIGatewayProxyEvent,
    requestId: string,
  ) => {
    let result: APIGatewayProxyResult;
    try {
      result = await integration(proxyEvent);
    } catch {
      return gatewayResponse(res, 'INTEGRATION_FAILURE', requestId);
    }
    if (
      !result ||
      typeof result.statusCode !== 'number' ||
      (result.body !== undefined && typeof result.body !== 'string')
    ) {
      return gatewayResponse(res, 'INTEGRATION_FAILURE', requestId);
    }
    const outHeaders = record<string>();
    outHeaders['x-amzn-requestid'] = requestId;
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
    send(res, result.statusCode, outHeaders, body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) gatewayResponse(res, 'DEFAULT_5XX', randomUUID(), {}, INTERNAL_ERROR);
      else res.end();
    });
  });
  // Long idle keep-alive (as load balancers use): a client never reuses a socket the server is closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Requests Node refuses before any handler (oversized headers, a bad request line) and CONNECT
  // still get the error body.
  const refuse = (socket: Duplex, type: GatewayResponseType, error?: GatewayError) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const { statusCode, body } = renderGatewayResponse(type, randomUUID(), {}, error);
    socket.end(rawHttpResponse(statusCode, STATUS_CODES[statusCode] ?? 'Error', body));
  };
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const statusCode = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    refuse(socket, 'DEFAULT_4XX', { statusCode, message: STATUS_CODES[statusCode] ?? 'Bad Request' });
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    refuse(socket, 'MISSING_AUTHENTICATION_TOKEN'),
  );

  // Read by requestContext; no request arrives before listen resolves.
  let port = 0;
  port = await listen(server, {
    port: options.port ?? 0,
    host,
    portEnvName: options.portEnvName,
    what: 'Local API gateway',
  });
  return { url: httpUrl(host, port), port, close: () => closeServer(server) };
}

interface CheckedAuthorizerResult {
  principalId: string;
  policyDocument: { Statement?: unknown };
  context: Record<string, string>;
}

/** API Gateway's checks on an authorizer's answer: anything else is a configuration error (500). */
function checkAuthorizerResult(value: unknown): CheckedAuthorizerResult | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { principalId?: unknown; policyDocument?: unknown; context?: unknown };
  if (typeof v.principalId !== 'string' || typeof v.policyDocument !== 'object' || v.policyDocument === null)
    return null;
  const context: Record<string, string> = {};
  if (v.context !== undefined && v.context !== null) {
    if (typeof v.context !== 'object') return null;
    for (const [k, val] of Object.entries(v.context as Record<string, unknown>)) {
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') return null;
      context[k] = String(val);
    }
  }
  return { principalId: v.principalId, policyDocument: v.policyDocument as { Statement?: unknown }, context };
}
