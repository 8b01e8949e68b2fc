/**
 * How a `LatchkeyClient` authorizes each attempt: the key as a bearer token, an ARMOR-PSK signature
 * (`sign: true` or `'armor'`), or an RFC 9421 signature (`sign: 'rfc9421'`), keyed by the token (HMAC,
 * the key's `signatureAlgorithm`) or, for a public-key key, by the Ed25519 `privateKey` the caller holds.
 * The credential is checked once, when the client is made; every attempt is then signed afresh (a new
 * nonce and time), so no retry replays another's signature.
 */
import type { Ed25519PrivateKey } from '../core/http-signatures-sign';
import { signRequest9421 } from '../core/http-signatures-sign';
import { keyIdOfToken, signRequest } from '../core/signer';
import { KEY_ID_RE } from '../core/token';
import { BEARER_SCHEME, type SignatureAlgorithm } from '../core/wire';

/** What `sign` may say: false (bearer), true or `'armor'` (ARMOR-PSK), `'rfc9421'` (RFC 9421). */
export type SignOption = boolean | 'armor' | 'rfc9421';
/** How one request is authorized. */
export type SignMode = 'bearer' | 'armor' | 'rfc9421';

/** The client's credential, as its options give it. */
export interface ClientCredential {
  /** The admin key or an API-key token; absent for a public-key key (then `privateKey` and `keyId`). */
  key?: string;
  /** A public-key key's id (16 base62 characters): with `privateKey`. */
  keyId?: string;
  /** A public-key key's Ed25519 private key (a `KeyObject` or a PEM): signs every request with RFC 9421. */
  privateKey?: Ed25519PrivateKey;
  /** The key's `signature_algorithm` for RFC 9421: `hmac-sha256` (default) or `hmac-sha512` for a token. */
  signatureAlgorithm?: SignatureAlgorithm;
}

/** The mode a `sign` value asks for; a client with a private key always signs with RFC 9421. */
export function signModeOf(sign: SignOption | undefined, credential: ClientCredential): SignMode {
  if (credential.privateKey !== undefined) {
    if (sign !== undefined && sign !== 'rfc9421') {
      throw new TypeError("a privateKey signs with RFC 9421 only: leave sign out or set it to 'rfc9421'");
    }
    return 'rfc9421';
  }
  if (sign === undefined || sign === false) return 'bearer';
  if (sign === true || sign === 'armor') return 'armor';
  if (sign === 'rfc9421') return 'rfc9421';
  throw new TypeError("sign must be true, false, 'armor' or 'rfc9421'");
}

/** Checks a credential against the mode it is used in; throws a TypeError that never echoes a secret. */
export function checkCredential(credential: ClientCredential, mode: SignMode): void {
  if (credential.privateKey !== undefined) {
    if (credential.key !== undefined) throw new TypeError('give either key or privateKey, not both');
    if (credential.keyId === undefined || !KEY_ID_RE.test(credential.keyId)) {
      throw new TypeError('keyId (the key id, 16 letters and digits) is required with a privateKey');
    }
    if (credential.signatureAlgorithm !== undefined && credential.signatureAlgorithm !== 'ed25519') {
      throw new TypeError('a privateKey signs with ed25519');
    }
    // Signing a probe once surfaces an unusable key now, not on the first request.
    signRequest9421({ ...pkSigner(credential), method: 'GET', url: 'http://probe.invalid/' });
    return;
  }
  if (typeof credential.key !== 'string' || !/^[\x21-\x7e]+$/.test(credential.key)) {
    throw new TypeError('key must be the admin key or an API-key token (printable characters, no spaces)');
  }
  if (mode !== 'bearer' && keyIdOfToken(credential.key) === null) {
    throw new TypeError(
      `sign: ${mode === 'armor' ? 'true' : `'${mode}'`} needs an API-key token (<prefix>_<keyId>_<secret>); the admin key can only be sent as a bearer token`,
    );
  }
  if (credential.signatureAlgorithm === 'ed25519') {
    throw new TypeError('signatureAlgorithm ed25519 needs a privateKey (a public-key key), not a token');
  }
}

function pkSigner(credential: ClientCredential) {
  return { keyId: credential.keyId, privateKey: credential.privateKey };
}

/** Sets the headers that authorize one attempt (and removes any a previous attempt or the caller set). */
export function authorize(
  headers: Headers,
  credential: ClientCredential,
  mode: SignMode,
  request: { method: string; url: URL; body: string | Uint8Array | undefined },
): void {
  if (mode === 'bearer') {
    headers.set('authorization', `${BEARER_SCHEME} ${credential.key}`);
    return;
  }
  headers.delete('content-digest');
  // One credential per request: an RFC 9421 request carries no Authorization.
  if (mode === 'rfc9421')
    for (const name of ['authorization', 'signature', 'signature-input']) headers.delete(name);
  const signed =
    mode === 'armor'
      ? signRequest({
          token: credential.key as string,
          method: request.method,
          path: request.url.pathname,
          body: request.body,
        })
      : signRequest9421({
          ...(credential.privateKey !== undefined
            ? pkSigner(credential)
            : { token: credential.key, algorithm: credential.signatureAlgorithm }),
          method: request.method,
          url: request.url,
          body: request.body,
        });
  for (const [name, value] of Object.entries(signed.headers)) headers.set(name, value);
}
