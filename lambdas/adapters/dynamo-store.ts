import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ApiError, DependencyError, ValidationError } from '../core/errors';
import type { KeyRecord, OrgRecord } from '../core/model';
import { isPermission } from '../core/permissions';
import {
  type RecordSignedUseInput,
  type RecordSignedUseResult,
  type RecordUseInput,
  type RecordUseResult,
  rateWindowOf,
} from '../core/verify';

/**
 * The single-table data model (see README "Data model"):
 *
 * | item           | pk                     | sk      | gsi1pk      | gsi1sk              | ttl                      |
 * |----------------|------------------------|---------|-------------|---------------------|--------------------------|
 * | key            | KEY#<keyId>            | KEY     | ORG#<org>   | <created_at>#<id>   | released + retention     |
 * | organization   | ORG#<org>              | ORG     |             |                     |                          |
 * | replay nonce   | NONCE#<keyId>#<nonce>  | REPLAY  |             |                     | timestamp + 600 s        |
 * | replay sig.    | SIG#<keyId>#<sha256>   | REPLAY  |             |                     | timestamp + 600 s        |
 *
 * Rate-limit windows and usage live on the key item itself (`rl_<minute>`, `calls`, `last_used_at`)
 * so that a bearer verification is exactly one conditional UpdateItem.
 */
export const GSI1 = 'gsi1';
const RL_PREFIX = 'rl_';
const MAX_TRANSACTION_ATTEMPTS = 12;

type Item = Record<string, AttributeValue>;

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Active keys an organization may hold when no limit was set for it. */
  defaultMaxKeys: number;
  /** How long revoked, rotated and expired key records are kept before TTL deletes them. */
  retentionSeconds: number;
  /** The clock for rate-limit windows seen on reads (default Date.now). */
  now?: () => number;
}

export interface ListKeysQuery {
  orgId: string;
  limit: number;
  cursor: string | null;
  status: 'active' | 'revoked' | 'expired' | null;
  nowMs: number;
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const keyOf = (id: string): Item => ({ pk: s(`KEY#${id}`), sk: s('KEY') });
const orgKeyOf = (orgId: string): Item => ({ pk: s(`ORG#${orgId}`), sk: s('ORG') });

function str(item: Item, name: string): string | null {
  const v = item[name];
  return v && 'S' in v && v.S !== undefined ? v.S : null;
}

function num(item: Item, name: string): number | null {
  const v = item[name];
  return v && 'N' in v && v.N !== undefined ? Number(v.N) : null;
}

function strList(item: Item, name: string): string[] {
  const v = item[name];
  return v && 'L' in v && v.L ? v.L.flatMap((x) => (x.S !== undefined ? [x.S] : [])) : [];
}

export function recordToItem(r: KeyRecord): Item {
  const item: Item = {
    ...keyOf(r.id),
    gsi1pk: s(`ORG#${r.org_id}`),
    gsi1sk: s(`${r.created_at}#${r.id}`),
    id: s(r.id),
    org_id: s(r.org_id),
    name: s(r.name),
    key_hash: s(r.key_hash),
    salt: s(r.salt),
    roles: { L: r.roles.map(s) },
    permissions: { L: r.permissions.map(s) },
    rate_limit_per_minute: n(r.rate_limit_per_minute),
    created_at: s(r.created_at),
    created_by: s(r.created_by),
    calls: n(r.calls),
    released: { BOOL: r.released },
  };
  if (r.description !== null) item.description = s(r.description);
  if (r.expires_at_ms !== null) item.expires_at_ms = n(r.expires_at_ms);
  if (r.revoked_at !== null) item.revoked_at = s(r.revoked_at);
  if (r.last_used_at !== null) item.last_used_at = s(r.last_used_at);
  if (r.rotated_from !== null) item.rotated_from = s(r.rotated_from);
  if (r.rotated_to !== null) item.rotated_to = s(r.rotated_to);
  return item;
}

export function itemToRecord(item: Item): KeyRecord {
  const id = str(item, 'id');
  const orgId = str(item, 'org_id');
  const hash = str(item, 'key_hash');
  if (id === null || orgId === null || hash === null)
    throw new DependencyError('key item is missing id, org_id or key_hash');
  return {
    id,
    org_id: orgId,
    name: str(item, 'name') ?? '',
    description: str(item, 'description'),
    key_hash: hash,
    salt: str(item, 'salt') ?? '',
    roles: strList(item, 'roles'),
    permissions: strList(item, 'permissions').filter(isPermission),
    rate_limit_per_minute: num(item, 'rate_limit_per_minute') ?? 0,
    created_at: str(item, 'created_at') ?? '',
    created_by: str(item, 'created_by') ?? '',
    expires_at_ms: num(item, 'expires_at_ms'),
    revoked_at: str(item, 'revoked_at'),
    last_used_at: str(item, 'last_used_at'),
    calls: num(item, 'calls') ?? 0,
    released: item.released?.BOOL === true,
    rotated_from: str(item, 'rotated_from'),
    rotated_to: str(item, 'rotated_to'),
  };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

function dependency(error: unknown): never {
  if (error instanceof ApiError || error instanceof DependencyError) throw error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  throw new DependencyError(`DynamoDB request failed: ${name}`, { cause: error });
}

type TransactItems = NonNullable<TransactWriteItemsCommandInput['TransactItems']>;

/** Outcome of a transaction: written, or cancelled with one reason per item (and the old items). */
type TransactOutcome =
  | { written: true }
  | { written: false; codes: string[]; items: Array<Item | undefined> };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter backoff for transaction conflicts on a hot organization item. */
function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(400, 10 * 2 ** attempt));
}

