/**
 * Delivering one lifecycle event to the deployment's webhook endpoint, in the Standard Webhooks format
 * (`lib/core/webhooks.ts`): POST the body with `webhook-id` (the event's id, the same on every attempt),
 * a fresh `webhook-timestamp` and its `webhook-signature` per attempt; a 2xx answer delivers, anything
 * else (or no answer within the policy's timeout) is tried again after an exponential, capped back-off.
 * Used by the webhook sender Lambda and by local mode. Never logs the secret or a signature.
 */
import type { LifecycleEvent } from '#core/events';
import {
  WEBHOOK_RETRY,
  type WebhookRetryPolicy,
  webhookBody,
  webhookHeaders,
  webhookRetryDelay,
} from '#core/webhooks';

export interface WebhookTarget {
  url: string;
  /** The HMAC key (`webhookKey` of the secret). */
  key: Buffer;
}

export interface WebhookDeliveryOptions {
  policy?: WebhookRetryPolicy;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface WebhookDeliveryResult {
  delivered: boolean;
  attempts: number;
  /** The last answer's status; null when the last attempt got no answer. */
  status: number | null;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function deliverWebhook(
  target: WebhookTarget,
  event: LifecycleEvent,
  options: WebhookDeliveryOptions = {},
): Promise<WebhookDeliveryResult> {
  const policy = options.policy ?? WEBHOOK_RETRY;
  const send = options.fetch ?? fetch;
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  const body = webhookBody(event);
  let status: number | null = null;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (attempt > 1) await sleep(webhookRetryDelay(policy, attempt));
    try {
      const response = await send(target.url, {
        method: 'POST',
        headers: webhookHeaders(target.key, event.detail.id, body, now()),
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (status >= 200 && status < 300) return { delivered: true, attempts: attempt, status };
    } catch {
      status = null;
    }
  }
  return { delivered: false, attempts: policy.attempts, status };
}
