/**
 * Lifecycle events without AWS: the mapper (every audit type, unknown types, no secret, the JSON Schema),
 * Standard Webhooks signatures checked by the `standardwebhooks` package, the events function's
 * at-least-once handling of PutEvents failures (a stand-in EventBridge client that rejects entries or
 * whole calls, since those faults cannot be produced locally), and the webhook sender's back-off against
 * a real receiver on loopback.
 */
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  deliveredEventOf,
  EVENT_DETAIL_TYPES,
  expiringEvent,
  type LifecycleEvent,
  lifecycleEventOf,
} from '#core/events';
import { WEBHOOK_RETRY, webhookBody, webhookHeaders, webhookKey, webhookRetryDelay } from '#core/webhooks';
import { eventBridgePublisher, PUT_EVENTS_BATCH } from '#lambda/aws/event-bus';
import { auditItem } from '#lambda/dynamo/audit';
import { createEventsHandler } from '#lambda/handlers/events';
import { createWebhooksHandler } from '#lambda/handlers/webhooks';
import { eventSchemaErrors, startWebhookReceiver } from '../helpers/events';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function audit(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: 'Q2xW9pL3mN8kR4tY',
    type: 'key.updated',
    org_id: 'acme',
    key_id: '3hQx9TmP2wLk8ZrA',
    actor: 'admin',
    request_id: 'req-1',
    at: '2026-12-06T10:00:00.000Z',
    version: 2,
    changes: { name: { old: 'a', new: 'b' } },
    ...overrides,
  };
}

describe('the mapper', () => {
  it.each(Object.entries(EVENT_DETAIL_TYPES))(
    '%s → detail-type %s, valid against the schema',
    (type, detailType) => {
      const event = lifecycleEventOf(audit({ type, key_id: type.startsWith('org.') ? null : 'k1' }));
      expect(event).toMatchObject({ source: 'latchkey', detailType, time: '2026-12-06T10:00:00.000Z' });
      expect(event.detail).toMatchObject({
        schema_version: 1,
        id: 'Q2xW9pL3mN8kR4tY',
        type: detailType,
        version: 2,
      });
      expect(eventSchemaErrors(deliveredEventOf(event))).toBe('');
    },
  );

  it('publishes an audit type it does not know under its own name', () => {
    const event = lifecycleEventOf(audit({ type: 'key.quota_changed' }));
    expect(event.detailType).toBe('key.quota_changed');
    expect(event.detail.schema_version).toBe(1);
    expect(eventSchemaErrors(deliveredEventOf(event))).toBe('');
  });

  it('drops any change whose field could hold a credential', () => {
    const event = lifecycleEventOf(
      audit({
        changes: {
          name: { old: 'a', new: 'b' },
          key_hash: { old: null, new: 'f'.repeat(64) },
          salt: { old: null, new: 'x' },
          raw_token: { old: null, new: 'lk_x_y' },
          signing_secret: { old: null, new: 'z' },
        },
      }),
    );
    expect(Object.keys(event.detail.changes)).toEqual(['name']);
  });

  it('the schema refuses a detail with a secret-named change or without an id', () => {
    const good = deliveredEventOf(lifecycleEventOf(audit()));
    const leaky = { ...good, detail: { ...good.detail, changes: { key_hash: { old: null, new: 'f' } } } };
    expect(eventSchemaErrors(leaky)).not.toBe('');
    const { id: _id, ...noId } = good.detail;
    expect(eventSchemaErrors({ ...good, detail: noId })).not.toBe('');
  });

  it('key.expiring: the same id for the same key and expiry, another for a new expiry', () => {
    const key = { id: 'k1', org_id: 'acme', expires_at_ms: Date.parse('2026-12-10T00:00:00Z') };
    const a = expiringEvent(key, Date.parse('2026-12-06T00:15:00Z'));
    const b = expiringEvent(key, Date.parse('2026-12-07T00:15:00Z'));
    expect(a.detail.id).toBe(b.detail.id);
    expect(a.detail.id).toBe('expiring:k1:2026-12-10T00:00:00.000Z');
    expect(expiringEvent({ ...key, expires_at_ms: key.expires_at_ms + 1000 }, 0).detail.id).not.toBe(
      a.detail.id,
    );
    expect(eventSchemaErrors(deliveredEventOf(a))).toBe('');
  });
});

