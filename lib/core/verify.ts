/**
 * Credential verification, the authorizer's core: parses the Authorization header, checks the admin
 * key, a bearer token (one conditional write that checks and counts) or an ARMOR-PSK signed request
 * (clock, Content-Digest, signature, then one transactional write that records the nonce and the
 * signature and counts), and returns a `Verification` value with a reason code for every failure.
 * Storage is reached only through `VerifierDeps.usage` (`usage-store.ts`); pure otherwise.
 */
import {
  checkTimestamp,
  isStrictNonce,
  NONCE_TTL_SECONDS,
  parseContentDigest,
  verifyArmorSignature,
  verifyBodyDigest,
} from './armor';
import { addressAllowed } from './cidr';
import { parseAuthorization } from './credentials';
import { creditsExhausted } from './credits';
import { constantTimeEqual, sha256Hex } from './crypto';
import { type KeyRecord, keyStatus } from './model';
import { type RefusalCountResult, recordRefusalOf, refusalOutcomeOf } from './outcomes';
import { ADMIN_PRINCIPAL, type Principal } from './principal';
import type { BodyRefusal, CreditsRefusal, FailureReason, NetworkRefusal, RateRefusal } from './refusals';
import type { SigningProfile } from './settings';
import { deriveSecret, hashMatches, issuedToken } from './token';
import { RATE_WINDOW_MS, type RecordReplayInput, rateWindowOf, type UsageStore } from './usage-store';
import { type HttpSignatureInput, hasHttpSignature, verifyHttpSignature } from './verify-http-signature';

export type Scheme = 'bearer' | 'armor' | 'rfc9421';

/** Why a credential does not authenticate: its own checks, or (when the body is given) the body's. */
export type UnauthorizedReason = FailureReason | BodyRefusal;

export type Verification =
  | { ok: true; principal: Principal; record: KeyRecord | null; scheme: Scheme }
  | { ok: false; kind: 'unauthorized'; reason: UnauthorizedReason; keyId: string | null }
  | {
      ok: false;
      kind: 'rate_limited';
      retryAfterSeconds: number;
      keyId: string;
      /** The key's `rate_limit_per_minute`, for the `RateLimit-Policy` field of the refusal. */
      limitPerMinute: number;
    }
  /** The credential is valid but the key may not be used from this address; nothing was counted. */
  | { ok: false; kind: 'ip_not_allowed'; keyId: string }
  /** The credential is valid but the key's credits are below the call's cost; nothing was spent or counted. */
  | { ok: false; kind: 'credits_exhausted'; keyId: string };

/** What verification needs from the outside world. Every method may throw: the caller fails closed. */
export interface VerifierDeps {
  /** The token prefixes accepted (`tokenPrefix` setting, `splitPrefixes`): a token of any other is refused. */
  tokenPrefixes: readonly string[];
  /** Which ARMOR-PSK nonces are accepted (default `compatible`: any of the published scheme). */
  signingProfile?: SigningProfile;
  now: () => number;
  /** The admin key. Absent: the admin key is not accepted here (refused as `wrong_admin_key`, no I/O). */
  adminKey?: () => Promise<string>;
  /**
   * After an admin-key mismatch: the secret read again if the cached value is old enough (so a
   * just-rotated admin key works at once), or null. Optional.
   */
  adminKeyRefresh?: () => Promise<string | null>;
  signingSecret: () => Promise<string>;
  /** The key item: checked, counted, read (bounded mode: the hot-key layer in front of the store). */
  usage: UsageStore;
  /** Told when a refusal's count was not written in time or failed (`outcomes.ts`), to log it. Optional. */
  onRefusalCount?: (result: Exclude<RefusalCountResult, 'counted'>, keyId: string, outcome: string) => void;
}

