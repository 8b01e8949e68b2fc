/**
 * Local mode's lifecycle events: the same events, from the same audit items, as the deployed stack
 * publishes, delivered on this machine. DynamoDB Local (1.25.1) has DynamoDB Streams, but its client
 * (`@aws-sdk/client-dynamodb-streams`) is not one of latchkey's dependencies, so local mode polls the
 * audit items by time instead: every `pollMs` it scans the table for audit items dated from a look-back
 * before the newest one it has seen, and hands each new one (by id), oldest first, through the same
 * mapper as the events function (`lib/core/events.ts`). Each event is appended to the data folder's
 * event log (`events.log`, EventBridge's envelope, one JSON line; `latchkey events tail` follows it),
 * kept in memory for `events()`, and, with a webhook URL, POSTed in the Standard Webhooks format with
 * the same retries as the webhook sender Lambda, one at a time in order. An audit item exists only for a
 * committed change, so a failed transaction yields no event. Items already in the table at start are
 * marked as seen, not delivered again. The daily expiry scan runs at start and every 24 hours.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { auditRecordOfItem } from '#lambda/dynamo/audit-records';
import type { Item } from '#lambda/dynamo/codec';
import { createExpiringHandler } from '#lambda/handlers/expiring';
import { deliverWebhook, type WebhookDeliveryResult } from '#lambda/runtime/webhook-delivery';
import { type DeliveredEvent, deliveredEventOf, type LifecycleEvent, lifecycleEventOf } from '../core/events';
import { ITEM_PREFIXES, TABLE_SCHEMA } from '../core/table';
import type { WebhookRetryPolicy } from '../core/webhooks';
import { appendLine, type LineFile, openLineFile } from './line-file';

/** How far before the newest seen event a poll looks, for changes that committed after a later-dated one. */
const LOOK_BACK_MS = 60_000;
/** Events kept in memory for `events()`. */
const MEMORY_LIMIT = 1000;
const DAY_MS = 86_400_000;

export interface LocalEventsOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  /** Where the event log goes; null: memory only. */
  eventsFile: string | null;
  webhook: { url: string; key: Buffer } | null;
  expiringWithinDays: number;
  now: () => number;
  /** @default 500 */
  pollMs?: number;
  /** The webhook retry policy (tests shorten it). */
  webhookPolicy?: WebhookRetryPolicy;
}

export interface LocalEvents {
  /** The events delivered so far (the last 1000), oldest first. */
  events(): DeliveredEvent[];
  /** Polls now and delivers what it finds (webhook included); resolves when done. */
  poll(): Promise<void>;
  /** Runs the expiry scan now. */
  scanExpiring(): Promise<void>;
  /** Webhook outcomes, in order (for tests and the access log). */
  webhookResults(): Array<{ id: string; result: WebhookDeliveryResult }>;
  stop(): Promise<void>;
}

async function scanAuditItems(
  dynamo: DynamoDBClient,
  tableName: string,
  since: string | null,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression:
          since === null ? 'begins_with(#pk, :audit)' : 'begins_with(#pk, :audit) AND #at >= :since',
        ExpressionAttributeNames: {
          '#pk': TABLE_SCHEMA.partitionKey,
          ...(since === null ? {} : { '#at': 'at' }),
        },
        ExpressionAttributeValues: {
          ':audit': { S: ITEM_PREFIXES.audit },
          ...(since === null ? {} : { ':since': { S: since } }),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

export async function startLocalEvents(options: LocalEventsOptions): Promise<LocalEvents> {
  const file: LineFile | null = options.eventsFile === null ? null : openLineFile(options.eventsFile);
  const delivered: DeliveredEvent[] = [];
  const results: Array<{ id: string; result: WebhookDeliveryResult }> = [];
  const seen = new Set<string>();
  let newest: string | null = null;

  const note = (at: string) => {
    if (newest === null || at > newest) newest = at;
  };
  for (const item of await scanAuditItems(options.dynamo, options.tableName, null)) {
    const record = auditRecordOfItem(item);
    if (record === null) continue;
    seen.add(record.id);
    note(record.at);
  }

  let webhookQueue: Promise<void> = Promise.resolve();
  const publish = (event: LifecycleEvent) => {
    const envelope = deliveredEventOf(event);
    delivered.push(envelope);
    if (delivered.length > MEMORY_LIMIT) delivered.shift();
    if (file !== null) appendLine(file, JSON.stringify(envelope));
    const webhook = options.webhook;
    if (webhook !== null) {
      webhookQueue = webhookQueue.then(async () => {
        // The receiver checks the timestamp against its own clock: the wall clock, never a test's.
        const result = await deliverWebhook(
          webhook,
          event,
          options.webhookPolicy ? { policy: options.webhookPolicy } : {},
        );
        results.push({ id: event.detail.id, result });
      });
    }
  };

  let polling: Promise<void> | null = null;
  const pollOnce = async () => {
    const since = newest === null ? null : new Date(Date.parse(newest) - LOOK_BACK_MS).toISOString();
    const fresh = (await scanAuditItems(options.dynamo, options.tableName, since))
      .map(auditRecordOfItem)
      .filter((r) => r !== null && !seen.has(r.id))
      .map((r) => r as NonNullable<typeof r>)
      .sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at < b.at ? -1 : 1));
    for (const record of fresh) {
      seen.add(record.id);
      note(record.at);
      publish(lifecycleEventOf(record));
    }
  };
  const poll = async () => {
    // One poll at a time; a caller during a poll waits for it and then polls again.
    while (polling !== null) await polling.catch(() => undefined);
    polling = pollOnce().finally(() => {
      polling = null;
    });
    await polling;
    await webhookQueue;
  };

  const expiring = createExpiringHandler({
    dynamo: options.dynamo,
    tableName: options.tableName,
    withinDays: options.expiringWithinDays,
    now: options.now,
    publish: async (events) => {
      for (const event of events) publish(event);
      return events.map(() => true);
    },
  });
  const scanExpiring = async () => {
    await expiring();
    await webhookQueue;
  };

  let stopped = false;
  const timer = setInterval(() => {
    if (!stopped && polling === null) pollOnce().catch(() => undefined);
  }, options.pollMs ?? 500);
  timer.unref();
  const daily = setInterval(() => {
    if (!stopped) expiring().catch(() => undefined);
  }, DAY_MS);
  daily.unref();
  await expiring().catch(() => undefined);

  return {
    events: () => [...delivered],
    poll,
    scanExpiring,
    webhookResults: () => [...results],
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(daily);
      await poll().catch(() => undefined);
      await webhookQueue.catch(() => undefined);
      file?.close();
    },
  };
}
