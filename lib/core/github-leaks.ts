/**
 * GitHub secret scanning (partner program): GitHub POSTs every match of the deployment's token pattern
 * found in a public repository, signed with one of its ECDSA P-256 keys, and expects a feedback array
 * in answer. This module holds the pure parts: the signature check over the raw body bytes (before any
 * JSON is read), GitHub's published key list (parsed, cached, fetched again once for an unknown key
 * id), the batch parse, the offline token check, and the decision for each match (`assessLeaks`) with
 * the feedback it produces. Storage and the key changes are the caller's (`LeakStore`).
 *
 * GitHub: "Secret scanning partner program", docs.github.com/en/code-security/secret-scanning/
 * secret-scanning-partner-program (headers `Github-Public-Key-Identifier` and
 * `Github-Public-Key-Signature`, the key list at https://api.github.com/meta/public_keys/secret_scanning,
 * the request body `[{token, type, url, source}]`, the feedback `[{token_hash | token_raw, token_type,
 * label}]` with `label` `true_positive` or `false_positive`). Not verified against GitHub itself.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type AuditContext, auditEvent, headFields, keyHead, sequenceEvents } from './audit';
import { sha256Hex } from './crypto';
import { type AuditEvent, type KeyRecord, keyStatus } from './model';
import type { LeakAction } from './settings';
import { hashMatches, parseToken } from './token';

/** The actor of every audit event a leak report writes. */
export const GITHUB_LEAK_ACTOR = 'github-secret-scanning';
/** The request headers GitHub signs with (compared lower-cased). */
export const GITHUB_KEY_ID_HEADER = 'github-public-key-identifier';
export const GITHUB_SIGNATURE_HEADER = 'github-public-key-signature';
/** The most matches one request may carry; GitHub sends batches of hundreds. */
export const MAX_LEAK_BATCH = 1000;

/** One match as GitHub sends it. */
export interface LeakMatch {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** One entry of the feedback answer: the token's SHA-256 (hex), never the token itself. */
export interface LeakFeedback {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/** GitHub's key list: key id → public key. */
export type GithubKeys = ReadonlyMap<string, KeyObject>;

/**
 * Parses the key list document (`{public_keys: [{key_identifier, key, is_current}]}`); entries that are
 * not P-256 public keys in PEM are left out. Throws when the document is not a key list at all.
 */
export function parseGithubKeys(document: unknown): GithubKeys {
  const list = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list)) throw new Error('the key list has no public_keys array');
  const keys = new Map<string, KeyObject>();
  for (const entry of list) {
    const e = entry as { key_identifier?: unknown; key?: unknown };
    if (typeof e?.key_identifier !== 'string' || typeof e.key !== 'string') continue;
    try {
      const key = createPublicKey(e.key);
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
        keys.set(e.key_identifier, key);
    } catch {
      // Not a public key: left out.
    }
  }
  return keys;
}

/** Whether `signature` (base64 DER, as GitHub sends it) is `key`'s ECDSA P-256 / SHA-256 signature of `body`. */
export function verifyGithubSignature(body: Uint8Array, signature: string, key: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || signature.length > 200) return false;
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * GitHub's key list, fetched on first use and kept; a key id it does not hold fetches it once more
 * (GitHub rotates its keys), at most once per `refetchIntervalMs`, with concurrent lookups sharing one
 * fetch. A failed fetch throws (the caller refuses the request: fail closed) and is not cached.
 */
export class GithubKeyList {
  private keys: GithubKeys | null = null;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<GithubKeys> | null = null;

  constructor(
    private readonly options: {
      fetchKeys: () => Promise<unknown>;
      now: () => number;
      /** @default 10_000 */
      refetchIntervalMs?: number;
    },
  ) {}