export interface VerifyRequest {
  authorization: string | undefined;
  /** HTTP method as sent. */
  method: string;
  /** The URL path exactly as the client sent it (with the stage on execute-api URLs), no query. */
  path: string;
  /** The `Content-Digest` header, if any. */
  contentDigest: string | undefined;
  /**
   * The request carried more than one `Content-Digest` field line: a signed request is refused, since
   * `contentDigest` holds one of them and whatever else reads the request may pick another.
   */
  contentDigestRepeated?: boolean;
  /**
   * The raw body, where the caller has it (latchkey/verify; never the authorizer, which API Gateway shows
   * no body): a signed request's body is then checked against its `Content-Digest` before any I/O, with
   * the reasons a body reader logs (`content_digest_missing`, `content_digest_mismatch`). Undefined:
   * not checked here (whatever reads the body must check it).
   */
  body?: Uint8Array | string | null;
  /**
   * The address the request came from, as the platform reports it (API Gateway's `sourceIp`, or what an
   * embedded verifier's adapter supplies). Checked against a key's `allowed_cidrs`; undefined is outside
   * every list, so a key with a list is refused (a key without one is unaffected).
   */
  sourceIp?: string;
  /**
   * The request's RFC 9421 fields and what its signature base is built from (docs/protocol.md §2.7).
   * With either field present the request is verified as an RFC 9421 request (and refused if it also
   * has an Authorization header: one credential per request).
   */
  httpSignature?: HttpSignatureInput;
  /**
   * The credits the call spends from a key with credits: the cost its route declares (the authorizer
   * and latchkey/verify find it in their route table); default 1.
   */
  cost?: number;
}

export function retryAfterSeconds(nowMs: number): number {
  return Math.max(1, Math.ceil(((rateWindowOf(nowMs) + 1) * RATE_WINDOW_MS - nowMs) / 1000));
}

/**
 * Why a conditional use-write was refused, decided from the record as it was: a credential failure
 * first (the same 401 whatever else is wrong), then the network allowlist, then the credits (the
 * balance, with a refill due applied, below the cost), then the rate limit.
 */
export function classifyRefusal(
  record: KeyRecord | null,
  tokenHash: string,
  nowMs: number,
  sourceIp?: string,
  cost = 1,
): FailureReason | NetworkRefusal | CreditsRefusal | RateRefusal {
  if (record === null) return 'unknown_key';
  if (!hashMatches(record.key_hash, tokenHash)) return 'wrong_secret';
  const status = keyStatus(record, nowMs);
  if (status === 'revoked') return 'revoked';
  if (status === 'expired') return 'expired';
  if (status === 'disabled') return 'disabled';
  if (!addressAllowed(record.allowed_cidrs, sourceIp)) return 'ip_not_allowed';
  if (creditsExhausted(record.credits, cost, nowMs)) return 'credits_exhausted';
  return 'rate_limited';
}

export function keyPrincipal(record: KeyRecord): Principal {
  return { type: 'key', keyId: record.id, orgId: record.org_id, permissions: record.permissions };
}

/** The verdict for a credential that does not authenticate (401, whatever the reason). */
const unauthorized = (reason: UnauthorizedReason, keyId: string | null): Verification => ({
  ok: false,
  kind: 'unauthorized',
  reason,
  keyId,
});

/**
 * The verdict for a use-write its condition refused, from the reason `classifyRefusal` gave on
 * `record` (never null when the reason is `rate_limited`).
 */
function refusedUseVerdict(
  reason: FailureReason | NetworkRefusal | CreditsRefusal | RateRefusal,
  record: KeyRecord | null,
  keyId: string,
  nowMs: number,
): Verification {
  if (reason === 'ip_not_allowed') return { ok: false, kind: 'ip_not_allowed', keyId };
  if (reason === 'credits_exhausted') return { ok: false, kind: 'credits_exhausted', keyId };
  if (reason !== 'rate_limited') return unauthorized(reason, keyId);
  // classifyRefusal answers rate_limited only for a record it was given.
  if (record === null) return unauthorized('unknown_key', keyId);
  return {
    ok: false,
    kind: 'rate_limited',
    retryAfterSeconds: retryAfterSeconds(nowMs),
    keyId,
    limitPerMinute: record.rate_limit_per_minute,
  };
}

