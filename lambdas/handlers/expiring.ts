/**
 * The daily expiry scan: an EventBridge schedule invokes it once a day; it publishes `key.expiring` for
 * every live key that expires within the `expiringWithinDays` window and has not been announced for that
 * expiry, then marks each announced key (`expiring_notified`). One notice per key and expiry: a key is
 * announced on the first run that finds it in the window, and the event's id is derived from the key
 * and its expiry, so a notice sent again (a mark that failed, an edited key) carries the same id.
 * A notice the bus did not accept is not marked and is tried on the next run; the run then fails, so
 * the schedule's own retries and the function's errors alarm show it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expiringEvent } from '#core/events';
import { parseSetting, SETTINGS, throwProblems } from '#core/settings';
import { createDynamoClient } from '../aws/clients';
import { createEventBridgeClient, eventBridgePublisher, type PublishEvents } from '../aws/event-bus';
import { markExpiringNotified, scanExpiringKeys } from '../dynamo/expiring';
import { logger } from '../runtime/logger';

export interface ExpiringHandlerOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  publish: PublishEvents;
  withinDays: number;
  now?: () => number;
}

export interface ExpiringRunResult {
  found: number;
  published: number;
}

export function createExpiringHandler(options: ExpiringHandlerOptions) {
  const now = options.now ?? Date.now;
  return async (): Promise<ExpiringRunResult> => {
    const nowMs = now();
    const keys = await scanExpiringKeys(
      options.dynamo,
      options.tableName,
      nowMs,
      options.withinDays * 86_400_000,
    );
    const delivered = await options.publish(keys.map((key) => expiringEvent(key, nowMs)));
    let published = 0;
    for (const [i, key] of keys.entries()) {
      if (!delivered[i]) continue;
      published++;
      await markExpiringNotified(options.dynamo, options.tableName, key);
    }
    logger.info('expiring keys announced', { found: keys.length, published });
    if (published < keys.length)
      throw new Error(`${keys.length - published} key.expiring events were not published`);
    return { found: keys.length, published };
  };
}

let cached: ReturnType<typeof createExpiringHandler> | undefined;

/** The Lambda entry point. */
export const handler = (): Promise<ExpiringRunResult> => {
  if (cached === undefined) {
    const env = process.env;
    const problems: string[] = [];
    const tableName = env[SETTINGS.tableName.env] ?? '';
    const bus = env[SETTINGS.eventBus.env] ?? '';
    if (tableName === '') problems.push(`${SETTINGS.tableName.env} must be set`);
    if (bus === '') problems.push(`${SETTINGS.eventBus.env} must be set`);
    let withinDays: number = SETTINGS.expiringWithinDays.default;
    const raw = env[SETTINGS.expiringWithinDays.env];
    if (raw) {
      const parsed = parseSetting('expiringWithinDays', raw, { as: SETTINGS.expiringWithinDays.env });
      if (parsed.ok) withinDays = parsed.value;
      else problems.push(parsed.problem);
    }
    throwProblems('configuration', problems);
    cached = createExpiringHandler({
      dynamo: createDynamoClient(env[SETTINGS.dynamodbEndpoint.env] || undefined),
      tableName,
      publish: eventBridgePublisher(createEventBridgeClient(), bus),
      withinDays,
    });
  }
  return cached();
};
