/**
 * RFC 9421 HTTP Message Signatures, latchkey's profile (docs/protocol.md §2.7): parses the
 * `Signature-Input` and `Signature` fields (one member each, the same label), checks the profile —
 * covered components `@method`, `@authority`, `@path`, `@query` each exactly once, `content-digest`
 * whenever the request has a body or a `Content-Digest` field, other covered fields only when present;
 * parameters `created` (±300 s), `expires` (honoured), `nonce`, `keyid`, `tag="latchkey"`, optional
 * `alg`; caps on the fields' lengths and the number of components — builds the signature base exactly as
 * RFC 9421 §2.5, and verifies `hmac-sha256`, `hmac-sha512` (keyed with the key material's bytes, compared
 * in constant time) and `ed25519`. Also RFC 9530 `Content-Digest` (`sha-256` or `sha-512`) against a body.
 * Pure and total: no I/O, no environment, and nothing throws on any input.
 */
import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { checkTimestamp } from './armor';
import type { FailureReason } from './refusals';
import {
  parseDictionary,
  type SfInnerList,
  type SfParameters,
  serializeInnerList,
} from './structured-fields';
import { KEY_ID_RE } from './token';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './wire';

/** The `tag` parameter latchkey's profile requires (RFC 9421 §2.3). */
export const SIGNATURE_TAG = 'latchkey';
/** The algorithms a key may sign with; which one is the key's choice (RFC 9421 §3.3.7). */
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm };
/** What a token key without `sig_alg` signs with. */
export const DEFAULT_SIGNATURE_ALGORITHM: SignatureAlgorithm = 'hmac-sha256';

/** The longest `Signature-Input` value accepted. */
export const SIGNATURE_INPUT_MAX_LENGTH = 1024;
/** The longest `Signature` value accepted (a 64-byte signature is 88 base64 characters). */
export const SIGNATURE_MAX_LENGTH = 256;
/** The most covered components accepted. */
export const MAX_COVERED_COMPONENTS = 12;
/** 1–128 of `[A-Za-z0-9_-]`: the nonce is part of a DynamoDB key. */
const NONCE_RE = /^[A-Za-z0-9_-]{1,128}$/;
/** The components every signature must cover. */
export const REQUIRED_COMPONENTS = ['@method', '@authority', '@path', '@query'] as const;
/** A header field name as a component identifier: lower case (RFC 9421 §2.1), no parameters. */
const FIELD_NAME_RE = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
/** Fields whose value is the signature itself: covering them is meaningless. */
const UNCOVERABLE = new Set(['signature', 'signature-input']);
const KNOWN_PARAMS = new Set(['created', 'expires', 'nonce', 'keyid', 'alg', 'tag']);
const SIGNATURE_LENGTHS: Record<SignatureAlgorithm, number> = {
  'hmac-sha256': 32,
  'hmac-sha512': 64,
  ed25519: 64,
};

/** The request as the verifier sees it: what the signature base is built from. */
export interface SignedMessage {
  /** The method as sent. */
  method: string;
  /** The `Host` field (`:authority`), as sent. */
  host: string | undefined;
  /** The path as sent, no query. */
  path: string;
  /** The query as sent, without its `?` ('' when none). */
  query: string;
  /** A header field's value (name lower case), several lines combined with ', '; undefined when absent. */
  field(name: string): string | undefined;
  /** The request has a body (`Content-Length` above 0, or `Transfer-Encoding`). */
  hasBody: boolean;
}

/** A signature that passed the profile: everything the key lookup and the verification need. */
export interface ProfiledSignature {
  label: string;
  keyId: string;
  nonce: string;
  /** Unix seconds. */
  created: number;
  expires: number | null;
  alg: SignatureAlgorithm | null;
  /** The signature base (RFC 9421 §2.5), the exact bytes that were signed. */
  base: string;
  signature: Buffer;
}

export type SignatureCheck =
  | { ok: true; signature: ProfiledSignature }
  | { ok: false; reason: FailureReason };

/** The one member of a dictionary field, or null when there is not exactly one. */
function onlyMember(value: string, maxLength: number) {
  const dict = parseDictionary(value, maxLength);
  return dict === null || dict.length !== 1 ? null : (dict[0] ?? null);
}

