/**
 * The webhook sender: an SQS queue, fed by an EventBridge rule on the events bus, invokes it with
 * batches of events as EventBridge delivered them; it POSTs each to the deployment's webhook URL in the
 * Standard Webhooks format, signed with the secret the stack generated (`lambdas/runtime/webhook-delivery.ts`
 * retries each with capped exponential back-off; the events of a batch are delivered concurrently). An event still undelivered is reported as a batch item
 * failure, so SQS delivers it again after the visibility timeout and, after the queue's receive limit,
 * moves it to the dead-letter queue. A message that is not a latchkey event is dropped (logged), not retried.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EVENT_SOURCE, type LifecycleEvent, type LifecycleEventDetail } from '#core/events';
import { SETTINGS } from '#core/settings';
import { webhookKey } from '#core/webhooks';
import { createSecretsClient } from '../aws/clients';
import { SecretCache } from '../aws/secrets';
import { logger } from '../runtime/logger';
import { deliverWebhook, type WebhookDeliveryOptions } from '../runtime/webhook-delivery';

export interface WebhooksHandlerOptions extends WebhookDeliveryOptions {
  url: string;
  /** The signing secret (`whsec_<base64>` or `<base64>`). */
  secret: () => Promise<string>;
}

/** The event in an EventBridge-delivered message body, or null when it is not one of latchkey's. */
export function eventOfMessage(body: string): LifecycleEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const message = parsed as Record<string, unknown>;
  const detail = message.detail as LifecycleEventDetail | undefined;
  if (message.source !== EVENT_SOURCE || typeof message['detail-type'] !== 'string') return null;
  if (detail === undefined || detail === null || typeof detail.id !== 'string') return null;
  return {
    source: EVENT_SOURCE,
    detailType: message['detail-type'],
    time: typeof message.time === 'string' ? message.time : detail.at,
    detail,
  };
}

export function createWebhooksHandler(options: WebhooksHandlerOptions) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const key = webhookKey(await options.secret());
    if (key === null)
      throw new Error('the webhook secret is not whsec_<base64> or <base64> of at least 24 bytes');
    // Each event of the batch is delivered at once (the sender's timeout covers one delivery's retries).
    const outcomes = await Promise.all(
      event.Records.map(async (record) => {
        const lifecycle = eventOfMessage(record.body);
        if (lifecycle === null) {
          logger.warn('webhook: not a latchkey event, dropped', { message_id: record.messageId });
          return true;
        }
        const result = await deliverWebhook({ url: options.url, key }, lifecycle, options);
        if (!result.delivered) {
          logger.warn('webhook not delivered', {
            id: lifecycle.detail.id,
            type: lifecycle.detailType,
            attempts: result.attempts,
            status: result.status,
          });
        }
        return result.delivered;
      }),
    );
    const failures = event.Records.filter((_, i) => !outcomes[i]).map((r) => ({
      itemIdentifier: r.messageId,
    }));
    return { batchItemFailures: failures };
  };
}

let cached: ReturnType<typeof createWebhooksHandler> | undefined;

/** The Lambda entry point: URL and secret come from the environment the stack sets. */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => {
  if (cached === undefined) {
    const url = process.env[SETTINGS.webhookUrl.env] ?? '';
    const secretId = process.env[SETTINGS.webhookSecretId.env] ?? '';
    if (url === '' || secretId === '')
      throw new Error(
        `configuration: ${SETTINGS.webhookUrl.env} and ${SETTINGS.webhookSecretId.env} must be set`,
      );
    const secrets = new SecretCache({ client: createSecretsClient(), secretId, ttlMs: 60_000 });
    cached = createWebhooksHandler({ url, secret: secrets.get });
  }
  return cached(event);
};
