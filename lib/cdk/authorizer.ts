/**
 * `LatchkeyAuthorizer`: the latchkey Lambda REQUEST authorizer as a construct you can put on a REST API
 * or, with `apiType: 'http'`, on an HTTP API (payload format 2.0, simple responses), with `protect` /
 * `protectHttp` to add routes of your own behind it (and to what it allows). Its props' defaults come
 * from the settings table (`lib/core/settings.ts`), and are checked against it (`checkSetting`): every
 * invalid prop is named in one error.
 */
import { Duration, Lazy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MAX_ROUTE_COST } from '../core/credits';
import {
  DEFAULT_ROLE_MATRIX,
  isPermission,
  matrixPermissions,
  PERMISSION_RULE,
  type Permission,
  parseRoleMatrix,
  type RoleMatrix,
} from '../core/permissions';
import { isRouteMethod } from '../core/routes';
import {
  type ApiType,
  checkSetting,
  SETTINGS,
  type SigningProfile,
  throwProblems,
  type VerifyMode,
} from '../core/settings';
import type { LatchkeyKeyStore } from './key-store';
import { LatchkeyFunction } from './latchkey-function';

/**
 * The header API Gateway keys the REST authorizer's result cache on, when the cache is on (its identity
 * source). With the cache off (the default) the authorizer has no identity source, so a request that
 * authenticates with an RFC 9421 signature and no `Authorization` header reaches it too.
 */
export const IDENTITY_HEADER = 'Authorization';

/**
 * Environment variable listing the application routes (beyond latchkey's own route table) that the
 * authorizer's Allow policy must cover: a JSON array of `{ "method", "path", "permission"? }`, each
 * needing its permission, or without one `api:read` (GET/HEAD/OPTIONS) or `api:write` (other methods).
 */
export const APPLICATION_ROUTES_ENV = SETTINGS.applicationRoutes.env;

export interface ApplicationRoute {
  /** An HTTP method, or `ANY`. */
  readonly method: string;
  /** The API Gateway resource path, with `{param}` / `{proxy+}` segments. */
  readonly path: string;
  /** The permission a key needs to call it; absent: `api:read` for GET/HEAD/OPTIONS, else `api:write`. */
  readonly permission?: string;
  /** The credits a call spends from a key with credits; absent: 1. */
  readonly cost?: number;
}

/** `protect`'s options: API Gateway's method options, and the permission the route requires. */
export interface ProtectOptions extends apigateway.MethodOptions {
  /**
   * The permission a key must hold to call the method, e.g. `orders:write`: one of latchkey's own, or
   * one a role of the role matrix grants (checked at synth). The admin key may call every route.
   * @default - `api:read` for GET, HEAD and OPTIONS; `api:write` for any other method
   */
  readonly permission?: string;
  /**
   * The credits a call spends from a key that has credits (docs/protocol.md, "Credits"): a whole
   * number from 1 to 1,000,000. Keys without credits are unaffected.
   * @default 1
   */
  readonly cost?: number;
}

/** `protectHttp`'s options: the permission the route requires, and its credit cost. */
export interface ProtectHttpOptions {
  /**
   * The permission a key must hold to call the route, e.g. `orders:write` (see `ProtectOptions`).
   * @default - `api:read` for GET, HEAD and OPTIONS; `api:write` for any other method
   */
  readonly permission?: string;
  /** The credits a call spends from a key that has credits (see `ProtectOptions`). @default 1 */
  readonly cost?: number;
}