/**
 * Parses the two fields and checks them against the profile, then builds the signature base. The key is
 * not needed yet: what this refuses costs no I/O.
 */
export function checkSignatureProfile(
  signatureInput: string,
  signatureField: string,
  message: SignedMessage,
  nowMs: number,
): SignatureCheck {
  const input = onlyMember(signatureInput, SIGNATURE_INPUT_MAX_LENGTH);
  const sig = onlyMember(signatureField, SIGNATURE_MAX_LENGTH);
  if (input === null || sig === null) return { ok: false, reason: 'sig_malformed' };
  const [label, inputMember] = input;
  const [sigLabel, sigMember] = sig;
  if (label !== sigLabel) return { ok: false, reason: 'sig_label_mismatch' };
  if (inputMember.kind !== 'list' || sigMember.kind !== 'item' || sigMember.item.type !== 'bytes')
    return { ok: false, reason: 'sig_malformed' };
  if (sigMember.params.length > 0) return { ok: false, reason: 'sig_malformed' };
  // The base repeats the parameters as serialised: only the canonical serialisation is accepted, so the
  // line the signer signed is the one rebuilt here, byte for byte.
  const list: SfInnerList = { items: inputMember.items, params: inputMember.params };
  const serialized = serializeInnerList(list);
  if (signatureInput.replace(/^[ \t]+|[ \t]+$/g, '') !== `${label}=${serialized}`)
    return { ok: false, reason: 'sig_malformed' };

  const params = readParameters(list.params);
  if (params === null) return { ok: false, reason: 'sig_params' };
  if (params.tag !== SIGNATURE_TAG) return { ok: false, reason: 'sig_tag' };
  const clock = checkTimestamp(params.created, nowMs);
  if (clock !== 'ok')
    return { ok: false, reason: clock === 'stale' ? 'stale_timestamp' : 'future_timestamp' };
  if (params.expires !== null && params.expires * 1000 <= nowMs) return { ok: false, reason: 'sig_expired' };

  const components = coveredComponents(list, message);
  if (components === null) return { ok: false, reason: 'sig_components' };
  const base = baseOf(components, serialized, message);
  return {
    ok: true,
    signature: {
      label,
      keyId: params.keyid,
      nonce: params.nonce,
      created: params.created,
      expires: params.expires,
      alg: params.alg,
      base,
      signature: sigMember.item.value,
    },
  };
}

interface ProfileParameters {
  created: number;
  expires: number | null;
  nonce: string;
  keyid: string;
  alg: SignatureAlgorithm | null;
  tag: string;
}

