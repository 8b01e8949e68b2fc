/**
 * Every reason a refusal is logged with, in one table: reason → which check finds it, which component
 * logs it, the status the caller sees and a one-line explanation for people. The reason unions the
 * credential parser, the verifier, the authorizer and the body check use are derived from it, so a
 * reason cannot be logged without being here; `latchkey logs tail` prints the explanations, and
 * docs/protocol.md ("Refusal reasons") lists the same table, which a test holds to this one.
 * The caller never sees a reason: every credential failure is the same 401 (protocol §5.3).
 */
import { TIMESTAMP_SKEW_SECONDS } from './armor';

/**
 * Which check finds the reason: the Authorization header parser (`header`), the rest of credential
 * verification (`credential`), the key's rate limit (`rate_limit`), its credits (`credits`), the route check an HTTP API leaves
 * to the authorizer (`route`), the key's network allowlist (`network`), or the check a body reader makes of a signed request's body against its
 * Content-Digest (`body`; the authorizer never sees bodies).
 */
export type RefusalCheck = 'header' | 'credential' | 'rate_limit' | 'credits' | 'route' | 'network' | 'body';

/**
 * Who logs it: the authorizer (its log group is the one `latchkey logs tail --stack` reads), or the
 * integration that read the body (the management API or echo function, in their own log groups).
 */
export type RefusalLogger = 'authorizer' | 'integration';

export interface RefusalReasonInfo {
  check: RefusalCheck;
  loggedBy: RefusalLogger;
  /**
   * What a REST API answers: 401 `unauthorized` (every credential failure), or 403 (`rate_limited`,
   * `credits_exhausted`, `ip_not_allowed`, or a route the credential may not call). An HTTP API answers 403 to all of them (docs/deploy.md).
   */
  status: 401 | 403;
  /** One line for people: what happened, and the usual cause. */
  explanation: string;
}

const SKEW = `${TIMESTAMP_SKEW_SECONDS} s`;

export const REFUSAL_REASONS = {
  missing: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'no credential: no Authorization header and no RFC 9421 signature, or an empty header',
  },
  unsupported_scheme: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the Authorization scheme is neither Bearer nor ARMOR-PSK',
  },
  malformed: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation:
      'the credential is not a token of an accepted prefix, an admin key or ARMOR-PSK parameters of the right shape',
  },
  bad_checksum: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: "the token's checksum is wrong: a character was lost or changed in copying",
  },
  sig_malformed: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'RFC 9421: Signature-Input or Signature is not one well-formed member (or is too long)',
  },
  sig_label_mismatch: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'RFC 9421: Signature-Input and Signature name different labels',
  },
  two_credentials: {
    check: 'header',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the request carries both an Authorization header and an RFC 9421 signature',
  },
  wrong_admin_key: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'an admin-key-shaped credential that is not the admin key (rotated?)',
  },
  unknown_key: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'no key has this id (deleted, another deployment, or a typo in the id)',
  },
  wrong_secret: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: "the key exists but this is not its secret (an old token after a rotation's grace ended)",
  },
  revoked: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the key was revoked',
  },
  disabled: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the key is disabled (latchkey keys enable turns it back on)',
  },
  expired: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the key is past its expires_at',
  },
  key_mismatch: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation:
      "the record does not derive from this deployment's secret and prefixes (a copied item, a dropped prefix)",
  },
  nonce_not_strict: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'a nonce the strict signing profile refuses (not 32 lowercase hex digits)',
  },
  stale_timestamp: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: `a signed request's timestamp is more than ${SKEW} behind the server's clock`,
  },
  future_timestamp: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: `a signed request's timestamp is more than ${SKEW} ahead of the server's clock`,
  },
  bad_content_digest: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: "a signed request's Content-Digest is not one sha-512 digest (RFC 9421: sha-256 or sha-512)",
  },
  content_digest_repeated: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'a signed request sent Content-Digest more than once (a body reader refuses it too)',
  },
  sig_components: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation:
      'RFC 9421: a required component is not covered, one is repeated, or one is unknown or absent',
  },
  sig_params: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'RFC 9421: created, nonce, keyid or tag is missing or malformed, or a parameter is unknown',
  },
  sig_tag: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'RFC 9421: the tag parameter is not "latchkey"',
  },
  sig_expired: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: "RFC 9421: the signature's expires time has passed",
  },
  sig_alg_mismatch: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: "RFC 9421: the alg parameter is not the key's signature algorithm",
  },
  bad_signature: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the signature does not verify (another key, or the request changed on the way)',
  },
  replayed: {
    check: 'credential',
    loggedBy: 'authorizer',
    status: 401,
    explanation: 'the nonce or the signature was used before (a retry must be signed again)',
  },
  rate_limited: {
    check: 'rate_limit',
    loggedBy: 'authorizer',
    status: 403,
    explanation: "the key's rate_limit_per_minute is used up for this minute (logged as deny)",
  },
  credits_exhausted: {
    check: 'credits',
    loggedBy: 'authorizer',
    status: 403,
    explanation:
      "the key's credits are below the call's cost (nothing spent; a top-up or the next refill restores them)",
  },
  route_not_allowed: {
    check: 'route',
    loggedBy: 'authorizer',
    status: 403,
    explanation:
      "HTTP API mode: the credential's permissions do not cover this route (REST: refused unlogged)",
  },
  ip_not_allowed: {
    check: 'network',
    loggedBy: 'authorizer',
    status: 403,
    explanation:
      "the key has allowed_cidrs and the request's source address is outside them (counted as network, not as a call)",
  },
  content_digest_missing: {
    check: 'body',
    loggedBy: 'integration',
    status: 401,
    explanation: 'a signed request has a body but no Content-Digest header',
  },
  content_digest_mismatch: {
    check: 'body',
    loggedBy: 'integration',
    status: 401,
    explanation: "a signed request's body does not match its Content-Digest",
  },
} as const satisfies Readonly<Record<string, RefusalReasonInfo>>;

