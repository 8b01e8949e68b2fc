/**
 * `LatchkeyClient`: typed methods for the management API and `client.fetch` for any route behind the
 * authorizer. Each request is authorized afresh per attempt (a bearer key, or an ARMOR-PSK signature with
 * a new nonce and timestamp), idempotent methods are retried with backoff, and every failure is a
 * `LatchkeyError` that never contains the key. Request paths come from the route table
 * (lib/core/routes.ts), response bodies are the server's wire types, returned unchanged.
 */
import { findRoute, type ManagementRouteId, routePath } from '../core/routes';
import { nonEmpty, positiveInteger, withQuery } from './args';
import { LatchkeyError } from './errors';
import {
  DEFAULT_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  type LatchkeyClientOptions,
  type LatchkeyFetchInit,
  MAX_RETRY_DELAY_MS,
  type RequestOptions,
} from './options';
import { eachItem } from './pages';
import { attemptFailure, IDEMPOTENT_METHODS, isRetriableStatus, retryAfterMs, sleep } from './retry';
import { authorize, type ClientCredential, checkCredential, type SignMode, signModeOf } from './signing';
import type {
  ApiKey,
  AuditEvent,
  AuditPage,
  AuditQuery,
  CreateKeyInput,
  KeyPage,
  KeyResponse,
  KeyUsageResponse,
  ListKeysParams,
  ListOrgsQuery,
  ListOrgsResponse,
  NewKeyResponse,
  Org,
  PlansResponse,
  RegisteredKeyResponse,
  RevokeKeyResponse,
  RolesResponse,
  RotateKeyInput,
  UpdateKeyRequest,
  Whoami,
} from './types';
import { confinedUrl } from './url';

export {
  DEFAULT_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  type LatchkeyClientOptions,
  type LatchkeyFetchInit,
  MAX_RETRY_DELAY_MS,
  type RequestOptions,
};

interface Exchange {
  method: string;
  /** Route path with an optional query string, e.g. `/v1/keys?limit=2`. */
  path: string;
  body?: string | Uint8Array | null | undefined;
  headers?: RequestInit['headers'];
  signal?: AbortSignal | null | undefined;
  sign: SignMode;
  init?: Omit<RequestInit, 'body' | 'method' | 'headers' | 'signal'>;
}

type Reader<T> = (response: Response, attempts: number) => Promise<T>;

/** What one management call adds to its route: path parameters, a query, a JSON body. */
interface ApiCall {
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, unknown>>;
  body?: unknown;
}

/**
 * A typed client for latchkey's management API and for your own routes behind its authorizer.
 *
 * ```ts
 * const admin = new LatchkeyClient({ baseUrl: 'http://127.0.0.1:8787', key: process.env.ADMIN_KEY! });
 * const { key, raw_key } = await admin.createKey({ name: 'billing', roles: ['member'] });
 * const app = new LatchkeyClient({ baseUrl: 'http://127.0.0.1:8787', key: raw_key, sign: true });
 * const res = await app.fetch('/v1/echo/orders', { method: 'POST', body: JSON.stringify({ qty: 2 }) });
 * ```
 */