/** The signature parameters, each once, of the right type; null when any is missing, unknown or wrong. */
function readParameters(params: SfParameters): ProfileParameters | null {
  const found = new Map(params);
  if ([...found.keys()].some((k) => !KNOWN_PARAMS.has(k))) return null;
  const created = found.get('created');
  const expires = found.get('expires');
  const nonce = found.get('nonce');
  const keyid = found.get('keyid');
  const alg = found.get('alg');
  const tag = found.get('tag');
  if (created?.type !== 'integer' || created.value < 0) return null;
  if (expires !== undefined && (expires.type !== 'integer' || expires.value < 0)) return null;
  if (nonce?.type !== 'string' || !NONCE_RE.test(nonce.value)) return null;
  if (keyid?.type !== 'string' || !KEY_ID_RE.test(keyid.value)) return null;
  if (tag?.type !== 'string') return null;
  if (alg !== undefined && (alg.type !== 'string' || !isSignatureAlgorithm(alg.value))) return null;
  return {
    created: created.value,
    expires: expires?.type === 'integer' ? expires.value : null,
    nonce: nonce.value,
    keyid: keyid.value,
    alg: alg?.type === 'string' && isSignatureAlgorithm(alg.value) ? alg.value : null,
    tag: tag.value,
  };
}

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === 'string' && (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * The covered component names, in the order signed, when they fit the profile: strings without
 * parameters, each once; the four required derived components; `content-digest` when the request has a
 * body or the field; no other derived component; other fields only when present. Null otherwise.
 */
function coveredComponents(list: SfInnerList, message: SignedMessage): string[] | null {
  if (list.items.length > MAX_COVERED_COMPONENTS) return null;
  const names: string[] = [];
  for (const { item, params } of list.items) {
    if (item.type !== 'string' || params.length > 0 || names.includes(item.value)) return null;
    const name = item.value;
    if (name.startsWith('@')) {
      if (!(REQUIRED_COMPONENTS as readonly string[]).includes(name)) return null;
    } else if (!FIELD_NAME_RE.test(name) || UNCOVERABLE.has(name) || message.field(name) === undefined) {
      return null;
    }
    names.push(name);
  }
  if (!REQUIRED_COMPONENTS.every((c) => names.includes(c))) return null;
  const digestNeeded = message.hasBody || message.field('content-digest') !== undefined;
  if (digestNeeded && !names.includes('content-digest')) return null;
  if (message.host === undefined || message.host === '') return null;
  return names;
}

/**
 * The signature base (RFC 9421 §2.5) of one `Signature-Input` member, without the profile's checks:
 * every covered component must be a derived component this module knows (`@method`, `@authority`,
 * `@path`, `@query`) or a field the request has, without parameters. Null when it is not one canonical
 * member or a component cannot be derived. For the RFC's own examples (Appendix B) and the profile alike.
 */
export function signatureBaseOf(signatureInput: string, message: SignedMessage): string | null {
  const input = onlyMember(signatureInput, SIGNATURE_INPUT_MAX_LENGTH);
  if (input === null || input[1].kind !== 'list') return null;
  const list: SfInnerList = { items: input[1].items, params: input[1].params };
  const serialized = serializeInnerList(list);
  if (signatureInput.replace(/^[ \t]+|[ \t]+$/g, '') !== `${input[0]}=${serialized}`) return null;
  const names: string[] = [];
  for (const { item, params } of list.items) {
    if (item.type !== 'string' || params.length > 0 || names.includes(item.value)) return null;
    const known = (REQUIRED_COMPONENTS as readonly string[]).includes(item.value);
    if (item.value.startsWith('@') ? !known : message.field(item.value) === undefined) return null;
    names.push(item.value);
  }
  return baseOf(names, serialized, message);
}

function baseOf(components: readonly string[], serializedParams: string, message: SignedMessage): string {
  const lines = components.map((name) => `"${name}": ${componentValue(name, message)}`);
  lines.push(`"@signature-params": ${serializedParams}`);
  return lines.join('\n');
}

/** A component's value in the base (RFC 9421 §2.1, §2.2). */
function componentValue(name: string, message: SignedMessage): string {
  switch (name) {
    case '@method':
      return message.method;
    case '@authority':
      return authorityOf(message.host ?? '');
    case '@path':
      return message.path === '' ? '/' : message.path;
    case '@query':
      return `?${message.query}`;
    default:
      return (message.field(name) ?? '').trim();
  }
}

/** `@authority`: the host lower-cased, a default port (80, 443) dropped (RFC 9421 §2.2.3). */
export function authorityOf(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/:(?:80|443)$/, '');
}

/** Verifies a signature base: HMAC keyed with `key`'s bytes, or Ed25519 with a raw 32-byte public key. */
export function verifySignatureBase(
  alg: SignatureAlgorithm,
  key: Buffer,
  base: string,
  signature: Buffer,
): boolean {
  if (signature.length !== SIGNATURE_LENGTHS[alg]) return false;
  if (alg === 'ed25519') {
    const publicKey = ed25519PublicKey(key);
    if (publicKey === null) return false;
    try {
      return verify(null, Buffer.from(base, 'utf8'), publicKey, signature);
    } catch {
      return false;
    }
  }
  const mac = createHmac(alg === 'hmac-sha256' ? 'sha256' : 'sha512', key)
    .update(base, 'utf8')
    .digest();
  return timingSafeEqual(mac, signature);
}

/** A raw 32-byte Ed25519 public key as a key object (JWK `OKP`), or null when it is not one. */
export function ed25519PublicKey(raw: Buffer) {
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

/** A stored `public_key` (base64url, no padding, 32 bytes) as bytes, or null. */
export function publicKeyBytes(stored: string | null | undefined): Buffer | null {
  if (typeof stored !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(stored)) return null;
  const raw = Buffer.from(stored, 'base64url');
  return raw.length === 32 && raw.toString('base64url') === stored ? raw : null;
}

export { parseRfc9530Digest, verifyRfc9530Body } from './rfc9530';
