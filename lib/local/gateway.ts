/**
 * A local stand-in for API Gateway, a REST API or an HTTP API (`apiType`): a small HTTP server around the
 * pure event translation of apigw-rest.ts or apigw-http.ts. It answers only loopback Host values, reads
 * the request, matches a route, runs the real authorizer and handlers in-process on the events the
 * translator builds, and refuses as the deployed API does (a REST API with latchkey's gateway responses,
 * an HTTP API with its own fixed answers). `respond` is the pipeline, with no socket in it.
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
import type { APIGatewayProxyResult } from 'aws-lambda';
import { publicHandler } from '#lambda/handlers/public';
import type { AuthorizerEvent, ProxyEvent } from '#lambda/runtime/events';
import { corsPreflightHeaders, corsResources } from '../core/cors';
import {
  type GatewayError,
  type GatewayResponseType,
  renderGatewayResponse,
} from '../core/gateway-responses';
import { isPublicRoute, matchPath, matchRoute, ROUTES, type Route, type RouteHandler } from '../core/routes';
import type { ApiType } from '../core/settings';
import { HTTP_API } from './apigw-http';
import { REST_API } from './apigw-rest';
import {
  hostPort,
  httpUrl,
  LOCAL_ACCOUNT_ID,
  LOCAL_API_ID,
  LOCAL_DEPLOYMENT_ID,
  LOCAL_HOST,
  LOCAL_REGION,
  LOCAL_STAGE,
} from './constants';

/** An HTTP API's default stage: served at the API's root, as local URLs are (no stage segment). */
const HTTP_DEFAULT_STAGE = '$default';

import {
  type ApiIdentity,
  type EventTranslator,
  type GatewayRequest,
  type HttpResponse,
  parseTarget,
} from './gateway-request';
import { closeServer, isLoopbackHost, listen, rawHttpResponse, readBody } from './net';

