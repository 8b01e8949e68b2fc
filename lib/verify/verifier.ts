/**
 * `createVerifier`: latchkey's credential verification inside your own handler. The same core as the
 * authorizer (`#core/verify`: token checks, ARMOR-PSK with its replay records, rate limits, usage, the
 * hot-key layer), wired the same way from the same environment variables (`verifierDeps`), plus what an
 * authorizer cannot do: the body of a signed request is checked against its Content-Digest here, and
 * the answer is exact — 401, 403, 404, 429 with Retry-After, or 503 — in latchkey's error body, for the
 * application to send. Nothing is logged: the result carries the reason, for your own logger.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { callerOf } from '#core/caller';
import { recordRefusalOf } from '#core/outcomes';
import { allowedMethods, type Principal } from '#core/principal';
import { matchRoute, parseApplicationRoutes, type RouteMethod, type RouteRequirement } from '#core/routes';
import { verifyRequest } from '#core/verify';
import { createDynamoClient, createSecretsClient } from '#lambda/aws/clients';
import { loadConfig } from '#lambda/runtime/config';
import { createRuntime } from '#lambda/runtime/runtime';
import { verifierDeps } from '#lambda/runtime/verifier-deps';
import { type HeaderSource, headerLines } from './headers';
import { refusal, type VerifyRefusal } from './refusal';
import type { VerifiedCaller } from './types';

/** A route of your API: who may call it. */
export interface VerifierRoute {
  /** An HTTP method, or `ANY`. */
  readonly method: string;
  /** The path pattern, with `{param}` and `{proxy+}` segments: `/orders/{id}`. */
  readonly path: string;
  /**
   * The permission a key needs (`orders:write`, or one of latchkey's). The admin key may call every route.
   * @default - `api:read` for GET, HEAD and OPTIONS; `api:write` for any other method
   */
  readonly permission?: string;
  /**
   * The credits a call spends from a key that has credits (a whole number from 1 to 1,000,000).
   * @default 1
   */
  readonly cost?: number;
}