/**
 * Verifies a request's credential. Returns a value with a reason code for every refusal; throws
 * only when a dependency fails (and then the caller must refuse with a 5xx).
 *
 * I/O budget: malformed credentials, stale timestamps and bodies that do not match their digest 0 calls; bearer 1 conditional write;
 * a refusal of a key whose credential matched (rate limit, revoked, expired, disabled, network) one more
 * write that counts it (`outcomes.ts`; in bounded mode a hot key's is counted in memory);
 * signed 1 read + 1 transactional write, and a bad signature writes nothing. A verified signature is
 * consumed whatever the outcome: a key found unusable on the read costs 1 read + 1 write (the replay
 * records alone), a use the transaction refuses (rate limit) one more write for them.
 */
export async function verifyRequest(deps: VerifierDeps, request: VerifyRequest): Promise<Verification> {
  const verdict = await verifyCredential(deps, request);
  // Usage by outcome: a refusal of a key whose credential matched is counted, at most one write.
  const outcome = verdict.ok ? null : refusalOutcomeOf(verdict);
  if (!verdict.ok && outcome !== null && verdict.keyId !== null) {
    await recordRefusalOf(deps, { keyId: verdict.keyId, outcome, nowMs: deps.now() });
  }
  return verdict;
}

async function verifyCredential(deps: VerifierDeps, request: VerifyRequest): Promise<Verification> {
  if (hasHttpSignature(request.httpSignature)) {
    if (request.authorization !== undefined) return unauthorized('two_credentials', null);
    const nowMs = deps.now();
    const signed = await verifyHttpSignature(deps, request, request.httpSignature, nowMs);
    if (!signed.ok) return unauthorized(signed.reason, signed.keyId);
    return completeSignedUse(
      deps,
      signed.record,
      signed.replay,
      nowMs,
      request.sourceIp,
      'rfc9421',
      request.cost ?? 1,
    );
  }
  const parsed = parseAuthorization(request.authorization, deps.tokenPrefixes);
  if (!parsed.ok) return unauthorized(parsed.reason, null);
  const credential = parsed.credential;

  if (credential.kind === 'admin') {
    if (deps.adminKey === undefined) return unauthorized('wrong_admin_key', null);
    let matches = constantTimeEqual(credential.value, await deps.adminKey());
    if (!matches && deps.adminKeyRefresh) {
      const fresh = await deps.adminKeyRefresh();
      matches = fresh !== null && constantTimeEqual(credential.value, fresh);
    }
    return matches
      ? { ok: true, principal: ADMIN_PRINCIPAL, record: null, scheme: 'bearer' }
      : unauthorized('wrong_admin_key', null);
  }

  const nowMs = deps.now();
  if (credential.kind === 'token') {
    const keyId = credential.parts.keyId;
    const tokenHash = sha256Hex(credential.token);
    const result = await deps.usage.recordUse({
      keyId,
      tokenHash,
      nowMs,
      window: rateWindowOf(nowMs),
      sourceIp: request.sourceIp,
      cost: request.cost ?? 1,
    });
    if (result.updated && result.record && hashMatches(result.record.key_hash, tokenHash)) {
      // The stored hash alone is not trusted: the secret must also be the one the master secret derives
      // (one HMAC), so a key item written by someone without the master secret never verifies. The salt
      // comes with the one write, so the check follows it; a mismatch has been counted on that item.
      const expected = deriveSecret(await deps.signingSecret(), keyId, result.record.salt);
      if (!constantTimeEqual(credential.parts.secret, expected)) return unauthorized('key_mismatch', keyId);
      // The store's write checks the list; a store that did not is refused all the same (fail closed).
      if (!addressAllowed(result.record.allowed_cidrs, request.sourceIp))
        return { ok: false, kind: 'ip_not_allowed', keyId };
      return { ok: true, principal: keyPrincipal(result.record), record: result.record, scheme: 'bearer' };
    }
    const refused = result.updated ? null : result.record;
    return refusedUseVerdict(
      classifyRefusal(refused, tokenHash, nowMs, request.sourceIp, request.cost ?? 1),
      refused,
      keyId,
      nowMs,
    );
  }

  // ARMOR-PSK: everything that needs no I/O first.
  const armor = credential.armor;
  const keyId = armor.keyId;
  if (deps.signingProfile === 'strict' && !isStrictNonce(armor.nonce)) {
    return unauthorized('nonce_not_strict', keyId);
  }
  const clock = checkTimestamp(armor.timestamp, nowMs);
  if (clock !== 'ok') return unauthorized(clock === 'stale' ? 'stale_timestamp' : 'future_timestamp', keyId);
  if (request.contentDigestRepeated === true) return unauthorized('content_digest_repeated', keyId);
  let bodyDigest = '';
  if (request.contentDigest !== undefined) {
    const digest = parseContentDigest(request.contentDigest);
    if (digest === null) return unauthorized('bad_content_digest', keyId);
    bodyDigest = digest;
  }
  if (request.body !== undefined) {
    const body = verifyBodyDigest(request.body, request.contentDigest);
    if (body === 'missing' || body === 'mismatch') return unauthorized(`content_digest_${body}`, keyId);
  }

  const record = (await deps.usage.readKey(keyId))?.record ?? null;
  if (record === null) return unauthorized('unknown_key', keyId);
  // The token re-derived from the master secret must be the one whose hash was stored at creation,
  // under one of the accepted prefixes (the signature names no prefix; a dropped one matches none).
  const issued = issuedToken(deps.tokenPrefixes, await deps.signingSecret(), record);
  if (issued === null) return unauthorized('key_mismatch', keyId);
  const token = issued.token;
  if (!verifyArmorSignature(token, armor, { method: request.method, path: request.path, bodyDigest })) {
    return unauthorized('bad_signature', keyId);
  }
  // From here on the signature is verified: it is consumed whether the request is then served or not.
  const replay: RecordReplayInput = {
    keyId,
    nonce: armor.nonce,
    signatureHash: sha256Hex(armor.signature),
    replayTtl: armor.timestamp + NONCE_TTL_SECONDS,
  };
  return completeSignedUse(deps, record, replay, nowMs, request.sourceIp, 'armor', request.cost ?? 1);
}

