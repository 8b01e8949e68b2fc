/**
 * Audit events in the key table: the item codec, the `Put`s the key repository adds to the transaction
 * of each change (so a change and its record are written together or not at all), and the newest-first
 * listing of an organization's events (table partition `AUDIT#<org>`) or of one key's (GSI1 partition
 * `AUDITKEY#<keyId>`), with tamper-checked cursors. Items expire by TTL after the audit retention.
 */
import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { ValidationError } from '#core/errors';
import type { ListAuditQuery } from '#core/management';
import { AUDIT_EVENT_TYPES, type AuditChange, type AuditEvent, type AuditEventType } from '#core/model';
import { auditKeyPk, auditPk, auditSk, ITEM_PREFIXES, TABLE_SCHEMA } from '#core/table';
import { KEY_ID_LENGTH } from '#core/token';
import { type Item, n, num, s, str } from './codec';
import { dependency } from './transact';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;
const { name: GSI1, partitionKey: GSI1PK, sortKey: GSI1SK } = TABLE_SCHEMA.gsi1;

/** An audit event as an item; `changes` is stored as one JSON string. */
export function auditItem(event: AuditEvent, retentionSeconds: number): Item {
  const sk = auditSk(event.at, event.id);
  const item: Item = {
    [PK]: s(auditPk(event.org_id)),
    [SK]: s(sk),
    [TTL]: n(Math.floor(Date.parse(event.at) / 1000) + retentionSeconds),
    id: s(event.id),
    type: s(event.type),
    org_id: s(event.org_id),
    actor: s(event.actor),
    request_id: s(event.request_id),
    at: s(event.at),
    changes: s(JSON.stringify(event.changes)),
  };
  if (event.version !== null) item.version = n(event.version);
  if (event.key_id !== null) {
    item.key_id = s(event.key_id);
    item[GSI1PK] = s(auditKeyPk(event.key_id));
    item[GSI1SK] = s(sk);
  }
  return item;
}

export function itemToAuditEvent(item: Item): AuditEvent {
  const type = str(item, 'type');
  let changes: Record<string, AuditChange> = {};
  try {
    changes = JSON.parse(str(item, 'changes') ?? '{}') as Record<string, AuditChange>;
  } catch {
    changes = {};
  }
  return {
    id: str(item, 'id') ?? '',
    type: (AUDIT_EVENT_TYPES as readonly string[]).includes(type ?? '')
      ? (type as AuditEventType)
      : 'key.updated',
    org_id: str(item, 'org_id') ?? '',
    key_id: str(item, 'key_id'),
    actor: str(item, 'actor') ?? '',
    request_id: str(item, 'request_id') ?? '',
    at: str(item, 'at') ?? '',
    // Absent on events written before events were numbered.
    version: num(item, 'version'),
    changes,
  };
}

/** Transaction items that store `events`, named `audit0`, `audit1`, … (each a new item, never a replacement). */
export function auditPuts(
  tableName: string,
  events: readonly AuditEvent[],
  retentionSeconds: number,
): Record<string, TransactWriteItem> {
  const puts: Record<string, TransactWriteItem> = {};
  events.forEach((event, i) => {
    puts[`audit${i}`] = {
      Put: {
        TableName: tableName,
        Item: auditItem(event, retentionSeconds),
        ConditionExpression: `attribute_not_exists(${PK})`,
      },
    };
  });
  return puts;
}

/** One page of events, newest first. */
export async function listAuditEvents(
  client: DynamoDBClient,
  tableName: string,
  query: ListAuditQuery,
): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const byKey = query.keyId !== null;
  const partition = byKey ? auditKeyPk(query.keyId as string) : auditPk(query.orgId as string);
  let startKey = query.cursor === null ? undefined : decodeAuditCursor(query.cursor, partition, byKey);
  const events: AuditEvent[] = [];
  let more = true;
  while (events.length <= query.limit && more) {
    const input: QueryCommandInput = {
      TableName: tableName,
      KeyConditionExpression: `${byKey ? GSI1PK : PK} = :p`,
      ExpressionAttributeValues: { ':p': s(partition) },
      ScanIndexForward: false,
      Limit: query.limit + 1 - events.length,
      ExclusiveStartKey: startKey,
    };
    if (byKey) input.IndexName = GSI1;
    if (byKey && query.orgId !== null) {
      // A key's events all carry its organization: another organization's key shows nothing.
      input.FilterExpression = 'org_id = :org';
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':org': s(query.orgId) };
    }
    try {
      const out = await client.send(new QueryCommand(input));
      events.push(...(out.Items ?? []).map(itemToAuditEvent));
      startKey = out.LastEvaluatedKey;
      more = startKey !== undefined;
    } catch (error) {
      return dependency(error);
    }
  }
  const page = events.slice(0, query.limit);
  const last = page[page.length - 1];
  const hasMore = events.length > query.limit || (more && page.length === query.limit);
  return { events: page, nextCursor: hasMore && last ? encodeAuditCursor(last, byKey) : null };
}

/** The last event's primary key (and GSI1 key when listing one key), as base64url JSON. */
function encodeAuditCursor(event: AuditEvent, byKey: boolean): string {
  const sk = auditSk(event.at, event.id);
  const key: Record<string, string> = { [PK]: auditPk(event.org_id), [SK]: sk };
  if (byKey && event.key_id !== null) {
    key[GSI1PK] = auditKeyPk(event.key_id);
    key[GSI1SK] = sk;
  }
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** An audit item's sort key: the event's ISO time, then its id (a key-id-shaped id, `newKeyId`). */
const SK_RE = new RegExp(
  `^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z#[0-9A-Za-z]{${KEY_ID_LENGTH}}$`,
);

/** Every field checked: a cursor from another listing or an edited one is a 400, never a 5xx. */
function decodeAuditCursor(cursor: string, partition: string, byKey: boolean): Item {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const k = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const fields = byKey ? [PK, SK, GSI1PK, GSI1SK] : [PK, SK];
  const valid =
    Object.keys(k).length === fields.length &&
    fields.every((f) => typeof k[f] === 'string') &&
    SK_RE.test(k[SK] as string) &&
    (byKey
      ? k[GSI1PK] === partition && k[GSI1SK] === k[SK] && String(k[PK]).startsWith(ITEM_PREFIXES.audit)
      : k[PK] === partition);
  if (!valid) throw new ValidationError('cursor', 'cursor: is not a cursor returned by this listing');
  return Object.fromEntries(fields.map((f) => [f, s(k[f] as string)]));
}