describe('Standard Webhooks signatures', () => {
  const event = lifecycleEventOf(audit());
  const body = webhookBody(event);

  it.each([
    ['whsec_<base64>', SECRET],
    ['<base64> alone', SECRET.slice('whsec_'.length)],
  ])('a signature made with the secret as %s verifies with standardwebhooks', (_label, secret) => {
    const key = webhookKey(secret);
    expect(key).not.toBeNull();
    const headers = webhookHeaders(key as Buffer, event.detail.id, body, Date.now());
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers['webhook-id']).toBe(event.detail.id);
  });

  it('a changed body, id or timestamp does not verify', () => {
    const headers = webhookHeaders(webhookKey(SECRET) as Buffer, event.detail.id, body, Date.now());
    const verifier = new Webhook(SECRET);
    expect(() => verifier.verify(body.replace('"b"', '"c"'), headers)).toThrow();
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'other' })).toThrow();
    expect(() =>
      verifier.verify(body, {
        ...headers,
        'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1),
      }),
    ).toThrow();
  });

  it('refuses a secret that is not base64 of at least 24 bytes', () => {
    expect(webhookKey('whsec_short')).toBeNull();
    expect(webhookKey('not base64 at all, with spaces and !!')).toBeNull();
  });

  it('back-off doubles from the base and stops at the cap', () => {
    const delays = [2, 3, 4, 5, 6].map((attempt) => webhookRetryDelay(WEBHOOK_RETRY, attempt));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
  });
});

