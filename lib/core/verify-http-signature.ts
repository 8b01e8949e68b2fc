/**
 * The RFC 9421 leg of credential verification (docs/protocol.md §2.7), up to a verified signature: the
 * profile checked with no I/O (`http-signatures.ts`), the body checked against its `Content-Digest`
 * where the caller has it, then one consistent read of the key item, the key's algorithm and key
 * material (the token re-derived for HMAC keys, as ARMOR-PSK does; the stored public key for Ed25519
 * keys), and the signature. What follows a verified signature — key status, allowlist, the one
 * transaction with the nonce record and the usage, the rate limit — is ARMOR-PSK's path, in `verify.ts`.
 */

import { NONCE_TTL_SECONDS } from './armor';
import {
  checkSignatureProfile,
  DEFAULT_SIGNATURE_ALGORITHM,
  parseRfc9530Digest,
  publicKeyBytes,
  type SignedMessage,
  verifyRfc9530Body,
  verifySignatureBase,
} from './http-signatures';
import type { KeyRecord } from './model';
import type { BodyRefusal, FailureReason } from './refusals';
import { issuedToken } from './token';
import type { RecordReplayInput, UsageStore } from './usage-store';

/** What the verifier reads of an RFC 9421 request, besides the method and the path. */
export interface HttpSignatureInput {
  /** The `Signature-Input` field; undefined when absent. */
  signatureInput: string | undefined;
  /** The `Signature` field; undefined when absent. */
  signature: string | undefined;
  /** The `Host` field. */
  host: string | undefined;
  /**
   * The query as sent, without its `?` ('' when none). An API Gateway REST API shows its authorizer the
   * query only decoded: the caller then passes it rebuilt (`canonicalQuery` in `#lambda/runtime/signed-message`).
   */
  query: string;
  /** A header field's value (name lower case), lines combined with ', '; undefined when absent. */
  field(name: string): string | undefined;
  /** The request has a body (`Content-Length` above 0 or `Transfer-Encoding`, or a body the caller holds). */
  hasBody: boolean;
}

/** Whether a request carries an RFC 9421 signature at all (either field): it is then verified as one. */
export function hasHttpSignature(input: HttpSignatureInput | undefined): input is HttpSignatureInput {
  return input !== undefined && (input.signatureInput !== undefined || input.signature !== undefined);
}

export interface HttpSignatureDeps {
  tokenPrefixes: readonly string[];
  signingSecret: () => Promise<string>;
  usage: Pick<UsageStore, 'readKey'>;
}

export type HttpSignatureOutcome =
  | { ok: true; record: KeyRecord; replay: RecordReplayInput }
  | { ok: false; reason: FailureReason | BodyRefusal; keyId: string | null };

/**
 * Checks an RFC 9421 signature up to the point where it is known to be the key's. I/O: none for
 * anything the profile or the body refuses; one consistent read of the key item otherwise (and the
 * signing secret for an HMAC key). Throws only when a dependency fails.
 */
export async function verifyHttpSignature(
  deps: HttpSignatureDeps,
  request: {
    method: string;
    path: string;
    body?: Uint8Array | string | null;
    contentDigestRepeated?: boolean;
  },
  input: HttpSignatureInput,
  nowMs: number,
): Promise<HttpSignatureOutcome> {
  if (input.signatureInput === undefined || input.signature === undefined)
    return { ok: false, reason: 'sig_malformed', keyId: null };
  const message: SignedMessage = {
    method: request.method,
    host: input.host,
    path: request.path,
    query: input.query,
    field: input.field,
    hasBody:
      input.hasBody || (request.body !== undefined && request.body !== null && request.body.length > 0),
  };
  const checked = checkSignatureProfile(input.signatureInput, input.signature, message, nowMs);
  if (!checked.ok) return { ok: false, reason: checked.reason, keyId: null };
  const sig = checked.signature;
  const keyId = sig.keyId;
  if (request.contentDigestRepeated === true) return { ok: false, reason: 'content_digest_repeated', keyId };
  // The authorizer cannot see the body, but a digest that is not one it could check is refused all the same.
  const digest = input.field('content-digest');
  if (digest !== undefined && parseRfc9530Digest(digest) === null)
    return { ok: false, reason: 'bad_content_digest', keyId };
  if (request.body !== undefined) {
    const body = verifyRfc9530Body(request.body, input.field('content-digest'));
    if (body === 'missing' || body === 'mismatch')
      return { ok: false, reason: `content_digest_${body}`, keyId };
  }

  const record = (await deps.usage.readKey(keyId))?.record ?? null;
  if (record === null) return { ok: false, reason: 'unknown_key', keyId };
  const alg = record.sig_alg ?? DEFAULT_SIGNATURE_ALGORITHM;
  if (sig.alg !== null && sig.alg !== alg) return { ok: false, reason: 'sig_alg_mismatch', keyId };
  let key: Buffer | null;
  if (alg === 'ed25519') key = publicKeyBytes(record.public_key);
  else {
    // As for ARMOR-PSK: the token re-derived from the master secret must be the one whose hash was stored.
    const issued = issuedToken(deps.tokenPrefixes, await deps.signingSecret(), record);
    key = issued === null ? null : Buffer.from(issued.token, 'utf8');
  }
  if (key === null) return { ok: false, reason: 'key_mismatch', keyId };
  if (!verifySignatureBase(alg, key, sig.base, sig.signature))
    return { ok: false, reason: 'bad_signature', keyId };
  return {
    ok: true,
    record,
    replay: { keyId, nonce: sig.nonce, replayTtl: sig.created + NONCE_TTL_SECONDS },
  };
}
