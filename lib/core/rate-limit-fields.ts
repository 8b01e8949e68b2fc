/**
 * The IETF `RateLimit` and `RateLimit-Policy` response fields (draft-ietf-httpapi-ratelimit-headers-11,
 * §3 and §4: Structured Field lists of items named by a policy, with `q`/`w` and `r`/`t` parameters), as
 * latchkey sends them on the refusal of a key over its own limit: one policy, `"key"`, of
 * `rate_limit_per_minute` requests in a 60-second window, and none of it left until the window ends.
 * The authorizer writes them into its Deny's context; the ACCESS_DENIED gateway response maps them to
 * headers. Pure, no imports beyond the window length.
 */
import { RATE_WINDOW_MS } from './usage-store';

/** The name of latchkey's one quota policy in the fields: a key's own per-minute limit. */
export const KEY_RATE_POLICY = 'key';

const WINDOW_SECONDS = RATE_WINDOW_MS / 1000;

/** `RateLimit-Policy: "key";q=<limit>;w=60`: the key's quota and its window, in seconds. */
export function rateLimitPolicyField(limitPerMinute: number): string {
  return `"${KEY_RATE_POLICY}";q=${limitPerMinute};w=${WINDOW_SECONDS}`;
}

/** `RateLimit: "key";r=<remaining>;t=<seconds>`: what is left, and for how long that holds. */
export function rateLimitField(remaining: number, seconds: number): string {
  return `"${KEY_RATE_POLICY}";r=${remaining};t=${seconds}`;
}

/**
 * The back-off headers a refusal may carry, by their wire names: the ones a browser script needs
 * `Access-Control-Expose-Headers` to read.
 */
export const BACK_OFF_HEADERS = ['retry-after', 'ratelimit', 'ratelimit-policy'] as const;