/** latchkey's authorizer and handlers take either API's events (lambdas/runtime/events.ts). */
export type AuthorizerFn = (event: AuthorizerEvent) => Promise<unknown>;
export type IntegrationFn = (event: ProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalGatewayOptions {
  /** Which API Gateway API to answer as: `rest` (payload format 1.0) or `http` (2.0). Default `rest`. */
  apiType?: ApiType;
  authorizer: AuthorizerFn;
  /**
   * The integration of each handler; `public` defaults to latchkey's own public handler; without
   * `leaks` the GitHub secret-scanning route is not served.
   */
  integrations: Omit<Record<RouteHandler, IntegrationFn>, 'public' | 'leaks'> & {
    public?: IntegrationFn;
    leaks?: IntegrationFn;
  };
  routes?: readonly Route[];
  port?: number;
  host?: string;
  /** Default: `prod` for a REST API, `$default` for an HTTP API (local URLs carry no stage). */
  stage?: string;
  region?: string;
  accountId?: string;
  apiId?: string;
  /** API Gateway's payload limit is 10 MB. */
  maxPayloadBytes?: number;
  /** Environment variable to suggest when the port is busy. */
  portEnvName?: string;
  /** The `corsAllowOrigin` setting: preflights and CORS headers as the deployed API has them. @default - off */
  corsAllowOrigin?: string;
}

export interface LocalGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The answer to a Host that is not loopback (DNS rebinding). */
const MISDIRECTED: GatewayError = {
  statusCode: 421,
  message: 'Local mode answers only requests for localhost, 127.0.0.1 or [::1].',
};

/** The answer to a request target Node accepted but no URL parser can read (`//[`, `//:99999/x`). */
const BAD_TARGET: GatewayError = { statusCode: 400, message: 'The request target is not a valid path.' };

/** What API Gateway answers when the gateway itself fails. */
const INTERNAL_ERROR: GatewayError = { statusCode: 500, message: 'Internal server error' };

/** The functions behind the routes, for events of one translator's format. */
export interface GatewayTargets<AuthorizerEvent, ProxyEvent> {
  authorizer: (event: AuthorizerEvent) => Promise<unknown>;
  integration: (route: Route) => (event: ProxyEvent) => Promise<unknown>;
  routes: readonly Route[];
  /**
   * The API's `corsAllowOrigin` setting: OPTIONS on a management resource is answered as its mock
   * preflight method is, and every gateway response carries the CORS headers. @default - off
   */
  corsAllowOrigin?: string;
}

/**
 * What API Gateway does with a request once it is read: route, identity source, authorizer, policy,
 * integration. Everything but the authorizer and the integrations it calls is pure.
 */
export async function respond<A, P>(
  translator: EventTranslator<A, P>,
  targets: GatewayTargets<A, P>,
  api: ApiIdentity,
  request: GatewayRequest,
): Promise<HttpResponse> {
  const { requestId } = request;
  const options = { corsAllowOrigin: targets.corsAllowOrigin };
  /** The API's own refusal, with its CORS headers. */
  const refuse = (type: GatewayResponseType, context: Record<string, string> = {}): HttpResponse =>
    translator.refusal(type, requestId, context, undefined, options);
  if (targets.corsAllowOrigin !== undefined && request.method === 'OPTIONS') {
    const preflight = corsPreflight(targets.corsAllowOrigin, targets.routes, request, translator.corsMethods);
    if (preflight !== null) return preflight;
  }
  const match = matchRoute(request.method, request.path, targets.routes);
  if (!match) return refuse('MISSING_AUTHENTICATION_TOKEN');
  const integrate = async (event: P): Promise<HttpResponse> => {
    let answer: unknown;
    try {
      answer = await targets.integration(match.route)(event);
    } catch {
      return refuse('INTEGRATION_FAILURE');
    }
    return translator.response(answer, requestId) ?? refuse('INTEGRATION_FAILURE');
  };

  // Public routes have no authorizer (authorization type NONE): straight to the integration.
  if (isPublicRoute(match.route)) return integrate(translator.proxyEvent(request, match, api, null));
  // The authorizer has no identity source (its cache is off, as local mode always runs it): API Gateway
  // invokes it for every request, with or without an Authorization header (lib/cdk/authorizer.ts).

  const authorizerEvent = translator.authorizerEvent(request, match, api);
  let answer: unknown;
  try {
    answer = await targets.authorizer(authorizerEvent);
  } catch (error) {
    return refuse(translator.thrown(error));
  }
  const verdict = translator.verdict(answer, authorizerEvent);
  if (verdict.kind === 'invalid') return refuse('AUTHORIZER_CONFIGURATION_ERROR');
  if (verdict.kind === 'deny') return refuse('ACCESS_DENIED', verdict.context);
  return integrate(translator.proxyEvent(request, match, api, verdict));
}

/**
 * The answer of a management resource's OPTIONS method (`lib/cdk/cors.ts`: a mock integration, no
 * authorizer) to a request for its path; null when the path is no such resource.
 */
function corsPreflight(
  allowOrigin: string,
  routes: readonly Route[],
  request: GatewayRequest,
  methods: 'resource' | 'any',
): HttpResponse | null {
  const resource = corsResources(routes).find((r) => matchPath(r.path, request.path) !== null);
  if (resource === undefined && methods === 'resource') return null;
  return {
    statusCode: 204,
    headers: {
      ...corsPreflightHeaders(allowOrigin, methods === 'any' ? ['*'] : (resource?.methods ?? [])),
      'x-amzn-requestid': request.requestId,
    },
    body: '',
  };
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const host = options.host ?? LOCAL_HOST;
  const maxPayload = options.maxPayloadBytes ?? 10 * 1024 * 1024;
  const apiType = options.apiType ?? 'rest';
  // Both translators' events are events latchkey's functions take (lambdas/runtime/events.ts).
  const translator = (apiType === 'http' ? HTTP_API : REST_API) as EventTranslator<
    AuthorizerEvent,
    ProxyEvent
  >;
  const targets: GatewayTargets<AuthorizerEvent, ProxyEvent> = {
    authorizer: options.authorizer,
    integration: (route) =>
      route.handler === 'public'
        ? (options.integrations.public ?? publicHandler)
        : (options.integrations[route.handler] as IntegrationFn),
    // Without a leaks integration its route is not served: the path answers like any unknown path.
    routes: options.routes ?? ROUTES.filter((r) => r.handler !== 'leaks' || options.integrations.leaks),
    ...(options.corsAllowOrigin === undefined ? {} : { corsAllowOrigin: options.corsAllowOrigin }),
  };
  const responseOptions = { corsAllowOrigin: options.corsAllowOrigin };
  // domainName is set once listen has picked the port; no request arrives before that.
  const api: ApiIdentity = {
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    apiId: options.apiId ?? LOCAL_API_ID,
    region: options.region ?? LOCAL_REGION,
    stage: options.stage ?? (apiType === 'http' ? HTTP_DEFAULT_STAGE : LOCAL_STAGE),
    deploymentId: LOCAL_DEPLOYMENT_ID,
    domainName: '',
    domainPrefix: host,
  };

  const send = (res: ServerResponse, { statusCode, headers, body }: HttpResponse) => {
    res.writeHead(statusCode, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  /** Reads a request off the socket; an HTTP response instead when it is refused before any route. */
  const read = async (req: IncomingMessage): Promise<GatewayRequest | HttpResponse> => {
    const requestId = randomUUID();
    const time = new Date();
    if (!isLoopbackHost(req.headers.host)) {
      req.resume();
      return translator.refusal('DEFAULT_4XX', requestId, {}, MISDIRECTED, responseOptions);
    }
    const target = parseTarget(req.url ?? '/');
    if (target === null) {
      req.resume();
      return translator.refusal('DEFAULT_4XX', requestId, {}, BAD_TARGET, responseOptions);
    }
    const body = await readBody(req, maxPayload);
    if (body === null)
      return translator.refusal('REQUEST_TOO_LARGE', requestId, {}, undefined, responseOptions);
    return {
      requestId,
      time,
      method: (req.method ?? 'GET').toUpperCase(),
      path: target.path,
      query: target.query,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
  };

  const server: Server = createServer((req, res) => {
    read(req)
      .then((request) => ('statusCode' in request ? request : respond(translator, targets, api, request)))
      .then((response) => send(res, response))
      .catch(() => {
        if (!res.headersSent)
          send(res, translator.refusal('DEFAULT_5XX', randomUUID(), {}, INTERNAL_ERROR, responseOptions));
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

  const port = await listen(server, {
    port: options.port ?? 0,
    host,
    portEnvName: options.portEnvName,
    what: 'Local API gateway',
  });
  api.domainName = hostPort(host, port);
  return { url: httpUrl(host, port), port, close: () => closeServer(server) };
}
