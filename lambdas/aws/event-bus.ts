/**
 * Publishing lifecycle events to an EventBridge bus with PutEvents, at least once: entries go in calls
 * of at most 10 (the API's limit), and the entries a call rejects (PutEvents answers 200 with a
 * per-entry `ErrorCode` for a partial failure, FailedEntryCount > 0) or a call that fails whole
 * (throttled, timed out) are sent again with exponential back-off, up to `attempts` times. What is
 * still undelivered is reported per event, so that the caller hands it back to its event source
 * (the stream's retries and dead-letter queue). AWS: "PutEvents … Entries … If the request contains
 * failed entries, the ErrorCode and ErrorMessage fields are populated" (EventBridge API Reference,
 * PutEvents; not verified on AWS).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { LifecycleEvent } from '#core/events';

/** Publishes events; resolves to one flag per event: true once the bus has accepted it. */
export type PublishEvents = (events: readonly LifecycleEvent[]) => Promise<boolean[]>;

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

export interface PublisherOptions {
  /** Tries per entry, the first included. @default 3 */
  attempts?: number;
  /** Wait before the second try, doubled each time. @default 100 */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The PutEvents entry of an event. */
export function putEventsEntry(event: LifecycleEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: event.source,
    DetailType: event.detailType,
    Time: new Date(event.time),
    Detail: JSON.stringify(event.detail),
  };
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A publisher to the bus `busName` (name or ARN). */
export function eventBridgePublisher(
  client: Pick<EventBridgeClient, 'send'>,
  busName: string,
  options: PublisherOptions = {},
): PublishEvents {
  const attempts = options.attempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const sleep = options.sleep ?? wait;
  return async (events) => {
    const delivered = events.map(() => false);
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      let pending = events.slice(start, start + PUT_EVENTS_BATCH).map((_, i) => start + i);
      for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
        if (attempt > 1) await sleep(baseDelayMs * 2 ** (attempt - 2));
        try {
          const out = await client.send(
            new PutEventsCommand({
              Entries: pending.map((i) => putEventsEntry(events[i] as LifecycleEvent, busName)),
            }),
          );
          const results = out.Entries ?? [];
          pending = pending.filter((index, j) => {
            const result = results[j];
            const ok = result !== undefined && !result.ErrorCode && Boolean(result.EventId);
            if (ok) delivered[index] = true;
            return !ok;
          });
        } catch {
          // The whole call failed (throttling, a timeout): every pending entry is tried again.
        }
      }
    }
    return delivered;
  };
}

/** The client the events functions use, built once per cold start. */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