/**
 * The rest of a signed request once its signature is verified (ARMOR-PSK and RFC 9421 alike): the
 * signature is consumed whatever the outcome; the key's status and allowlist are checked on the record
 * read, then one transaction records the replay records and counts the use (refused over the rate limit).
 */
async function completeSignedUse(
  deps: VerifierDeps,
  record: KeyRecord,
  replay: RecordReplayInput,
  nowMs: number,
  sourceIp: string | undefined,
  scheme: 'armor' | 'rfc9421',
  cost: number,
): Promise<Verification> {
  const keyId = replay.keyId;
  const status = keyStatus(record, nowMs);
  if (status !== 'active') return consumeThenRefuse(deps, replay, unauthorized(status, keyId));
  if (!addressAllowed(record.allowed_cidrs, sourceIp)) {
    return consumeThenRefuse(deps, replay, { ok: false, kind: 'ip_not_allowed', keyId });
  }

  const written = await deps.usage.recordSignedUse({
    ...replay,
    nowMs,
    window: rateWindowOf(nowMs),
    sourceIp,
    cost,
  });
  if (written.outcome === 'replayed') return unauthorized('replayed', keyId);
  if (written.outcome === 'refused') {
    const reason = classifyRefusal(written.record, record.key_hash ?? '', nowMs, sourceIp, cost);
    const verdict = refusedUseVerdict(reason, written.record, keyId, nowMs);
    return written.consumed ? verdict : consumeThenRefuse(deps, replay, verdict);
  }
  return { ok: true, principal: keyPrincipal(record), record, scheme };
}

/**
 * Records a refused request's nonce and signature, then refuses it: as a replay if a copy recorded
 * them first, else with the verdict given.
 */
async function consumeThenRefuse(
  deps: VerifierDeps,
  replay: RecordReplayInput,
  verdict: Verification,
): Promise<Verification> {
  const consumed = await deps.usage.recordReplay(replay);
  return consumed === 'replayed' ? unauthorized('replayed', replay.keyId) : verdict;
}
