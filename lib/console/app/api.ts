/**
 * The console's API client. The credential lives in one module-level variable and nowhere else: not in
 * localStorage, sessionStorage, cookies or the URL, so a reload forgets it. A call names its route by id
 * and takes the method and path from the route table (#core/routes); the path is resolved against the
 * page's base (the page is served at `<stage>/console`, so `v1/keys` reaches `<stage>/v1/keys` on the
 * same origin). Failures become `ConsoleApiError` with the API's code, message and request id; a 401
 * while signed in clears the credential and calls the sign-out hook.
 */
import { findRoute, type ManagementRouteId, routePath } from '#core/routes';
import { BEARER_SCHEME } from '#core/wire';

let credential: string | null = null;
let onUnauthorized: (error: ConsoleApiError) => boolean = () => false;

export class ConsoleApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** Set when this 401 already signed the session out (and said so); pages need not show it again. */
  signedOut = false;
  /** On a 403: the permission the route needs (from the route table), which this credential lacks. */
  missingPermission: string | null = null;
  constructor(status: number, code: string, message: string, requestId: string | null) {
    super(message);
    this.name = 'ConsoleApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export function setCredential(value: string | null): void {
  credential = value;
}

export function isSignedIn(): boolean {
  return credential !== null;
}

/** The handler returns true when it signed a session out (a 401 at sign-in is the sign-in page's to show). */
export function setUnauthorizedHandler(handler: (error: ConsoleApiError) => boolean): void {
  onUnauthorized = handler;
}

/** What one call adds to its route: path parameters, a query (empty values left out), a JSON body. */
export interface ApiCall {
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string | number | null | undefined>>;
  body?: unknown;
}

/** A route's path relative to the page's base (no leading slash, so the stage stays), with its query. */
function pathOf(id: ManagementRouteId, call: ApiCall): string {
  const path = routePath(id, call.params).replace(/^\//, '');
  const query = call.query ?? {};
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  }
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

/** A route's absolute URL on this deployment (origin and stage from the page's own address). */
export function apiUrl(id: ManagementRouteId, call: ApiCall = {}): string {
  return new URL(pathOf(id, call), document.baseURI).href;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; request_id?: unknown };
}

/**
 * Calls a management route with the held credential; resolves to the parsed JSON body or throws
 * ConsoleApiError.
 */
export async function api<T>(id: ManagementRouteId, call: ApiCall = {}): Promise<T> {
  if (credential === null) throw new ConsoleApiError(401, 'unauthorized', 'Signed out.', null);
  const { method, needs } = findRoute(id);
  const { body } = call;
  const headers: Record<string, string> = { authorization: `${BEARER_SCHEME} ${credential}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(pathOf(id, call), document.baseURI), {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ConsoleApiError(0, 'network_error', 'The API could not be reached.', null);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (res.ok) return parsed as T;
  const err = (parsed as ErrorBody | null)?.error;
  const error = new ConsoleApiError(
    res.status,
    typeof err?.code === 'string' ? err.code : `http_${res.status}`,
    typeof err?.message === 'string' ? err.message : `The API answered HTTP ${res.status}.`,
    typeof err?.request_id === 'string' ? err.request_id : res.headers.get('x-request-id'),
  );
  if (res.status === 401 && credential !== null) error.signedOut = onUnauthorized(error);
  if (res.status === 403 && error.code === 'forbidden' && needs.includes(':'))
    error.missingPermission = needs;
  throw error;
}
