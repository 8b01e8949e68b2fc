/**
 * How a `LatchkeyClient` is set up (base URL, key, signing, fetch, timeouts, retries) and what each
 * request may add (an abort signal; for `client.fetch`, a RequestInit the client can hash and resend),
 * with the defaults the client applies.
 */

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_RETRY_DELAY_MS = 250;
/** Longest wait between two attempts, whatever the backoff or a `Retry-After` header says. */
export const MAX_RETRY_DELAY_MS = 10_000;

export interface LatchkeyClientOptions {
  /**
   * Where the API lives: `http://127.0.0.1:8787` locally, `https://<id>.execute-api.<region>.amazonaws.com/prod`
   * on AWS (the stack's `ApiUrl` output). A path in it (the stage) is part of every request path and of
   * what is signed.
   */
  baseUrl: string | URL;
  /** The admin key or an API-key token. Never logged, never part of an error message. */
  key: string;
  /**
   * Sign every request with ARMOR-PSK (fresh nonce and timestamp per attempt, `Content-Digest` for bodies)
   * instead of sending the key as a bearer token. Needs an API-key token: the admin key cannot sign.
   */
  sign?: boolean;
  /** A `fetch` implementation; default the global one (Node 20+). */
  fetch?: typeof globalThis.fetch;
  /** Per attempt; for API methods it covers reading the body, for `client.fetch` until the headers arrive. Default 30 s. */
  timeoutMs?: number;
  /**
   * Extra attempts for idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) after a network error, a
   * timeout, a 5xx or a 429, with exponential backoff. POST and PATCH are never retried. Default 2.
   */
  retries?: number;
  /** First backoff delay; doubled per attempt, with jitter. Default 250 ms. */
  retryDelayMs?: number;
}

export interface RequestOptions {
  /** Cancels the request; the promise then rejects with the signal's reason, not a LatchkeyError. */
  signal?: AbortSignal;
}

/** `client.fetch` options: a RequestInit whose body the client can hash and resend. */
export interface LatchkeyFetchInit extends Omit<RequestInit, 'body' | 'method'> {
  method?: string;
  body?: string | Uint8Array | null;
  /** Overrides the client's `sign` option for this request. */
  sign?: boolean;
}