export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** The reasons a given check finds. */
type ReasonsOf<C extends RefusalCheck> = {
  [R in RefusalReason]: (typeof REFUSAL_REASONS)[R]['check'] extends C ? R : never;
}[RefusalReason];

/** Why the Authorization header could not be parsed. */
export type ParseFailure = ReasonsOf<'header'>;
/** Why a credential does not authenticate (the one 401). */
export type FailureReason = ReasonsOf<'header' | 'credential'>;
/** Why a verified key may not make this call now (403). */
export type RateRefusal = ReasonsOf<'rate_limit'>;
/** Why a verified key's call is refused for want of credits (403 on a REST API; 429 embedded). */
export type CreditsRefusal = ReasonsOf<'credits'>;
/** Why a verified key may not be used from this source address (403). */
export type NetworkRefusal = ReasonsOf<'network'>;
/** Why an HTTP API's authorizer refuses a verified credential this route (403). */
export type RouteRefusal = ReasonsOf<'route'>;
/**
 * Why a signed request's body is refused by the integration that reads it: its own checks, and the
 * repeated header, which the authorizer refuses first but a body reader checks again.
 */
export type BodyRefusal = ReasonsOf<'body'> | 'content_digest_repeated';

export function isRefusalReason(value: string): value is RefusalReason {
  return Object.hasOwn(REFUSAL_REASONS, value);
}

/** The one-line explanation of a logged reason; null for a reason this version does not know. */
export function refusalExplanation(reason: string): string | null {
  return isRefusalReason(reason) ? REFUSAL_REASONS[reason].explanation : null;
}

/** The table as docs/protocol.md shows it under "Refusal reasons" (a test compares the two). */
export function refusalReasonsMarkdown(): string {
  const rows = Object.entries(REFUSAL_REASONS).map(
    ([reason, info]) => `| \`${reason}\` | ${info.status} | ${info.loggedBy} | ${info.explanation} |`,
  );
  return ['| reason | status | logged by | what happened |', '|---|---|---|---|', ...rows].join('\n');
}