export interface VerifierOptions {
  /**
   * Your API's routes. A request whose method and path match none is refused with 404 before any I/O;
   * a key without the route's permission gets 403.
   * @default - no route table: every valid credential passes, whatever the method and path (check
   *   `caller.permissions` yourself)
   */
  readonly routes?: readonly VerifierRoute[];
  /**
   * Where the settings are read: `LATCHKEY_TABLE_NAME` and `LATCHKEY_SIGNING_SECRET_ID` (required),
   * `LATCHKEY_ADMIN_KEY_SECRET_ID` (set: the admin key is accepted too), and the optional ones the
   * authorizer reads (token prefix, signing profile, verify mode, hot-key bound, secret cache, endpoints).
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default - a client for the region and credentials of the environment (and `LATCHKEY_DYNAMODB_ENDPOINT`) */
  readonly dynamodb?: DynamoDBClient;
  /** @default - a client for the region and credentials of the environment (and `LATCHKEY_SECRETS_ENDPOINT`) */
  readonly secretsManager?: SecretsManagerClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One request, as your framework has it. */
export interface VerifyInput {
  /** The HTTP method as sent. */
  readonly method: string;
  /** The URL path exactly as the client sent it (and signed it); a query string is cut off. */
  readonly path: string;
  /**
   * The query exactly as the client sent it, without its `?`, for RFC 9421 signatures (`@query`).
   * @default - the part of `path` after a `?`, else none
   */
  readonly query?: string;
  /**
   * The path the route table is matched against, when it differs from `path` (API Gateway REST: `path`
   * holds the stage, this does not).
   * @default path
   */
  readonly routePath?: string;
  /** The request headers: a `Headers`, or an object (any name case; an array for repeated lines). */
  readonly headers: HeaderSource;
  /** The raw body bytes (a string is read as UTF-8); null or absent when there is none. */
  readonly body?: Uint8Array | string | null;
  /**
   * The address the request came from, for keys with `allowed_cidrs`: the socket's peer, or — only
   * behind a proxy you trust to set it — the address it reports (the adapters' `trustForwardedFor`).
   * @default - unknown: a key with `allowed_cidrs` is refused (403 `ip_not_allowed`); others pass
   */
  readonly sourceIp?: string;
  /** Goes into a refusal's body and `x-request-id`. @default a random UUID */
  readonly requestId?: string;
}

export interface VerifyAllowed {
  readonly allowed: true;
  readonly caller: VerifiedCaller;
  /** The route matched (null without a route table) and its path parameters. */
  readonly route: VerifierRoute | null;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly requestId: string;
}

export type VerifyResult = VerifyAllowed | VerifyRefusal;

export interface Verifier {
  /** Never throws for a request: a dependency failure is a 503 refusal (fail closed). */
  verify(input: VerifyInput): Promise<VerifyResult>;
  /** Closes the AWS SDK clients the verifier created (not the ones passed in). */
  close(): void;
}

interface CompiledRoute {
  method: RouteMethod;
  path: string;
  needs: RouteRequirement;
  cost?: number;
  source: VerifierRoute;
}

/**
 * A verifier, built once (at cold start): reads and checks the settings, and throws one error naming
 * every invalid one.
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const config = loadConfig(options.env ?? process.env);
  const dynamo = options.dynamodb ?? createDynamoClient(config.dynamodbEndpoint);
  const secrets = options.secretsManager ?? createSecretsClient(config.secretsEndpoint);
  const runtime = createRuntime(config, { dynamo, secrets, ...(options.now ? { now: options.now } : {}) });
  const deps = verifierDeps(runtime);
  const routes = options.routes === undefined ? null : compileRoutes(options.routes);

  return {
    async verify(input) {
      const requestId = input.requestId ?? randomUUID();
      const [path = '', queryInPath = ''] = splitOnce(input.path, '?');
      const method = input.method.toUpperCase();
      const match = routes === null ? null : matchRoute(method, input.routePath ?? path, routes);
      if (routes !== null && match === null) return refusal('route_not_found', requestId);
      const digestLines = headerLines(input.headers, 'content-digest');
      let result: Awaited<ReturnType<typeof verifyRequest>>;
      // One instant for the request: a forbidden call is taken back from the day that counted it.
      const nowMs = deps.now();
      try {
        result = await verifyRequest(
          { ...deps, now: () => nowMs },
          {
            authorization: joined(headerLines(input.headers, 'authorization')),
            method: input.method,
            path,
            contentDigest: digestLines.at(-1),
            contentDigestRepeated: digestLines.length > 1,
            body: input.body ?? null,
            httpSignature: {
              signatureInput: joined(headerLines(input.headers, 'signature-input')),
              signature: joined(headerLines(input.headers, 'signature')),
              host: joined(headerLines(input.headers, 'host')),
              query: input.query ?? queryInPath,
              field: (name) => joined(headerLines(input.headers, name)),
              // The body itself is given: verification reads it.
              hasBody: false,
            },
            ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
            ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
            cost: match?.route.cost ?? 1,
          },
        );
      } catch (error) {
        return refusal('dependency_failure', requestId, { error });
      }
      if (!result.ok) {
        if (result.kind === 'rate_limited')
          return refusal('rate_limited', requestId, {
            keyId: result.keyId,
            retryAfterSeconds: result.retryAfterSeconds,
          });
        if (result.kind === 'ip_not_allowed')
          return refusal('ip_not_allowed', requestId, { keyId: result.keyId });
        if (result.kind === 'credits_exhausted')
          return refusal('credits_exhausted', requestId, { keyId: result.keyId });
        return refusal(result.reason, requestId, { keyId: result.keyId });
      }
      const principal = result.principal;
      const keyId = principal.type === 'key' ? principal.keyId : null;
      if (match !== null && !mayCall(principal, match.route, method)) {
        // Usage by outcome: the verifying write counted the call; it is moved to `forbidden`.
        if (keyId !== null) await recordRefusalOf(deps, { keyId, outcome: 'forbidden', nowMs });
        return refusal('forbidden', requestId, { keyId });
      }
      const caller: VerifiedCaller = {
        ...callerOf(principal, result.scheme, result.record?.metadata ?? {}),
        roles: [...(result.record?.roles ?? [])],
      };
      return {
        allowed: true,
        caller,
        route: match?.route.source ?? null,
        pathParameters: match?.pathParameters ?? {},
        requestId,
      };
    },
    close() {
      if (!options.dynamodb) dynamo.destroy();
      if (!options.secretsManager) secrets.destroy();
    },
  };
}

/** Checks the table once, with the authorizer's rules for application routes. */
function compileRoutes(routes: readonly VerifierRoute[]): CompiledRoute[] {
  const parsed = parseApplicationRoutes(routes);
  return parsed.map((route, i) => ({ ...route, source: routes[i] as VerifierRoute }));
}

function mayCall(principal: Principal, route: CompiledRoute, method: string): boolean {
  return (allowedMethods(principal, { method: route.method, needs: route.needs }) as string[]).includes(
    method,
  );
}

/** `value` split at the first `separator`: [before, after], or [value] when there is none. */
function splitOnce(value: string, separator: string): [string, string?] {
  const at = value.indexOf(separator);
  return at === -1 ? [value] : [value.slice(0, at), value.slice(at + 1)];
}

/**
 * Repeated lines of a field as one value, combined as RFC 9110 §5.3 does: an Authorization header sent
 * twice then parses as no credential, a Signature sent twice as two members (refused).
 */
function joined(lines: readonly string[]): string | undefined {
  return lines.length === 0 ? undefined : lines.join(', ');
}