export class DynamoStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly defaultMaxKeys: number;
  private readonly retentionSeconds: number;
  private readonly now: () => number;
  /** key id → rate-limit window attributes seen stale on this instance, removed on the next use. */
  private readonly staleWindows = new Map<string, string[]>();

  constructor(options: DynamoStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.defaultMaxKeys = options.defaultMaxKeys;
    this.retentionSeconds = options.retentionSeconds;
    this.now = options.now ?? Date.now;
  }

  private ttlFrom(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }

  /**
   * The bearer hot path: one conditional UpdateItem that checks the hash, revocation, expiry and the
   * rate-limit window, and counts the call. Nothing is written when any check fails.
   */
  async recordUse(input: RecordUseInput): Promise<RecordUseResult> {
    const usage = this.usageUpdate(input.keyId, input.window, input.nowMs);
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(input.keyId),
          ConditionExpression: `key_hash = :hash AND ${usage.condition}`,
          UpdateExpression: usage.update,
          ExpressionAttributeNames: usage.names,
          ExpressionAttributeValues: { ...usage.values, ':hash': s(input.tokenHash) },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = out.Attributes ?? {};
      this.noteStaleWindows(input.keyId, item, usage.current);
      return { updated: true, record: itemToRecord(item) };
    } catch (error) {
      if (isConditionFailure(error)) {
        const old = (error as ConditionalCheckFailedException).Item;
        return { updated: false, record: old && Object.keys(old).length > 0 ? itemToRecord(old) : null };
      }
      return dependency(error);
    }
  }

  /**
   * The signed hot path's one write: a transaction that records the nonce and the signature (each
   * accepted once per key) and counts the call and the rate-limit window on the key item, only if the
   * key is still usable. All or nothing: a replay or a refusal writes nothing.
   */
  async recordSignedUse(input: RecordSignedUseInput): Promise<RecordSignedUseResult> {
    const usage = this.usageUpdate(input.keyId, input.window, input.nowMs);
    const replayItem = (pk: string): Item => ({ pk: s(pk), sk: s('REPLAY'), ttl: n(input.replayTtl) });
    const outcome = await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: replayItem(`NONCE#${input.keyId}#${input.nonce}`),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: replayItem(`SIG#${input.keyId}#${input.signatureHash}`),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: keyOf(input.keyId),
          ConditionExpression: `attribute_exists(pk) AND ${usage.condition}`,
          UpdateExpression: usage.update,
          ExpressionAttributeNames: usage.names,
          ExpressionAttributeValues: usage.values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
    if (outcome.written) return { outcome: 'recorded' };
    if (outcome.codes[0] === 'ConditionalCheckFailed' || outcome.codes[1] === 'ConditionalCheckFailed') {
      return { outcome: 'replayed' };
    }
    const old = outcome.items[2];
    return { outcome: 'refused', record: old && Object.keys(old).length > 0 ? itemToRecord(old) : null };
  }

  /**
   * Usage and rate-limit accounting on a key item: the current minute's counter (named after the
   * window, so a new window needs no reset), `calls` and `last_used_at`; the previous window's counter
   * and any stale ones this instance has seen are removed in the same write.
   */
  private usageUpdate(keyId: string, window: number, nowMs: number) {
    const current = `${RL_PREFIX}${window}`;
    const remove = [...new Set([`${RL_PREFIX}${window - 1}`, ...(this.staleWindows.get(keyId) ?? [])])]
      .filter((name) => name !== current)
      .slice(0, 8);
    const names: Record<string, string> = { '#cur': current };
    remove.forEach((name, i) => {
      names[`#old${i}`] = name;
    });
    return {
      current,
      names,
      condition:
        'attribute_not_exists(revoked_at) AND (attribute_not_exists(expires_at_ms) OR expires_at_ms > :now) AND ' +
        '(attribute_not_exists(#cur) OR #cur < rate_limit_per_minute)',
      update:
        'SET #cur = if_not_exists(#cur, :zero) + :one, calls = calls + :one, last_used_at = :iso ' +
        `REMOVE ${remove.map((_, i) => `#old${i}`).join(', ')}`,
      values: {
        ':now': n(nowMs),
        ':zero': n(0),
        ':one': n(1),
        ':iso': s(new Date(nowMs).toISOString()),
      } as Item,
    };
  }

  /**
   * Runs a transaction, retrying with backoff while it conflicts with a concurrent one on the same
   * items (a hot organization or key item). Condition failures come back as a value, with the old
   * items where the request asked for them; any other failure is a dependency error.
   */
  private async transact(items: TransactItems): Promise<TransactOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return { written: true };
      } catch (error) {
        const conflict =
          (error instanceof TransactionCanceledException &&
            (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')) ||
          (error instanceof Error && error.name === 'TransactionConflictException');
        const conditionFailed =
          error instanceof TransactionCanceledException &&
          (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
        if (conditionFailed) {
          const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
          return {
            written: false,
            codes: reasons.map((r) => r.Code ?? 'None'),
            items: reasons.map((r) => r.Item),
          };
        }
        if (conflict && attempt < MAX_TRANSACTION_ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        return dependency(error);
      }
    }
  }

  /** Remembers rate-limit counters older than the previous window, to remove them on the next write. */
  private noteStaleWindows(keyId: string, item: Item, current: string | null): void {
    const recent = current ?? `${RL_PREFIX}${rateWindowOf(this.now())}`;
    const previous = `${RL_PREFIX}${Number(recent.slice(RL_PREFIX.length)) - 1}`;
    const stale = Object.keys(item).filter((k) => k.startsWith(RL_PREFIX) && k !== recent && k !== previous);
    if (stale.length === 0) {
      this.staleWindows.delete(keyId);
      return;
    }
    if (this.staleWindows.size >= 1000) this.staleWindows.clear();
    this.staleWindows.set(keyId, stale);
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
      );
      if (!out.Item) return null;
      this.noteStaleWindows(id, out.Item, null);
      return itemToRecord(out.Item);
    } catch (error) {
      return dependency(error);
    }
  }

  /**
   * Creates a key and takes one of its organization's slots in one transaction, so the limit holds
   * under any number of concurrent creates. When the organization is full, keys that have expired
   * since are released first and the create is tried once more.
   */
  async createKey(record: KeyRecord, nowMs: number): Promise<void> {
    const taken = await this.tryCreateKey(record);
    if (taken) return;
    if ((await this.releaseExpired(record.org_id, nowMs)) > 0 && (await this.tryCreateKey(record))) return;
    throw new ApiError(
      'key_limit_reached',
      `Organization ${record.org_id} has reached its limit of active keys; revoke a key or raise the limit.`,
    );
  }

  private orgLimitCondition(): { expression: string; values: Item } {
    const clauses = [
      'attribute_type(max_keys, :nullType)',
      '(attribute_type(max_keys, :numType) AND active_keys < max_keys)',
    ];
    const values: Item = { ':nullType': s('NULL'), ':numType': s('N') };
    if (this.defaultMaxKeys > 0) {
      clauses.push(
        '(attribute_not_exists(max_keys) AND (attribute_not_exists(active_keys) OR active_keys < :defaultMax))',
      );
      values[':defaultMax'] = n(this.defaultMaxKeys);
    }
    return { expression: clauses.join(' OR '), values };
  }

  /** true: created; false: the organization is full. */
  private async tryCreateKey(record: KeyRecord): Promise<boolean> {
    const limit = this.orgLimitCondition();
    const outcome = await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: orgKeyOf(record.org_id),
          ConditionExpression: limit.expression,
          UpdateExpression: 'SET active_keys = if_not_exists(active_keys, :zero) + :one, org_id = :org',
          ExpressionAttributeValues: {
            ...limit.values,
            ':zero': n(0),
            ':one': n(1),
            ':org': s(record.org_id),
          },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: recordToItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (outcome.written) return true;
    if (outcome.codes[1] === 'ConditionalCheckFailed')
      throw new ApiError('conflict', 'A key with this id already exists.');
    return false;
  }

  /** Moves a key out of its organization's count (revoked, rotated or expired), once. */
  private async releaseKey(record: KeyRecord, set: string, values: Item, nowMs: number): Promise<boolean> {
    return (
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: keyOf(record.id),
            ConditionExpression: 'released = :false',
            UpdateExpression: `SET released = :true, #ttl = :ttl${set}`,
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ...values,
              ':false': { BOOL: false },
              ':true': { BOOL: true },
              ':ttl': n(this.ttlFrom(nowMs)),
            },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: orgKeyOf(record.org_id),
            ConditionExpression: 'active_keys > :zero',
            UpdateExpression: 'SET active_keys = active_keys - :one',
            ExpressionAttributeValues: { ':zero': n(0), ':one': n(1) },
          },
        },
      ])
    ).written;
  }

  /** Revokes a key immediately and permanently. Repeating it is harmless. */
  async revokeKey(id: string, nowMs: number): Promise<KeyRecord | null> {
    const record = await this.getKey(id);
    if (record === null || record.revoked_at !== null) return record;
    const revokedAt = new Date(nowMs).toISOString();
    const released =
      !record.released &&
      (await this.releaseKey(record, ', revoked_at = :revokedAt', { ':revokedAt': s(revokedAt) }, nowMs));
    if (!released) {
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keyOf(id),
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
            UpdateExpression: 'SET revoked_at = :revokedAt, released = :true, #ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':revokedAt': s(revokedAt),
              ':true': { BOOL: true },
              ':ttl': n(this.ttlFrom(nowMs)),
            },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) return dependency(error);
      }
    }
    return this.getKey(id);
  }

  /**
   * Rotation in one transaction: the new key takes over the old key's organization slot, and the old
   * key is released and set to stop working at the end of the grace period (revoked at once for 0).
   * Returns false when the old key was revoked, rotated or expired in the meantime.
   */
  async rotateKey(
    old: KeyRecord,
    replacement: KeyRecord,
    graceSeconds: number,
    nowMs: number,
  ): Promise<boolean> {
    const graceEnd = nowMs + graceSeconds * 1000;
    const ends = old.expires_at_ms === null ? graceEnd : Math.min(old.expires_at_ms, graceEnd);
    // The expiry is compared with the one read, so a concurrent change makes this fail, not race.
    const expiryUnchanged =
      old.expires_at_ms === null ? 'attribute_not_exists(expires_at_ms)' : 'expires_at_ms = :oldExpiry';
    const values: Item = {
      ':false': { BOOL: false },
      ':true': { BOOL: true },
      ':newId': s(replacement.id),
      ':ttl': n(this.ttlFrom(ends)),
      ...(old.expires_at_ms === null ? {} : { ':oldExpiry': n(old.expires_at_ms) }),
      ...(graceSeconds === 0 ? { ':iso': s(new Date(nowMs).toISOString()) } : { ':ends': n(ends) }),
    };
    const outcome = await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: keyOf(old.id),
          ConditionExpression: `released = :false AND attribute_not_exists(revoked_at) AND ${expiryUnchanged}`,
          UpdateExpression: `SET released = :true, rotated_to = :newId, #ttl = :ttl, ${
            graceSeconds === 0 ? 'revoked_at = :iso' : 'expires_at_ms = :ends'
          }`,
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: recordToItem(replacement),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (outcome.written) return true;
    if (outcome.codes[1] === 'ConditionalCheckFailed')
      throw new ApiError('conflict', 'A key with this id already exists.');
    return false;
  }

  /** Releases the organization slots of keys that have expired; returns how many were released. */
  async releaseExpired(orgId: string, nowMs: number): Promise<number> {
    let released = 0;
    let startKey: Item | undefined;
    do {
      let out: QueryCommandOutput;
      try {
        out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: GSI1,
            KeyConditionExpression: 'gsi1pk = :org',
            FilterExpression: 'released = :false AND expires_at_ms <= :now',
            ExpressionAttributeValues: {
              ':org': s(`ORG#${orgId}`),
              ':false': { BOOL: false },
              ':now': n(nowMs),
            },
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        return dependency(error);
      }
      for (const item of out.Items ?? []) {
        if (await this.releaseKey(itemToRecord(item), '', {}, nowMs)) released++;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return released;
  }

  async listKeys(query: ListKeysQuery): Promise<{ records: KeyRecord[]; nextCursor: string | null }> {
    const orgPk = `ORG#${query.orgId}`;
    let startKey = query.cursor === null ? undefined : decodeCursor(query.cursor, orgPk);
    const filters: Record<string, string> = {
      active:
        'attribute_not_exists(revoked_at) AND (attribute_not_exists(expires_at_ms) OR expires_at_ms > :now)',
      revoked: 'attribute_exists(revoked_at)',
      expired: 'attribute_not_exists(revoked_at) AND expires_at_ms <= :now',
    };
    const records: KeyRecord[] = [];
    let more = true;
    while (records.length <= query.limit && more) {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :org',
        ExpressionAttributeValues: { ':org': s(orgPk) },
        ScanIndexForward: false,
        Limit: query.limit + 1 - records.length,
        ExclusiveStartKey: startKey,
      };
      if (query.status !== null) {
        input.FilterExpression = filters[query.status];
        if (query.status !== 'revoked')
          input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':now': n(query.nowMs) };
      }
      try {
        const out = await this.client.send(new QueryCommand(input));
        records.push(...(out.Items ?? []).map(itemToRecord));
        startKey = out.LastEvaluatedKey;
        more = startKey !== undefined;
      } catch (error) {
        return dependency(error);
      }
    }
    const page = records.slice(0, query.limit);
    const last = page[page.length - 1];
    const hasMore = records.length > query.limit || (more && page.length === query.limit);
    return { records: page, nextCursor: hasMore && last ? encodeCursor(last) : null };
  }

  async getOrg(orgId: string, nowMs: number): Promise<OrgRecord> {
    await this.releaseExpired(orgId, nowMs);
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: orgKeyOf(orgId), ConsistentRead: true }),
      );
      return this.toOrg(orgId, out.Item ?? {});
    } catch (error) {
      return dependency(error);
    }
  }

  async putOrgLimit(orgId: string, maxKeys: number | null, nowMs: number): Promise<OrgRecord> {
    await this.releaseExpired(orgId, nowMs);
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: orgKeyOf(orgId),
          UpdateExpression:
            'SET max_keys = :max, org_id = :org, active_keys = if_not_exists(active_keys, :zero), updated_at = :iso',
          ExpressionAttributeValues: {
            ':max': maxKeys === null ? { NULL: true } : n(maxKeys),
            ':org': s(orgId),
            ':zero': n(0),
            ':iso': s(new Date(nowMs).toISOString()),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.toOrg(orgId, out.Attributes ?? {});
    } catch (error) {
      return dependency(error);
    }
  }

  private toOrg(orgId: string, item: Item): OrgRecord {
    const max = item.max_keys;
    const maxKeys = max === undefined ? this.defaultMaxKeys : max.NULL ? null : Number(max.N);
    return { org_id: orgId, max_keys: maxKeys, active_keys: num(item, 'active_keys') ?? 0 };
  }
}

function encodeCursor(record: KeyRecord): string {
  const key = {
    pk: `KEY#${record.id}`,
    sk: 'KEY',
    gsi1pk: `ORG#${record.org_id}`,
    gsi1sk: `${record.created_at}#${record.id}`,
  };
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, orgPk: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  const k = key as Record<string, unknown> | null;
  const fields = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];
  if (!k || typeof k !== 'object' || !fields.every((f) => typeof k[f] === 'string') || k.gsi1pk !== orgPk) {
    throw new ValidationError('cursor', 'cursor: is not a cursor returned by this listing');
  }
  return Object.fromEntries(fields.map((f) => [f, s(k[f] as string)]));
}