  private load(): Promise<GithubKeys> {
    this.inFlight ??= (async () => {
      try {
        const keys = parseGithubKeys(await this.options.fetchKeys());
        this.keys = keys;
        this.fetchedAtMs = this.options.now();
        return keys;
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  /** The key with this id, or null when GitHub's list (fetched again if due) has none. */
  async keyFor(id: string): Promise<KeyObject | null> {
    const known = this.keys?.get(id);
    if (known) return known;
    const interval = this.options.refetchIntervalMs ?? 10_000;
    if (this.keys !== null && this.options.now() - this.fetchedAtMs < interval) return null;
    return (await this.load()).get(id) ?? null;
  }
}

/** The matches of a request body, or null when it is not a JSON array of matches. */
export function parseLeakBatch(body: string): LeakMatch[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_LEAK_BATCH) return null;
  const matches: LeakMatch[] = [];
  for (const entry of parsed) {
    const e = entry as Partial<Record<keyof LeakMatch, unknown>> | null;
    if (typeof e?.token !== 'string' || typeof e.type !== 'string') return null;
    matches.push({
      token: e.token,
      type: e.type,
      url: typeof e.url === 'string' ? e.url : '',
      source: typeof e.source === 'string' ? e.source : '',
    });
  }
  return matches;
}

/** A match that is one of this deployment's live tokens, and what to do with its key. */
export interface ConfirmedLeak {
  record: KeyRecord;
  url: string;
  source: string;
}

/**
 * Decides each match: its shape and checksum checked offline against each accepted prefix, then its
 * key (from `records`, read in batches by the caller for the key ids `leakKeyIds` named) and its hash
 * compared in constant time. A token of another prefix, a malformed one, an unknown key or a wrong
 * secret is a false positive; a token that matches its key is a true positive, whatever the key's
 * state; the keys to act on are listed once each.
 */
export function assessLeaks(
  matches: readonly LeakMatch[],
  prefixes: readonly string[],
  records: ReadonlyMap<string, KeyRecord>,
): { feedback: LeakFeedback[]; confirmed: ConfirmedLeak[] } {
  const feedback: LeakFeedback[] = [];
  const confirmed = new Map<string, ConfirmedLeak>();
  for (const match of matches) {
    const hash = sha256Hex(match.token);
    const keyId = tokenKeyId(match.token, prefixes);
    const record = keyId === null ? undefined : records.get(keyId);
    const real = record !== undefined && hashMatches(record.key_hash, hash);
    feedback.push({
      token_hash: hash,
      token_type: match.type,
      label: real ? 'true_positive' : 'false_positive',
    });
    if (real && !confirmed.has(record.id))
      confirmed.set(record.id, { record, url: match.url, source: match.source });
  }
  return { feedback, confirmed: [...confirmed.values()] };
}

/** The key id of a well-formed token of one of `prefixes` (checksum checked), or null. */
export function tokenKeyId(token: string, prefixes: readonly string[]): string | null {
  for (const prefix of prefixes) {
    const parts = parseToken(token, prefix);
    if (parts) return parts.keyId;
  }
  return null;
}

/** The distinct key ids a batch names with well-formed tokens: what to read from the table. */
export function leakKeyIds(matches: readonly LeakMatch[], prefixes: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const match of matches) {
    const id = tokenKeyId(match.token, prefixes);
    if (id !== null) ids.add(id);
  }
  return [...ids];
}

/** The pattern to register with GitHub for a prefix (a regular expression matching the whole token). */
export function githubTokenPattern(prefix: string): string {
  return `${prefix}_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}`;
}

/**
 * The write a confirmed leak makes: `update` (disable, or for `notify` and a key already disabled only
 * the audit head) through the edit path, `revoke` through the revoke path, each with its events —
 * `key.leaked` (the leak's URL and the action) first, then `key.disabled` or `key.revoked` — or `none`
 * for a key that no longer authenticates (revoked, expired). A key in a rotation's grace period (already
 * released, so it cannot be edited) is revoked unless the action is `notify`.
 */
export type LeakChange =
  | { kind: 'update' | 'revoke'; next: KeyRecord; events: AuditEvent[] }
  | { kind: 'none' };

export function leakChange(leak: ConfirmedLeak, action: LeakAction, ctx: AuditContext): LeakChange {
  const old = leak.record;
  const status = keyStatus(old, ctx.nowMs);
  if (status === 'revoked' || status === 'expired') return { kind: 'none' };
  const editable = !old.released && old.rotated_to === null;
  const effective: LeakAction = editable || action === 'notify' ? action : 'revoke';
  if (!editable && effective === 'notify') return { kind: 'none' };
  const events = [
    auditEvent(ctx, 'key.leaked', old.org_id, old.id, {
      leak_url: { old: null, new: leak.url },
      action: { old: null, new: effective },
    }),
  ];
  const next: KeyRecord = { ...old };
  if (effective === 'revoke') {
    next.revoked_at = new Date(ctx.nowMs).toISOString();
    next.released = true;
    events.push(
      auditEvent(ctx, 'key.revoked', old.org_id, old.id, { revoked_at: { old: null, new: next.revoked_at } }),
    );
  } else if (effective === 'disable' && old.disabled_at === null) {
    next.disabled_at = new Date(ctx.nowMs).toISOString();
    events.push(auditEvent(ctx, 'key.disabled', old.org_id, old.id, { enabled: { old: true, new: false } }));
  }
  const head = sequenceEvents(events, new Map([[old.id, keyHead(old)]]), ctx.nowMs).get(old.id);
  if (head) Object.assign(next, headFields(head));
  return { kind: effective === 'revoke' ? 'revoke' : 'update', next, events };
}