export class LatchkeyClient {
  readonly baseUrl: string;
  /** Whether requests are signed (ARMOR-PSK or RFC 9421) rather than sent with a bearer key. */
  readonly sign: boolean;
  /** How requests are authorized: `bearer`, `armor` (ARMOR-PSK) or `rfc9421`. */
  readonly signMode: SignMode;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly #credential: ClientCredential;
  readonly #origin: string;
  /** The base URL's path without a trailing slash: `''` locally, `/prod` with a stage. */
  readonly #basePath: string;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: LatchkeyClientOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
    let base: URL;
    try {
      base = new URL(String(options.baseUrl));
    } catch {
      throw new TypeError('baseUrl must be an absolute http(s) URL, e.g. http://127.0.0.1:8787');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError('baseUrl must be an absolute http(s) URL, e.g. http://127.0.0.1:8787');
    }
    if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
      throw new TypeError('baseUrl must not contain credentials, a query string or a fragment');
    }
    const credential: ClientCredential = {
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.keyId !== undefined ? { keyId: options.keyId } : {}),
      ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
      ...(options.signatureAlgorithm !== undefined ? { signatureAlgorithm: options.signatureAlgorithm } : {}),
    };
    const signMode = signModeOf(options.sign, credential);
    checkCredential(credential, signMode);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function')
      throw new TypeError('no fetch implementation: use Node 20+ or pass one');
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.baseUrl = `${this.#origin}${this.#basePath}`;
    this.#credential = credential;
    this.#fetch = fetchImpl;
    this.signMode = signMode;
    this.sign = signMode !== 'bearer';
    this.timeoutMs = positiveInteger(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs', 1);
    this.retries = positiveInteger(options.retries, DEFAULT_RETRIES, 'retries', 0);
    this.retryDelayMs = positiveInteger(options.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 'retryDelayMs', 0);
  }

  // ---- management API (docs/protocol.md §4); every method resolves to the response body, unchanged ----

  /**
   * `POST /v1/keys` → 201 `{key, raw_key, warning}`. `raw_key` is returned this once only. With a
   * `public_key` (Ed25519) → 201 `{key}`: a public-key key has no token. Never retried.
   */
  createKey(
    input: CreateKeyInput & { public_key: string },
    options?: RequestOptions,
  ): Promise<RegisteredKeyResponse>;
  createKey(
    input: CreateKeyInput & { public_key?: undefined },
    options?: RequestOptions,
  ): Promise<NewKeyResponse>;
  createKey(input: CreateKeyInput, options?: RequestOptions): Promise<NewKeyResponse | RegisteredKeyResponse>;
  createKey(
    input: CreateKeyInput,
    options?: RequestOptions,
  ): Promise<NewKeyResponse | RegisteredKeyResponse> {
    const body: Record<string, unknown> = { ...input };
    if (input.expires_at instanceof Date) body.expires_at = input.expires_at.toISOString();
    return this.#call('createKey', { body }, options);
  }

  /** `GET /v1/keys`: one page, newest first. Pass `next_cursor` back as `cursor` for the next page. */
  listKeys(params: ListKeysParams = {}, options?: RequestOptions): Promise<KeyPage> {
    return this.#call('listKeys', { query: { ...params } }, options);
  }

  /** Every key, across all pages (`limit` is the page size): `for await (const key of client.iterateKeys()) …`. */
  iterateKeys(
    params: ListKeysParams = {},
    options?: RequestOptions,
  ): AsyncGenerator<ApiKey, void, undefined> {
    const page = async (cursor: string | null) => {
      const p = await this.listKeys({ ...params, cursor }, options);
      return { items: p.keys, next_cursor: p.next_cursor };
    };
    return eachItem(params.cursor ?? null, page, routePath('listKeys'));
  }

  /** `GET /v1/keys/{id}` → `{key}`. */
  getKey(id: string, options?: RequestOptions): Promise<KeyResponse> {
    return this.#call('getKey', { params: { id: nonEmpty(id, 'id') } }, options);
  }

  /** `DELETE /v1/keys/{id}` → `{revoked: true, key}`; immediate and permanent, harmless to repeat. */
  revokeKey(id: string, options?: RequestOptions): Promise<RevokeKeyResponse> {
    return this.#call('revokeKey', { params: { id: nonEmpty(id, 'id') } }, options);
  }

  /**
   * `POST /v1/keys/{id}/rotate` → 201 `{key, raw_key, warning}` for the new key; a public-key key is
   * rotated to the new `public_key` given (required) → 201 `{key}`. Never retried.
   */
  rotateKey(
    id: string,
    input: RotateKeyInput & { public_key: string },
    options?: RequestOptions,
  ): Promise<RegisteredKeyResponse>;
  rotateKey(
    id: string,
    input?: RotateKeyInput & { public_key?: undefined },
    options?: RequestOptions,
  ): Promise<NewKeyResponse>;
  rotateKey(
    id: string,
    input?: RotateKeyInput,
    options?: RequestOptions,
  ): Promise<NewKeyResponse | RegisteredKeyResponse>;
  rotateKey(
    id: string,
    input: RotateKeyInput = {},
    options?: RequestOptions,
  ): Promise<NewKeyResponse | RegisteredKeyResponse> {
    return this.#call('rotateKey', { params: { id: nonEmpty(id, 'id') }, body: { ...input } }, options);
  }

  /** `PATCH /v1/keys/{id}` with any of name, description, rate limit, expiry, enabled, metadata → `{key}`. */
  updateKey(id: string, changes: UpdateKeyRequest, options?: RequestOptions): Promise<KeyResponse> {
    return this.#call('updateKey', { params: { id: nonEmpty(id, 'id') }, body: { ...changes } }, options);
  }

  /**
   * `POST /v1/keys/{id}/credits` → `{key}`: adds `add` credits to the key's balance in one atomic write
   * (409 for a key without credits). Never retried: a retry could add them twice.
   */
  addCredits(id: string, add: number, options?: RequestOptions): Promise<KeyResponse> {
    return this.#call('addCredits', { params: { id: nonEmpty(id, 'id') }, body: { add } }, options);
  }

  /** `updateKey(id, {enabled: false})`: the key is refused (401) from the next request on, keeping its slot. */
  disableKey(id: string, options?: RequestOptions): Promise<KeyResponse> {
    return this.updateKey(id, { enabled: false }, options);
  }

  /** `updateKey(id, {enabled: true})`: a disabled key works again. */
  enableKey(id: string, options?: RequestOptions): Promise<KeyResponse> {
    return this.updateKey(id, { enabled: true }, options);
  }

  /** `GET /v1/audit`: one page of the audit trail, newest first. */
  listAudit(params: AuditQuery = {}, options?: RequestOptions): Promise<AuditPage> {
    return this.#call('listAudit', { query: { ...params } }, options);
  }

  /** Every audit event across all pages: `for await (const event of client.iterateAudit({key_id})) …`. */
  iterateAudit(
    params: AuditQuery = {},
    options?: RequestOptions,
  ): AsyncGenerator<AuditEvent, void, undefined> {
    const page = async (cursor: string | null) => {
      const p = await this.listAudit({ ...params, cursor }, options);
      return { items: p.events, next_cursor: p.next_cursor };
    };
    return eachItem(params.cursor ?? null, page, routePath('listAudit'));
  }

  /** `GET /v1/whoami` → `{principal, key?, org_id, permissions}`. */
  whoami(options?: RequestOptions): Promise<Whoami> {
    return this.#call('whoami', {}, options);
  }

  /** `GET /v1/orgs` → `{orgs, next_cursor}`: one page of organizations, by org id (admin key only). */
  listOrgs(params: ListOrgsQuery = {}, options?: RequestOptions): Promise<ListOrgsResponse> {
    return this.#call('listOrgs', { query: { ...params } }, options);
  }

  /** Every organization across all pages: `for await (const org of client.iterateOrgs()) …`. */
  iterateOrgs(params: ListOrgsQuery = {}, options?: RequestOptions): AsyncGenerator<Org, void, undefined> {
    const page = async (cursor: string | null) => {
      const p = await this.listOrgs({ ...params, cursor }, options);
      return { items: p.orgs, next_cursor: p.next_cursor };
    };
    return eachItem(params.cursor ?? null, page, routePath('listOrgs'));
  }

  /** `GET /v1/orgs/{org_id}` → `{org_id, max_keys, active_keys}` (admin key only). */
  getOrg(orgId: string, options?: RequestOptions): Promise<Org> {
    return this.#call('getOrg', { params: { org_id: nonEmpty(orgId, 'orgId') } }, options);
  }

  /**
   * `GET /v1/keys/{id}/usage` → `{key_id, days: [{date, calls, refused}]}`: allowed calls and refusals by
   * outcome (`refused.rate_limited`, …) per UTC day (1–90 days, default 30).
   */
  getUsage(id: string, days?: number, options?: RequestOptions): Promise<KeyUsageResponse> {
    return this.#call('getKeyUsage', { params: { id: nonEmpty(id, 'id') }, query: { days } }, options);
  }

  /** `GET /v1/plans` → `{plans}`: the deployment's plans and their key limits (admin key). */
  listPlans(options?: RequestOptions): Promise<PlansResponse> {
    return this.#call('listPlans', {}, options);
  }

  /** `GET /v1/roles` → `{roles, default_role}`: the deployment's role matrix (any valid credential). */
  listRoles(options?: RequestOptions): Promise<RolesResponse> {
    return this.#call('listRoles', {}, options);
  }

  /** `PUT /v1/orgs/{org_id}` with `{plan}`: the organization follows that plan's key limit (admin key only). */
  setOrgPlan(orgId: string, plan: string, options?: RequestOptions): Promise<Org> {
    const params = { org_id: nonEmpty(orgId, 'orgId') };
    return this.#call('putOrg', { params, body: { plan: nonEmpty(plan, 'plan') } }, options);
  }

  /** `PUT /v1/orgs/{org_id}` with `{max_keys}`: null = unlimited, 0 = no API keys (admin key only). */
  setOrgLimit(orgId: string, maxKeys: number | null, options?: RequestOptions): Promise<Org> {
    const params = { org_id: nonEmpty(orgId, 'orgId') };
    return this.#call('putOrg', { params, body: { max_keys: maxKeys } }, options);
  }

  // ---- application routes ----

  /**
   * Calls any route behind latchkey's authorizer (`/v1/echo/…`, your own) with the client's key, signed
   * when the client (or `init.sign`) says so. `path` is relative to `baseUrl` and may carry a query string
   * (which a signature does not cover). Resolves to the Response whatever its status; rejects with a
   * LatchkeyError only for network errors and timeouts. Idempotent methods are retried like API methods.
   * A path that would resolve outside `baseUrl` (another host through `/\\host`, or above its path through
   * `..`) rejects with a TypeError before anything is sent: the key only ever goes to `baseUrl`.
   */
  fetch(path: string, init: LatchkeyFetchInit = {}): Promise<Response> {
    const { method = 'GET', body, headers, signal, sign, ...rest } = init;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('body must be a string or a Uint8Array, so that it can be hashed and resent');
    }
    const upper = method.toUpperCase();
    if ((upper === 'GET' || upper === 'HEAD') && body !== undefined && body !== null && body.length > 0) {
      throw new TypeError(`a ${upper} request cannot have a body`);
    }
    const mode = sign === undefined ? this.signMode : signModeOf(sign, this.#credential);
    if (mode !== this.signMode) checkCredential(this.#credential, mode);
    return this.#exchange(
      { method, path, body, headers, signal, sign: mode, init: rest },
      async (response) => response,
    );
  }

  // ---- plumbing ----

  /** One management API call: the route's method and path from the route table, the JSON body parsed. */
  #call<T>(id: ManagementRouteId, call: ApiCall, options?: RequestOptions): Promise<T> {
    const { method } = findRoute(id);
    const path = routePath(id, call.params);
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    return this.#exchange(
      {
        method,
        path: call.query ? withQuery(path, call.query) : path,
        body,
        headers,
        signal: options?.signal,
        sign: this.signMode,
      },
      async (response, attempts) => {
        const text = await response.text();
        const context = { method, path, attempts };
        if (!response.ok) {
          throw LatchkeyError.fromBody(response.status, response.statusText, response.headers, text, context);
        }
        try {
          return JSON.parse(text) as T;
        } catch (cause) {
          throw new LatchkeyError({
            kind: 'http',
            status: response.status,
            code: 'invalid_response',
            message: `The server answered ${response.status} with a body that is not JSON.`,
            requestId: response.headers.get('x-amzn-requestid'),
            cause,
            ...context,
          });
        }
      },
    );
  }

  /**
   * Sends one request, retrying idempotent ones. Each attempt is authorized afresh: a signed request gets
   * a new nonce and timestamp every time, so no attempt ever replays another's nonce.
   */
  async #exchange<T>(request: Exchange, read: Reader<T>): Promise<T> {
    const method = request.method.toUpperCase();
    /** What is signed: the URL as sent, stage included (ARMOR-PSK signs its path; RFC 9421 its query too). */
    const url = this.#url(request.path);
    /** What errors name: the path as the caller wrote it, without the query string. */
    const callerPath = request.path.split(/[?#]/)[0] ?? request.path;
    const retriable = IDEMPOTENT_METHODS.has(method);
    const userSignal = request.signal ?? undefined;
    const body = request.body ?? undefined;

    for (let attempt = 1; ; attempt++) {
      userSignal?.throwIfAborted();
      const headers = new Headers(request.headers);
      authorize(headers, this.#credential, request.sign, { method, url, body });
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new Error(`timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const signal = userSignal ? AbortSignal.any([userSignal, timeout.signal]) : timeout.signal;
      const canRetry = retriable && attempt <= this.retries;
      let waitMs = 0;
      try {
        const response = await this.#fetch(url, {
          redirect: 'manual',
          ...request.init,
          method,
          headers,
          body,
          signal,
        });
        const retryAfter = retryAfterMs(response.headers.get('retry-after'));
        // A Retry-After longer than we are willing to sleep: hand back this answer instead of waiting.
        if (!canRetry || !isRetriableStatus(response.status) || (retryAfter ?? 0) > MAX_RETRY_DELAY_MS) {
          return await read(response, attempt);
        }
        waitMs = retryAfter ?? 0;
        await response.body?.cancel().catch(() => undefined);
      } catch (error) {
        if (error instanceof LatchkeyError) throw error;
        if (userSignal?.aborted) throw userSignal.reason;
        const failure = attemptFailure(error, {
          timedOutAfterMs: timeout.signal.aborted ? this.timeoutMs : null,
          origin: this.#origin,
          method,
          path: callerPath,
          attempts: attempt,
        });
        if (!canRetry) throw failure;
      } finally {
        clearTimeout(timer);
      }
      await sleep(Math.max(waitMs, this.#backoff(attempt)), userSignal);
    }
  }

  #url(path: string): URL {
    return confinedUrl(this.#origin, this.#basePath, path);
  }

  /** Exponential backoff with jitter: about 250, 500, 1000 ms…, capped. */
  #backoff(attempt: number): number {
    const base = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** (attempt - 1));
    return Math.round(base / 2 + Math.random() * (base / 2));
  }
}
