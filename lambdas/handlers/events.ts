/**
 * The events function: reads the key table's DynamoDB stream — only new audit items reach it, by the
 * event source mapping's filter — and publishes one lifecycle event per audit item to the EventBridge
 * bus (`lib/core/events.ts` maps them). Delivery is at least once: an event the bus did not accept after
 * the publisher's retries fails the batch from that record on (`reportBatchItemFailures`: Lambda
 * checkpoints the records before it and retries from it), the mapping bisects and retries, and records
 * that still fail go to the dead-letter queue. Records after a failed one may be published twice;
 * consumers de-duplicate on `detail.id`. Logs event ids and types, never a change's values.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type LifecycleEvent, lifecycleEventOf } from '#core/events';
import { SETTINGS } from '#core/settings';
import { createEventBridgeClient, eventBridgePublisher, type PublishEvents } from '../aws/event-bus';
import { auditRecordOfItem } from '../dynamo/audit-records';
import type { Item } from '../dynamo/codec';
import { logger } from '../runtime/logger';

export interface EventsHandlerOptions {
  publish: PublishEvents;
}

/** The event of a stream record, or null when the record is not a new audit item. */
function eventOfRecord(record: DynamoDBRecord): LifecycleEvent | null {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image === undefined) return null;
  // aws-lambda's AttributeValue and the SDK's describe the same JSON; the codec reads only S, N and BOOL.
  const audit = auditRecordOfItem(image as unknown as Item);
  return audit === null ? null : lifecycleEventOf(audit);
}

export function createEventsHandler(options: EventsHandlerOptions) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records = event.Records;
    const mapped = records.map((record) => ({ record, event: eventOfRecord(record) }));
    const toPublish = mapped.filter(
      (m): m is { record: DynamoDBRecord; event: LifecycleEvent } => m.event !== null,
    );
    const delivered = await options.publish(toPublish.map((m) => m.event));
    const firstFailed = toPublish.findIndex((_, i) => !delivered[i]);
    if (firstFailed < 0) {
      logger.info('events published', {
        count: toPublish.length,
        skipped: records.length - toPublish.length,
      });
      return { batchItemFailures: [] };
    }
    const failed = toPublish[firstFailed] as { record: DynamoDBRecord; event: LifecycleEvent };
    logger.warn('events not published', {
      published: delivered.filter(Boolean).length,
      failed: delivered.filter((ok) => !ok).length,
      first_failed: { id: failed.event.detail.id, type: failed.event.detailType },
    });
    return { batchItemFailures: [{ itemIdentifier: failed.record.dynamodb?.SequenceNumber ?? '' }] };
  };
}

function busFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const bus = env[SETTINGS.eventBus.env] ?? '';
  if (bus === '') throw new Error(`configuration: ${SETTINGS.eventBus.env} must be set`);
  return bus;
}

let cached: ReturnType<typeof createEventsHandler> | undefined;

/** The Lambda entry point: the client and bus are set up once per cold start. */
export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  cached ??= createEventsHandler({
    publish: eventBridgePublisher(createEventBridgeClient(), busFromEnv(process.env)),
  });
  return cached(event);
};
