/**
 * How a `LatchkeyClient` is set up (base URL, key, signing, fetch, timeouts, retries) and what each
 * request may add (an abort signal; for `client.fetch`, a RequestInit the client can hash and resend),
 * with the defaults the client applies.
 */

import type { Ed25519PrivateKey } from '../core/http-signatures-sign';
import type { SignatureAlgorithm } from '../core/wire';
import type { SignOption } from './signing';

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
  /**
   * The admin key or an API-key token. Never logged, never part of an error message. Left out for a
   * public-key key, which signs with `privateKey` and `keyId` instead.
   */
  key?: string;
  /**
   * Sign every request instead of sending the key as a bearer token: `true` or `'armor'` with ARMOR-PSK,
   * `'rfc9421'` with RFC 9421 HTTP Message Signatures (fresh nonce and time per attempt, `Content-Digest`
   * for bodies). Needs an API-key token or a `privateKey`: the admin key cannot sign. Default: false.
   */
  sign?: SignOption;
  /**
   * A public-key key's Ed25519 private key (a `KeyObject` or a PEM string): every request is signed with
   * RFC 9421 (`ed25519`). Needs `keyId`; no `key`. It stays in this process: only signatures leave it.
   */
  privateKey?: Ed25519PrivateKey;
  /** The id of the public-key key `privateKey` belongs to (16 letters and digits). */
  keyId?: string;
  /**
   * The key's `signature_algorithm` for RFC 9421 with a token: `hmac-sha256` (default) or `hmac-sha512`
   * (a key created with `signature_algorithm: 'hmac-sha512'`).
   */
  signatureAlgorithm?: SignatureAlgorithm;
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
  sign?: SignOption;
}
