/**
 * Client side of RFC 9421 (HTTP Message Signatures) as latchkey's profile asks for it: `signRequest9421`
 * builds the `Signature-Input`, `Signature` and (with a body) `Content-Digest` headers of one request,
 * covering `("@method" "@authority" "@path" "@query" "content-digest")` with `created`, `nonce`, `keyid`,
 * `alg` and `tag="latchkey"`. The signature base is built exactly as RFC 9421 §2.5 says, through a small
 * RFC 8941 serialiser of its own (strings, integers, byte sequences, inner lists, parameters); the base
 * builder takes any covered derived components and header fields, so the RFC's own examples (Appendix
 * B.2) reproduce through it. Keys: an HMAC (`hmac-sha256`, `hmac-sha512`) keyed by the UTF-8 bytes of
 * the full token, or `ed25519` with a private key the caller holds (a `KeyObject` or a PEM). Only
 * node:crypto underneath, so it ships in the SDK unchanged.
 */
import { createHash, createHmac, createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { keyIdOfToken } from './signer';
import { KEY_ID_RE } from './token';
import type { SignatureAlgorithm } from './wire';

/** The `tag` parameter naming latchkey's profile. */
export const LATCHKEY_SIGNATURE_TAG = 'latchkey';
/** The label latchkey's clients give their one signature in both dictionaries. */
export const SIGNATURE_LABEL = 'sig1';
/** The covered components latchkey's clients sign, in this order (`content-digest` only with a body). */
export const LATCHKEY_COMPONENTS = ['@method', '@authority', '@path', '@query'] as const;

/** A request as the base builder sees it: the method, the full URL as sent, its header fields. */
export interface MessageToSign {
  method: string;
  url: string | URL;
  /** Header fields by name (any case); a list is several field lines, joined with `, ` (RFC 9421 §2.1). */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/**
 * The signature parameters, serialised in this order (each only when given): `created`, `expires`,
 * `nonce`, `keyid`, `alg`, `tag` (RFC 9421 §2.3).
 */
export interface SignatureParameters {
  created?: number;
  expires?: number;
  nonce?: string;
  keyid?: string;
  alg?: string;
  tag?: string;
}

// RFC 8941 §4.1 serialisation, the part signature fields use.

/** An sf-string (§4.1.6): printable ASCII only, `"` and `\` escaped. */
export function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError('a structured-field string must be printable ASCII');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** An sf-integer (§4.1.4): at most 15 digits. */
export function sfInteger(value: number): string {
  if (!Number.isSafeInteger(value) || Math.abs(value) > 999_999_999_999_999) {
    throw new TypeError('a structured-field integer must be an integer of at most 15 digits');
  }
  return String(value);
}

/** An sf-binary (§4.1.8): `:` base64 `:`. */
export const sfBinary = (bytes: Uint8Array): string => `:${Buffer.from(bytes).toString('base64')}:`;

/** An inner list of strings (§4.1.1.1) with its parameters (§4.1.1.2), e.g. the `@signature-params` value. */
export function signatureParamsValue(components: readonly string[], params: SignatureParameters): string {
  const list = `(${components.map(sfString).join(' ')})`;
  const out: string[] = [];
  if (params.created !== undefined) out.push(`;created=${sfInteger(params.created)}`);
  if (params.expires !== undefined) out.push(`;expires=${sfInteger(params.expires)}`);
  if (params.nonce !== undefined) out.push(`;nonce=${sfString(params.nonce)}`);
  if (params.keyid !== undefined) out.push(`;keyid=${sfString(params.keyid)}`);
  if (params.alg !== undefined) out.push(`;alg=${sfString(params.alg)}`);
  if (params.tag !== undefined) out.push(`;tag=${sfString(params.tag)}`);
  return list + out.join('');
}

/**
 * A covered component's value (RFC 9421 §2.1, §2.2): the derived components of a request that latchkey's
 * profile and the RFC's examples use, or a header field (lower-cased name; values trimmed, several field
 * lines joined with `, `). Throws for a component the message does not have: it cannot be signed.
 */
export function componentValue(message: MessageToSign, name: string): string {
  const url = typeof message.url === 'string' ? new URL(message.url) : message.url;
  switch (name) {
    case '@method':
      return message.method.toUpperCase();
    case '@authority':
      // WHATWG URL `host` is lower-cased and drops the scheme's default port (§2.2.3).
      return url.host;
    case '@scheme':
      return url.protocol.slice(0, -1);
    case '@target-uri':
      return url.href;
    case '@path':
      return url.pathname === '' ? '/' : url.pathname;
    case '@query':
      // `?` and the query as sent; `?` alone when there is none (§2.2.7).
      return url.search === '' ? '?' : url.search;
    case '@request-target':
      return `${url.pathname}${url.search}`;
  }
  if (name.startsWith('@') || name !== name.toLowerCase()) {
    throw new TypeError(`cannot sign the component ${JSON.stringify(name)}`);
  }
  const entry = Object.entries(message.headers ?? {}).find(([field]) => field.toLowerCase() === name)?.[1];
  if (entry === undefined) throw new TypeError(`the message has no ${name} header to sign`);
  const lines = typeof entry === 'string' ? [entry] : entry;
  return lines.map((line) => line.trim()).join(', ');
}

/**
 * The signature base (RFC 9421 §2.5): one line `"<component>": <value>` per covered component, in order,
 * then `"@signature-params": <inner list with parameters>`, joined with LF, no trailing LF.
 */
export function signatureBase(
  message: MessageToSign,
  components: readonly string[],
  params: SignatureParameters,
): string {
  if (new Set(components).size !== components.length) throw new TypeError('a component is covered twice');
  const lines = components.map((name) => {
    const value = componentValue(message, name);
    if (/[\r\n]/.test(value)) throw new TypeError(`the value of ${name} holds a line break`);
    return `${sfString(name)}: ${value}`;
  });
  lines.push(`"@signature-params": ${signatureParamsValue(components, params)}`);
  return lines.join('\n');
}

/** The RFC 9530 `Content-Digest` latchkey's clients send: `sha-256=:<base64>:`. */
export function contentDigest256(body: string | Uint8Array): string {
  return `sha-256=${sfBinary(createHash('sha256').update(body).digest())}`;
}

/**
 * What signs: an HMAC keyed by `secret` (latchkey's: the full token, as its UTF-8 bytes; raw bytes for
 * other keys, such as the RFC's examples), or an Ed25519 private key.
 */
export type SigningKey =
  | { algorithm: 'hmac-sha256' | 'hmac-sha512'; secret: string | Uint8Array }
  | { algorithm: 'ed25519'; privateKey: Ed25519PrivateKey };

/**
 * An Ed25519 private key: a PEM string, or a node:crypto `KeyObject` — described by the two properties
 * checked here, so the SDK's types need no Node.js type declarations in a consumer's project.
 */
export type Ed25519PrivateKey = string | { readonly type: string; readonly asymmetricKeyType?: string };

/** Signs a signature base with a key (RFC 9421 §3.3.3, §3.3.6). */
export function signBase(base: string, key: SigningKey): Uint8Array {
  if (key.algorithm === 'ed25519')
    return sign(null, Buffer.from(base, 'utf8'), ed25519PrivateKey(key.privateKey));
  const hash = key.algorithm === 'hmac-sha512' ? 'sha512' : 'sha256';
  const secret = typeof key.secret === 'string' ? Buffer.from(key.secret, 'utf8') : key.secret;
  return createHmac(hash, secret).update(base, 'utf8').digest();
}

function ed25519PrivateKey(key: Ed25519PrivateKey): KeyObject {
  let object: KeyObject;
  try {
    object = typeof key === 'string' ? createPrivateKey(key) : (key as KeyObject);
  } catch {
    throw new TypeError('privateKey is not a readable PEM private key');
  }
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('privateKey must be an Ed25519 private key');
  }
  return object;
}

export interface SignRequest9421Input {
  /** The key id (16 base62 characters). Default: the one in `token`; required with `privateKey`. */
  keyId?: string;
  /** The full API-key token: signs with HMAC (`hmac-sha256` unless `algorithm` says `hmac-sha512`). */
  token?: string;
  /** An Ed25519 private key (a `KeyObject` or a PEM): signs with `ed25519`, for a public-key key. */
  privateKey?: Ed25519PrivateKey;
  method: string;
  /** The full URL as it will be sent (with the stage on execute-api URLs, and the query). */
  url: string | URL;
  body?: string | Uint8Array | null;
  /** The key's algorithm (`signature_algorithm` on the key). Default: `hmac-sha256` with a token, `ed25519` with a private key. */
  algorithm?: SignatureAlgorithm;
  /** Unix seconds; default now. */
  created?: number;
  /** Unix seconds after which the signature is refused; default none. */
  expires?: number;
  /** 1–128 of `[A-Za-z0-9_-]`; default 32 random lowercase hex characters. */
  nonce?: string;
}

/** The header fields of a request signed with RFC 9421, by their wire names: spread them into fetch's headers. */
export interface Rfc9421Headers {
  'signature-input': string;
  signature: string;
  /** Only when there is a body. */
  'content-digest'?: string;
}

/** What `signRequest9421` returns: the headers to send, and what they are made of. */
export interface Rfc9421Signature {
  headers: Rfc9421Headers;
  /** The signature base that was signed (RFC 9421 §2.5). */
  base: string;
  components: string[];
  params: Required<Pick<SignatureParameters, 'created' | 'nonce' | 'keyid' | 'alg' | 'tag'>> &
    Pick<SignatureParameters, 'expires'>;
}

const NONCE_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** The key an input signs with, checked; throws (never echoing a secret) when it cannot sign. */
function signingKeyOf(input: SignRequest9421Input): { key: SigningKey; keyId: string } {
  if ((input.token === undefined) === (input.privateKey === undefined)) {
    throw new TypeError('give either token (HMAC) or privateKey (Ed25519)');
  }
  if (input.token !== undefined) {
    const fromToken = keyIdOfToken(input.token);
    if (fromToken === null) throw new TypeError('token is not of the form <prefix>_<keyId>_<secret>');
    if (input.keyId !== undefined && input.keyId !== fromToken)
      throw new TypeError('keyId is not the token’s key id');
    const algorithm = input.algorithm ?? 'hmac-sha256';
    if (algorithm === 'ed25519') throw new TypeError('ed25519 signs with a privateKey, not a token');
    return { key: { algorithm, secret: input.token }, keyId: fromToken };
  }
  if (input.algorithm !== undefined && input.algorithm !== 'ed25519') {
    throw new TypeError(`a privateKey signs with ed25519, not ${input.algorithm}`);
  }
  if (input.keyId === undefined || !KEY_ID_RE.test(input.keyId)) {
    throw new TypeError('keyId (16 letters and digits) is required with a privateKey');
  }
  const privateKey = ed25519PrivateKey(input.privateKey as Ed25519PrivateKey);
  return { key: { algorithm: 'ed25519', privateKey }, keyId: input.keyId };
}

/** Signs one request with RFC 9421 in latchkey's profile. Throws (without echoing a secret) when it cannot. */
export function signRequest9421(input: SignRequest9421Input): Rfc9421Signature {
  const { key, keyId } = signingKeyOf(input);
  const method = input.method.toUpperCase();
  if (!/^[A-Z0-9!#$%&'*+.^_`|~-]+$/.test(method)) throw new TypeError('method is not an HTTP token');
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  if (!NONCE_RE.test(nonce)) throw new TypeError('nonce must be 1–128 letters, digits, _ or -');
  const created = input.created ?? Math.floor(Date.now() / 1000);
  sfInteger(created);
  if (input.expires !== undefined) sfInteger(input.expires);
  const body = input.body ?? null;
  const digest = body !== null && body.length > 0 ? contentDigest256(body) : undefined;
  const components: string[] = [...LATCHKEY_COMPONENTS, ...(digest === undefined ? [] : ['content-digest'])];
  const params: Rfc9421Signature['params'] = {
    created,
    ...(input.expires !== undefined ? { expires: input.expires } : {}),
    nonce,
    keyid: keyId,
    alg: key.algorithm,
    tag: LATCHKEY_SIGNATURE_TAG,
  };
  const message: MessageToSign = {
    method,
    url,
    headers: digest === undefined ? {} : { 'content-digest': digest },
  };
  const base = signatureBase(message, components, params);
  const headers: Rfc9421Headers = {
    'signature-input': `${SIGNATURE_LABEL}=${signatureParamsValue(components, params)}`,
    signature: `${SIGNATURE_LABEL}=${sfBinary(signBase(base, key))}`,
    ...(digest === undefined ? {} : { 'content-digest': digest }),
  };
  return { headers, base, components, params };
}
