/**
 * Ed25519 public keys as the management API takes them (`public_key` on `POST /v1/keys` and on a
 * public-key key's rotation): the raw 32 bytes in base64url or base64 (padding optional), or a PEM
 * `-----BEGIN PUBLIC KEY-----` (SPKI). Anything else is refused with a reason that names the problem
 * (the wrong length, another key type such as RSA, a private key), never echoing what was sent. The
 * key is stored and shown in one form: the raw 32 bytes, base64url without padding (`public_key` on the
 * key item and the key object). Also the fingerprint audit events record instead of the key itself.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { ValidationError } from './errors';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './wire';

/** The length of a raw Ed25519 public key (RFC 8032 §5.1.5). */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** The longest `public_key` value read (a PEM SPKI of an Ed25519 key is 113 characters). */
export const PUBLIC_KEY_MAX_LENGTH = 1024;

/** Why a `public_key` value is not an Ed25519 public key. */
export type PublicKeyProblem =
  | 'not_a_string'
  | 'too_long'
  | 'private_key'
  | 'not_ed25519'
  | 'bad_pem'
  | 'not_base64'
  | 'wrong_length';

export type PublicKeyParse =
  | { ok: true; publicKey: string }
  | { ok: false; problem: PublicKeyProblem; detail?: string };

const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Parses a `public_key` value into its stored form (raw 32 bytes, base64url without padding). */
export function parseEd25519PublicKey(value: unknown): PublicKeyParse {
  if (typeof value !== 'string') return { ok: false, problem: 'not_a_string' };
  if (value.length > PUBLIC_KEY_MAX_LENGTH) return { ok: false, problem: 'too_long' };
  const text = value.trim();
  if (text.startsWith('-----BEGIN')) return fromPem(text);
  const unpadded = text.replace(/=+$/, '');
  if (!BASE64_RE.test(text) || (/[+/]/.test(unpadded) && /[-_]/.test(unpadded))) {
    return { ok: false, problem: 'not_base64' };
  }
  const url = unpadded.replaceAll('+', '-').replaceAll('/', '_');
  const raw = Buffer.from(url, 'base64url');
  // Buffer skips what it cannot decode: a string that does not come back the same is not base64.
  if (raw.toString('base64url') !== url) return { ok: false, problem: 'not_base64' };
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
    return { ok: false, problem: 'wrong_length', detail: String(raw.length) };
  }
  return { ok: true, publicKey: raw.toString('base64url') };
}

function fromPem(text: string): PublicKeyParse {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { ok: false, problem: 'private_key' };
  if (!text.startsWith('-----BEGIN PUBLIC KEY-----')) {
    const kind = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
    return kind?.includes('RSA')
      ? { ok: false, problem: 'not_ed25519', detail: 'rsa' }
      : { ok: false, problem: 'bad_pem' };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    return { ok: false, problem: 'bad_pem' };
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    return { ok: false, problem: 'not_ed25519', detail: key.asymmetricKeyType ?? 'unknown' };
  }
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') return { ok: false, problem: 'bad_pem' };
  return { ok: true, publicKey: x };
}

/** The message a refused `public_key` gets (`field` is the request field's name). */
export function publicKeyProblemText(field: string, parse: Extract<PublicKeyParse, { ok: false }>): string {
  const ed = 'an Ed25519 public key (32 bytes in base64url or base64, or a PEM PUBLIC KEY)';
  switch (parse.problem) {
    case 'not_a_string':
      return `${field}: must be a string: ${ed}`;
    case 'too_long':
      return `${field}: must be at most ${PUBLIC_KEY_MAX_LENGTH} characters: ${ed}`;
    case 'private_key':
      return `${field}: is a private key; send only the public key (${ed}) and keep the private key to yourself`;
    case 'not_ed25519':
      return `${field}: is ${parse.detail === 'rsa' ? 'an RSA' : `a ${parse.detail}`} key; latchkey takes only Ed25519 public keys`;
    case 'bad_pem':
      return `${field}: is not a readable PEM PUBLIC KEY: ${ed}`;
    case 'not_base64':
      return `${field}: is neither base64url, base64 nor PEM: ${ed}`;
    case 'wrong_length':
      return `${field}: decodes to ${parse.detail} bytes; an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES}`;
  }
}

/** A stored public key (raw, base64url) as a `KeyObject`, for verifying. */
export function ed25519PublicKeyObject(publicKey: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

/** What audit events record of a public key: `sha256:` and the SHA-256 of its raw bytes, base64url. */
export function publicKeyFingerprint(publicKey: string): string {
  return `sha256:${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('base64url')}`;
}

/**
 * How a key signs, as its record holds it: a token key with its HMAC (`public_key` null), or a
 * public-key key with its public key.
 */
export type KeySignature =
  | { sig_alg: Exclude<SignatureAlgorithm, 'ed25519'>; public_key: null }
  | { sig_alg: 'ed25519'; public_key: string };

/** `public_key`, when present: an Ed25519 public key in its stored form, or a 400 naming the problem. */
export function optionalPublicKey(value: unknown, field = 'public_key'): string | null {
  if (value === undefined || value === null) return null;
  const parsed = parseEd25519PublicKey(value);
  if (!parsed.ok) throw new ValidationError(field, publicKeyProblemText(field, parsed));
  return parsed.publicKey;
}

/**
 * `POST /v1/keys`'s `signature_algorithm` and `public_key`: nothing is a token key signing with
 * `hmac-sha256`; `hmac-sha512` a token key signing with that; a `public_key` (with `signature_algorithm`
 * absent or `ed25519`) a public-key key.
 */
export function validateKeySignature(input: Readonly<Record<string, unknown>>): KeySignature {
  const alg = input.signature_algorithm ?? null;
  if (alg !== null && !SIGNATURE_ALGORITHMS.some((known) => known === alg)) {
    throw new ValidationError(
      'signature_algorithm',
      `signature_algorithm: must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`,
    );
  }
  const publicKey = optionalPublicKey(input.public_key);
  if (publicKey !== null) {
    if (alg !== null && alg !== 'ed25519') {
      throw new ValidationError(
        'signature_algorithm',
        `signature_algorithm: a key with a public_key signs with ed25519, not ${alg}`,
      );
    }
    return { sig_alg: 'ed25519', public_key: publicKey };
  }
  if (alg === 'ed25519') {
    throw new ValidationError('public_key', 'public_key: is required for signature_algorithm ed25519');
  }
  return { sig_alg: alg === 'hmac-sha512' ? 'hmac-sha512' : 'hmac-sha256', public_key: null };
}