/** A DynamoDB stream record carrying `event`'s audit item as its new image. */
function streamRecord(
  event: AuditRecord,
  sequence: number,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord {
  const item = auditItem({ ...event, type: event.type as never }, 86_400);
  return {
    eventID: `e${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      Keys: { pk: item.pk as never, sk: item.sk as never },
      NewImage: item as never,
      SequenceNumber: String(1000 + sequence),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

type Entry = { Detail?: string; DetailType?: string; Source?: string; EventBusName?: string };

/**
 * A stand-in EventBridge client: records every PutEvents call, and rejects the entries `reject` names
 * (by detail id, per call) or throws for a whole call when `throwOn` says so.
 */
function fakeEventBridge(options: {
  reject?: (id: string, call: number) => boolean;
  throwOn?: (call: number) => boolean;
}) {
  const calls: Entry[][] = [];
  const client = {
    send: async (command: { input: { Entries?: Entry[] } }) => {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const call = calls.length;
      if (options.throwOn?.(call))
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      const results = entries.map((e) => {
        const id = (JSON.parse(e.Detail ?? '{}') as { id: string }).id;
        return options.reject?.(id, call)
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
          : { EventId: `eb-${id}` };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  };
  return { client: client as never, calls };
}

const noSleep = async () => undefined;
const records = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    streamRecord(audit({ id: `event${String(i).padStart(10, '0')}`, version: i + 1 }), i),
  );

describe('the events function (stream → EventBridge)', () => {
  it('publishes every new audit item once, in calls of at most 10, with source, detail-type and detail', async () => {
    const bus = fakeEventBridge({});
    const handler = createEventsHandler({
      publish: eventBridgePublisher(bus.client, 'arn:bus', { sleep: noSleep }),
    });
    const batch = records(12);
    const modified = streamRecord(audit({ id: 'modified000000' }), 99, 'MODIFY');
    const result = await handler({ Records: [...batch, modified] } as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.calls.map((c) => c.length)).toEqual([PUT_EVENTS_BATCH, 2]);
    const sent = bus.calls.flat();
    expect(sent.map((e) => JSON.parse(e.Detail ?? '{}').id)).toEqual(
      batch.map((_, i) => `event${String(i).padStart(10, '0')}`),
    );
    expect(sent[0]).toMatchObject({ Source: 'latchkey', DetailType: 'key.updated', EventBusName: 'arn:bus' });
  });

  it('sends entries PutEvents rejected again, and succeeds when a retry is accepted', async () => {
    const bus = fakeEventBridge({ reject: (id, call) => id === 'event0000000003' && call === 1 });
    const handler = createEventsHandler({
      publish: eventBridgePublisher(bus.client, 'bus', { sleep: noSleep }),
    });
    const result = await handler({ Records: records(5) } as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.calls.map((c) => c.map((e) => JSON.parse(e.Detail ?? '{}').id))).toEqual([
      records(5).map((_, i) => `event${String(i).padStart(10, '0')}`),
      ['event0000000003'],
    ]);
  });

  it('reports the first record it could not publish, so the mapping retries from there (then the DLQ)', async () => {
    const bus = fakeEventBridge({ reject: (id) => id === 'event0000000002' || id === 'event0000000004' });
    const delays: number[] = [];
    const handler = createEventsHandler({
      publish: eventBridgePublisher(bus.client, 'bus', { sleep: async (ms) => void delays.push(ms) }),
    });
    const batch = records(6);
    const result = await handler({ Records: batch } as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: batch[2]?.dynamodb?.SequenceNumber }]);
    expect(bus.calls).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('a whole call failing (throttled) every time fails the batch from its first record', async () => {
    const bus = fakeEventBridge({ throwOn: () => true });
    const handler = createEventsHandler({
      publish: eventBridgePublisher(bus.client, 'bus', { sleep: noSleep }),
    });
    const batch = records(3);
    const result = await handler({ Records: batch } as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.dynamodb?.SequenceNumber }]);
    expect(bus.calls).toHaveLength(3);
  });
});

describe('the webhook sender (SQS → webhook)', () => {
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    receiver.setSecret(SECRET);
  });
  afterAll(() => receiver.close());

  const message = (event: LifecycleEvent, id: string) => ({
    messageId: id,
    body: JSON.stringify({
      account: '123456789012',
      region: 'eu-west-1',
      resources: [],
      ...deliveredEventOf(event),
      id: `eb-${id}`,
    }),
  });

  it('retries with exponential back-off until the receiver accepts, then reports no failure', async () => {
    receiver.answers = [503, 502];
    const delays: number[] = [];
    const handler = createWebhooksHandler({
      url: receiver.url,
      secret: async () => SECRET,
      sleep: async (ms) => void delays.push(ms),
    });
    const event = lifecycleEventOf(audit({ id: 'retriedEvent0001' }));
    const result = await handler({ Records: [message(event, 'm1')] } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
    expect(delays).toEqual([1000, 2000]);
    const got = receiver.received.filter((r) => r.id === 'retriedEvent0001');
    expect(got).toHaveLength(1);
    expect(got[0]?.payload).toEqual({ type: 'key.updated', timestamp: event.time, data: event.detail });
  });

  it('reports the message of an event it could not deliver (SQS retries it, then its DLQ)', async () => {
    receiver.answers = [500, 500, 500, 500];
    const handler = createWebhooksHandler({ url: receiver.url, secret: async () => SECRET, sleep: noSleep });
    const lost = lifecycleEventOf(audit({ id: 'lostEvent0000001' }));
    const before = receiver.requests;
    const result = await handler({ Records: [message(lost, 'm-lost')] } as SQSEvent);
    expect(receiver.requests - before).toBe(WEBHOOK_RETRY.attempts);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-lost' }]);
  });

  it('drops a message that is not a latchkey event instead of retrying it', async () => {
    const handler = createWebhooksHandler({ url: receiver.url, secret: async () => SECRET, sleep: noSleep });
    const result = await handler({ Records: [{ messageId: 'x', body: '{"source":"aws.s3"}' }] } as SQSEvent);
    expect(result.batchItemFailures).toEqual([]);
  });
});