export interface LatchkeyAuthorizerProps {
  /** The key table and secrets the authorizer verifies credentials against. */
  readonly keyStore: LatchkeyKeyStore;
  /**
   * The kind of API Gateway API the authorizer guards. `rest`: a REQUEST authorizer of a REST API
   * (`authorizer`, `protect`), answering with an IAM policy. `http`: a Lambda authorizer of an HTTP
   * API (`httpAuthorizer`, `protectHttp`), payload format 2.0 with simple responses
   * (`{ isAuthorized, context }`), its result cache off. The function is the same in both.
   * @default 'rest'
   */
  readonly apiType?: ApiType;
  /**
   * How long API Gateway caches the authorizer's answer per `Authorization` value (0–3600 s).
   *
   * Above 0 the `Authorization` header becomes the authorizer's identity source (a cache needs one), so
   * API Gateway answers 401 itself to a request without it: RFC 9421 signed requests, which have none,
   * are then refused. At 0 there is no identity source and every request reaches the authorizer.
   *
   * Keep 0 unless you accept the trade-offs: while a result is cached, a revoked or expired key keeps
   * working, the per-key rate limit and usage counters are skipped (the authorizer is not called),
   * and a signed request's nonce check is skipped — with a cache, a replayed signed request is
   * accepted (for its own method and path only: a signed request's Allow names its method ARN alone).
   * In exchange, a cached request saves one Lambda invocation and one DynamoDB write.
   *
   * With `apiType: 'http'` it must be 0: an HTTP API caches a simple response per identity source
   * alone, so a cached answer for one route would be reused for every other route (and a refusal
   * would be cached too).
   * @default Duration.seconds(0)
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * Which ARMOR-PSK nonces the authorizer accepts. `compatible` accepts any nonce of the published
   * scheme (1–128 printable characters), so third-party clients keep working; `strict` accepts only
   * 32 lowercase hex characters, which makes the path/nonce boundary of the canonical string
   * unambiguous. latchkey's own SDK, CLI and examples always sign within `strict`.
   * @default 'compatible'
   */
  readonly signingProfile?: SigningProfile;
  /**
   * How keys are verified. `bounded`: a key that is hot on an authorizer instance (10 requests a second
   * there, or throttled by DynamoDB) is checked against that instance's copy of its item, never older
   * than `hotKeyBoundMs`, and its calls are written once per interval; near its rate limit it goes back
   * to the exact write. `exact`: one conditional write per request for every key (revocation from the
   * next request; past DynamoDB's ~1,000 writes a second on one item, 503s). See docs/operations.md "Hot keys".
   * @default 'bounded'
   */
  readonly verifyMode?: VerifyMode;
  /**
   * Bounded mode: the oldest copy of a hot key's item a request is checked against, in milliseconds (how
   * long a revoked or disabled hot key can still pass). 100 to 10,000.
   * @default 1000
   */
  readonly hotKeyBoundMs?: number;
  /**
   * Authorizer instances kept initialized (provisioned concurrency on a `live` alias, which API Gateway
   * then invokes): no cold start up to that many concurrent requests, billed per hour whether used or
   * not (docs/performance.md "Cost per million requests"). 0 = off.
   * @default 0
   */
  readonly provisionedConcurrency?: number;
  /**
   * The role matrix the deployment issues keys under, to check the permissions of the routes given to
   * `protect` at synth. Needed only when this authorizer's REST API is not the one a `LatchkeyApi` with a
   * custom `roleMatrix` uses (that `LatchkeyApi` hands its matrix over); it must then be the same matrix.
   * @default - the `roleMatrix` of the `LatchkeyApi` using this authorizer, else DEFAULT_ROLE_MATRIX
   */
  readonly roleMatrix?: RoleMatrix;
  /**
   * Memory of the authorizer function in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout of the authorizer function. API Gateway answers 503 (`service_unavailable`) if it is hit.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the authorizer's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The latchkey Lambda REQUEST authorizer, reusable on any REST API (attach `authorizer` to methods of
 * your own `RestApi`, or spread `methodOptions`) or, with `apiType: 'http'`, on any HTTP API (give
 * `httpAuthorizer` to routes of your own `HttpApi`): every request must carry a valid latchkey bearer
 * token or signed request. The function reads key items, writes usage, rate-limit and nonce state, and
 * reads both secrets (the admin key and the signing master secret) — nothing more.
 *
 * An authorizer belongs to one API: create one `LatchkeyAuthorizer` per API.
 */
export class LatchkeyAuthorizer extends Construct {
  public readonly function: LatchkeyFunction;
  /** The function's log group: every refusal with its reason (`latchkey logs tail --log-group`). */
  public readonly logGroup: logs.ILogGroup;
  /** The kind of API Gateway API this authorizer guards. */
  public readonly apiType: ApiType;
  public readonly resultsCacheTtl: Duration;
  public readonly signingProfile: SigningProfile;
  public readonly verifyMode: VerifyMode;
  /** Routes of your own API registered with `protect`, covered by the authorizer's policy. */
  public readonly applicationRoutes: ApplicationRoute[] = [];
  /**
   * The headers a request must carry for API Gateway to invoke the authorizer (its identity sources):
   * `Authorization` with the REST result cache on, else none.
   */
  public readonly identityHeaders: readonly string[];
  private readonly roleMatrix?: RoleMatrix;
  private apiRoleMatrix?: RoleMatrix;
  private readonly restAuthorizer?: apigateway.RequestAuthorizer;
  private readonly httpLambdaAuthorizer?: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: LatchkeyAuthorizerProps) {
    super(scope, id);
    this.resultsCacheTtl =
      props.resultsCacheTtl ?? Duration.seconds(SETTINGS.authorizerCacheTtlSeconds.default);
    this.signingProfile = props.signingProfile ?? SETTINGS.signingProfile.default;
    this.verifyMode = props.verifyMode ?? SETTINGS.verifyMode.default;
    const boundMs = props.hotKeyBoundMs ?? SETTINGS.hotKeyBoundMs.default;
    const instances = props.provisionedConcurrency ?? SETTINGS.authorizerProvisionedConcurrency.default;
    const memorySize = props.memorySize ?? SETTINGS.authorizerMemorySize.default;
    this.apiType = props.apiType ?? SETTINGS.apiType.default;
    const cacheSeconds = this.resultsCacheTtl.toSeconds({ integral: false });
    throwProblems(this.node.path, [
      checkSetting('apiType', this.apiType),
      this.apiType === 'http' && cacheSeconds > 0
        ? "resultsCacheTtl must be 0 with apiType 'http': an HTTP API caches a simple response per " +
          'identity source, so one cached answer would be reused for every route (and refusals cached)'
        : null,
      checkSetting('authorizerCacheTtlSeconds', this.resultsCacheTtl.toSeconds({ integral: false }), {
        as: 'resultsCacheTtl',
        unit: 'seconds',
      }),
      checkSetting('signingProfile', this.signingProfile),
      checkSetting('verifyMode', this.verifyMode),
      checkSetting('hotKeyBoundMs', boundMs),
      checkSetting('authorizerProvisionedConcurrency', instances, { as: 'provisionedConcurrency' }),
      checkSetting('authorizerMemorySize', memorySize, { as: 'memorySize' }),
      props.roleMatrix === undefined ? null : roleMatrixProblem(props.roleMatrix),
    ]);
    this.roleMatrix = props.roleMatrix;
    // After construction: protect() and a LatchkeyApi may come later in the app.
    this.node.addValidation({ validate: () => this.routePermissionProblems() });

    this.function = new LatchkeyFunction(this, 'Handler', {
      entry: 'lambdas/handlers/authorizer.ts',
      description: 'latchkey: REQUEST authorizer (bearer tokens and signed requests)',
      memorySize,
      timeout: props.timeout ?? Duration.seconds(5),
      logRetention: props.logRetention,
    });
    const fn = this.function;
    this.logGroup = fn.logGroup;
    fn.addEnvironment(SETTINGS.signingProfile.env, this.signingProfile);
    fn.addEnvironment(SETTINGS.verifyMode.env, this.verifyMode);
    fn.addEnvironment(SETTINGS.hotKeyBoundMs.env, String(boundMs));
    // With provisioned concurrency, API Gateway invokes a published version through an alias.
    const handler =
      instances > 0
        ? new lambda.Alias(this, 'Live', {
            aliasName: 'live',
            version: fn.currentVersion,
            provisionedConcurrentExecutions: instances,
          })
        : fn;
    props.keyStore.grantVerify(fn);
    props.keyStore.grantReadAdminKey(fn);
    props.keyStore.grantReadSigningSecret(fn);

    // No identity source unless a cache needs one: an RFC 9421 request has no Authorization header, and
    // API Gateway answers 401 without invoking the authorizer when an identity source is missing. AWS, API
    // Gateway API reference, Authorizer `identitySource` (REST): "For the REQUEST authorizer, this is
    // required when authorization caching is enabled. [...] When the authorization caching is not
    // enabled, this property is optional" (https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html);
    // API Gateway V2 API reference, Authorizer `identitySource` (HTTP API): "For a REQUEST authorizer, this
    // is optional" (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers-authorizerid.html).
    // Not verified on AWS.
    this.identityHeaders = cacheSeconds > 0 ? [IDENTITY_HEADER] : [];
    if (this.apiType === 'rest') {
      this.restAuthorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
        handler,
        identitySources: this.identityHeaders.map((h) => apigateway.IdentitySource.header(h)),
        resultsCacheTtl: this.resultsCacheTtl,
      });
      // The CDK writes no sources as an empty string; CloudFormation's own form of "none" is no property.
      if (this.identityHeaders.length === 0)
        (this.restAuthorizer.node.defaultChild as apigateway.CfnAuthorizer).addPropertyDeletionOverride(
          'IdentitySource',
        );
    } else {
      // Simple responses imply payload format 2.0 (the CDK sets both). CDK's default cache is 5 minutes:
      // it is set to 0 here, and an HTTP API then invokes the authorizer on every request. AWS: "Working
      // with AWS Lambda authorizers for HTTP APIs" (http-api-lambda-authorizer.html); not verified on AWS.
      this.httpLambdaAuthorizer = new HttpLambdaAuthorizer('LatchkeyAuthorizer', handler, {
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        resultsCacheTtl: Duration.seconds(0),
        identitySource: [],
      });
    }
  }

  /** The REST API REQUEST authorizer (`apiType: 'rest'` only). */
  public get authorizer(): apigateway.RequestAuthorizer {
    if (this.restAuthorizer === undefined) {
      throw new Error(
        `${this.node.path}: authorizer is for REST APIs; with apiType 'http' use httpAuthorizer`,
      );
    }
    return this.restAuthorizer;
  }

  /** The HTTP API Lambda authorizer (`apiType: 'http'` only): simple responses, payload format 2.0, no cache. */
  public get httpAuthorizer(): apigwv2.IHttpRouteAuthorizer {
    if (this.httpLambdaAuthorizer === undefined) {
      throw new Error(`${this.node.path}: httpAuthorizer is for HTTP APIs; set apiType 'http' to use it`);
    }
    return this.httpLambdaAuthorizer;
  }

  /**
   * Method options that put a method behind this authorizer. For your own routes prefer `protect`,
   * which also adds the route to the authorizer's policy.
   */
  public get methodOptions(): apigateway.MethodOptions {
    return { authorizer: this.authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
  }

  /**
   * Adds a method of your own behind the latchkey authorizer: callers need `options.permission`, or
   * without one `api:read` for GET/HEAD/OPTIONS and `api:write` for other methods. The route is added
   * to the policy the authorizer returns (environment variable `LATCHKEY_APPLICATION_ROUTES`), so a key
   * without the permission gets 403 from API Gateway before the integration runs.
   */
  public protect(
    resource: apigateway.IResource,
    httpMethod: string,
    integration?: apigateway.Integration,
    options: ProtectOptions = {},
  ): apigateway.Method {
    const { permission, cost, ...methodOptions } = options;
    if (this.apiType !== 'rest') {
      throw new Error(
        `${this.node.path}: protect adds REST API methods; with apiType 'http' use protectHttp`,
      );
    }
    const method = this.register('protect', httpMethod, resource.path, permission, cost);
    const created = resource.addMethod(method, integration, { ...methodOptions, ...this.methodOptions });
    Validations.of(created).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Callers authenticate with latchkey API keys, checked by the latchkey REQUEST authorizer.',
    });
    return created;
  }

  /**
   * Adds a route of your own HTTP API behind the latchkey authorizer (`apiType: 'http'`): callers need
   * `options.permission`, or without one `api:read` for GET/HEAD/OPTIONS and `api:write` for other
   * methods. The route is added to the routes the authorizer knows (environment variable
   * `LATCHKEY_APPLICATION_ROUTES`), so a key without the permission is refused (403 from API Gateway)
   * before the integration runs. `path` is the route's path, e.g. `/orders/{id}`.
   */
  public protectHttp(
    httpApi: apigwv2.HttpApi,
    httpMethod: string,
    path: string,
    integration: apigwv2.HttpRouteIntegration,
    options: ProtectHttpOptions = {},
  ): apigwv2.HttpRoute {
    if (this.apiType !== 'http') {
      throw new Error(`${this.node.path}: protectHttp adds HTTP API routes; set apiType 'http' to use it`);
    }
    const method = this.register('protectHttp', httpMethod, path, options.permission, options.cost);
    const [route] = httpApi.addRoutes({
      path,
      methods: [method as apigwv2.HttpMethod],
      integration,
      authorizer: this.httpAuthorizer,
    });
    if (route === undefined) throw new Error(`${this.node.path}: protectHttp: no route was added`);
    return route;
  }

  /**
   * Checks a route of your own and adds it to `applicationRoutes` (and, with the first, the environment
   * variable the function reads them from); returns the method in upper case.
   */
  private register(
    caller: string,
    httpMethod: string,
    path: string,
    permission?: string,
    cost?: number,
  ): string {
    const method = httpMethod.toUpperCase();
    if (!isRouteMethod(method)) {
      throw new Error(`${this.node.path}: ${caller}: unknown HTTP method ${JSON.stringify(httpMethod)}`);
    }
    if (permission !== undefined && !isPermission(permission)) {
      throw new Error(
        `${this.node.path}: ${caller}: permission ${JSON.stringify(permission)} must be ${PERMISSION_RULE}`,
      );
    }
    if (cost !== undefined && (!Number.isInteger(cost) || cost < 1 || cost > MAX_ROUTE_COST)) {
      throw new Error(`${this.node.path}: ${caller}: cost must be an integer from 1 to ${MAX_ROUTE_COST}`);
    }
    if (this.applicationRoutes.length === 0) {
      this.function.addEnvironment(
        APPLICATION_ROUTES_ENV,
        Lazy.string({ produce: () => JSON.stringify(this.applicationRoutes) }),
      );
    }
    this.applicationRoutes.push({
      method,
      path,
      ...(permission === undefined ? {} : { permission }),
      ...(cost === undefined ? {} : { cost }),
    });
    return method;
  }

  /**
   * Called by the `LatchkeyApi` this authorizer serves with the role matrix its management API issues
   * keys under, so that `protect`'s permissions are checked against it.
   */
  public useRoleMatrix(matrix: RoleMatrix): void {
    this.apiRoleMatrix = matrix;
  }

  /** The synth-time check: every permission a protected route requires is granted by some role. */
  private routePermissionProblems(): string[] {
    const problems: string[] = [];
    if (
      this.roleMatrix !== undefined &&
      this.apiRoleMatrix !== undefined &&
      JSON.stringify(parseRoleMatrix(this.roleMatrix)) !== JSON.stringify(this.apiRoleMatrix)
    ) {
      problems.push('roleMatrix differs from the roleMatrix of the LatchkeyApi using this authorizer');
    }
    const matrix = this.apiRoleMatrix ?? this.roleMatrix ?? DEFAULT_ROLE_MATRIX;
    const granted = matrixPermissions(matrix);
    for (const route of this.applicationRoutes) {
      if (route.permission === undefined || granted.has(route.permission as Permission)) continue;
      problems.push(
        `protect: ${route.method} ${route.path} requires ${route.permission}, which no role of the role ` +
          `matrix grants (${Object.keys(matrix).join(', ')}); add it to a role of roleMatrix`,
      );
    }
    return problems;
  }
}

function roleMatrixProblem(matrix: RoleMatrix): string | null {
  try {
    parseRoleMatrix(matrix);
    return null;
  } catch (error) {
    return `roleMatrix: ${(error as Error).message}`;
  }
}
