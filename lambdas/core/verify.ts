import { type ParseFailure, parseAuthorization } from './credentials';
import { constantTimeEqual, sha256Hex } from './crypto';
import { type KeyRecord, keyStatus } from './model';
import { ADMIN_PRINCIPAL, type Principal } from './principal';

export const RATE_WINDOW_MS = 60_000;

export type FailureReason =
  | ParseFailure
  | 'wrong_admin_key'
  | 'unknown_key'
  | 'wrong_secret'
  | 'revoked'
  | 'expired';

export type Verification =
  | { ok: true; principal: Principal; record: KeyRecord | null }
  | { ok: false; kind: 'unauthorized'; reason: FailureReason; keyId: string | null }
  | { ok: false; kind: 'rate_limited'; retryAfterSeconds: number; keyId: string };

export interface RecordUseInput {
  keyId: string;
  /** SHA-256 of the presented token; the write happens only if it matches the stored hash. */
  tokenHash: string;
  nowMs: number;
  window: number;
}

/**
 * One conditional write: counts the call and the rate-limit window if the key is usable.
 * `updated: false` carries the record as it was (null when no key has that id), so the caller can
 * tell why without another read.
 */
export interface RecordUseResult {
  updated: boolean;
  record: KeyRecord | null;
}

/** What verification needs from the outside world. Every method may throw: the caller fails closed. */
export interface VerifierDeps {
  tokenPrefix: string;
  now: () => number;
  adminKey: () => Promise<string>;
  recordUse: (input: RecordUseInput) => Promise<RecordUseResult>;
}

export interface VerifyRequest {
  authorization: string | undefined;
}

export function rateWindowOf(nowMs: number): number {
  return Math.floor(nowMs / RATE_WINDOW_MS);
}

export function retryAfterSeconds(nowMs: number): number {
  return Math.max(1, Math.ceil(((rateWindowOf(nowMs) + 1) * RATE_WINDOW_MS - nowMs) / 1000));
}

/** Why a conditional use-write was refused, decided from the record as it was. */
export function classifyRefusal(
  record: KeyRecord | null,
  tokenHash: string,
  nowMs: number,
): FailureReason | 'rate_limited' {
  if (record === null) return 'unknown_key';
  if (!constantTimeEqual(record.key_hash, tokenHash)) return 'wrong_secret';
  const status = keyStatus(record, nowMs);
  if (status === 'revoked') return 'revoked';
  if (status === 'expired') return 'expired';
  return 'rate_limited';
}

export function keyPrincipal(record: KeyRecord): Principal {
  return { type: 'key', keyId: record.id, orgId: record.org_id, permissions: record.permissions };
}

/**
 * Verifies a request's credential. Returns a value with a reason code for every refusal; throws
 * only when a dependency fails (and then the caller must refuse with a 5xx).
 */
export async function verifyRequest(deps: VerifierDeps, request: VerifyRequest): Promise<Verification> {
  const parsed = parseAuthorization(request.authorization, deps.tokenPrefix);
  if (!parsed.ok) return { ok: false, kind: 'unauthorized', reason: parsed.reason, keyId: null };
  const credential = parsed.credential;

  if (credential.kind === 'admin') {
    const adminKey = await deps.adminKey();
    return constantTimeEqual(credential.value, adminKey)
      ? { ok: true, principal: ADMIN_PRINCIPAL, record: null }
      : { ok: false, kind: 'unauthorized', reason: 'wrong_admin_key', keyId: null };
  }

  const keyId = credential.parts.keyId;
  const tokenHash = sha256Hex(credential.token);
  const nowMs = deps.now();
  const result = await deps.recordUse({ keyId, tokenHash, nowMs, window: rateWindowOf(nowMs) });
  if (result.updated && result.record && constantTimeEqual(result.record.key_hash, tokenHash)) {
    return { ok: true, principal: keyPrincipal(result.record), record: result.record };
  }
  const reason = classifyRefusal(result.updated ? null : result.record, tokenHash, nowMs);
  if (reason === 'rate_limited') {
    return { ok: false, kind: 'rate_limited', retryAfterSeconds: retryAfterSeconds(nowMs), keyId };
  }
  return { ok: false, kind: 'unauthorized', reason, keyId };
}
