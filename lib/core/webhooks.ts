/**
 * Webhooks in the Standard Webhooks format (standardwebhooks.com, spec 1.0), so that a receiver verifies
 * them with an off-the-shelf library: the body is `{"type", "timestamp", "data"}` (`data` is the
 * event's detail), and three headers go with it — `webhook-id` (the event's id, the same on every
 * retry, for de-duplication), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`). The key is the secret's
 * bytes: `whsec_<base64>`, or the base64 alone (what the stack's generated secret holds). Also the
 * retry schedule a sender follows: exponential back-off with a cap. Pure: no I/O.
 */
import { createHmac } from 'node:crypto';
import type { LifecycleEvent } from './events';

/** The prefix Standard Webhooks gives a serialized secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A secret's base64 part: at least 24 bytes of key, as the spec recommends (24–64). */
const SECRET_BASE64_RE = /^[A-Za-z0-9+/]{32,}={0,2}$/;

/** The HMAC key of a secret given as `whsec_<base64>` or `<base64>`; null when it is neither. */
export function webhookKey(secret: string): Buffer | null {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  if (!SECRET_BASE64_RE.test(encoded) || encoded.length % 4 !== 0) return null;
  return Buffer.from(encoded, 'base64');
}

/** The request body of an event: Standard Webhooks' `{type, timestamp, data}`. */
export function webhookBody(event: LifecycleEvent): string {
  return JSON.stringify({ type: event.detailType, timestamp: event.time, data: event.detail });
}

/** `webhook-signature` of one attempt. */
export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The headers of one delivery attempt at `nowMs`. */
export function webhookHeaders(key: Buffer, id: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(key, id, timestamp, body),
  };
}

/**
 * How one delivery is tried: up to `attempts` POSTs, waiting `baseDelayMs`, then twice as long each time,
 * never more than `maxDelayMs`, between them; each POST may take `timeoutMs`. An answer of 2xx delivers;
 * anything else, or no answer, is tried again. With the defaults a delivery takes at most about 45 s
 * (4 × 5 s + 1 + 2 + 4 s), within the sender function's timeout; on AWS a delivery that still fails is
 * retried from the queue and then goes to the dead-letter queue.
 */
export interface WebhookRetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const WEBHOOK_RETRY: WebhookRetryPolicy = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  timeoutMs: 5000,
};

/** The wait before attempt `attempt` (2, 3, …): `base × 2^(attempt-2)`, capped. */
export function webhookRetryDelay(policy: WebhookRetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 2));
}
