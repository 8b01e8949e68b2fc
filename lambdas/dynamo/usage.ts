/**
 * The authorizer's storage: verify and count. A bearer verification is one conditional UpdateItem on
 * the key item (hash, revocation, expiry and the rate-limit window checked, the call counted); a signed
 * one is a consistent read of the key item and then one transaction that records the nonce and the
 * signature and counts the call. This is all the authorizer bundle carries of DynamoDB; the
 * management API's key repository lives in `keys.ts`.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { addressAllowed, containingNetworks } from '#core/cidr';
import { spendRetry } from '#core/credits';
import { DependencyError } from '#core/errors';
import type { HotKeyStore, PendingUsage, UsageWrite, WindowLease } from '#core/hot-key-store';
import { type KeyRecord, keyStatus } from '#core/model';
import { type RefusalOutcome, refusalDayAttribute } from '#core/outcomes';
import { noncePk, rateWindowAttribute, signaturePk, usageDayAttribute, windowOfAttribute } from '#core/table';
import { hashMatches } from '#core/token';
import { utcDay } from '#core/usage';
import {
  type KeySnapshot,
  type RecordRefusalInput,
  type RecordReplayInput,
  type RecordSignedUseInput,
  type RecordSignedUseResult,
  type RecordUseInput,
  type RecordUseResult,
  rateWindowOf,
} from '#core/usage-store';
import { type Item, itemToRecord, keyItemKey, n, oldRecordOf, replayItem, s } from './codec';
import { crossingEvents, crossingPut, refillInput, spendTerms } from './credits';
import { dependency, isConditionFailure, transact } from './transact';

export interface DynamoUsageStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The clock for rate-limit windows seen on reads (default Date.now). */
  now?: () => number;
  /** How long the audit items of credit crossings are kept (default 365 days). */
  auditRetentionSeconds?: number;
}

/**
 * Writes one use may take: the use, a switch between a key with and without credits, a refill, and the
 * use again (a top-up racing the refill adds one more round). Past it: a dependency error (fail closed).
 */
const SPEND_ATTEMPTS = 6;

/**
 * Stale rate-limit counters one write removes at most (each is one more name in its expressions): a key
 * item gathers at most one per minute it was used, so a few writes clear any backlog.
 */
const STALE_WINDOWS_PER_WRITE = 8;
/** Keys whose stale counters an instance remembers at most (the memory is dropped whole past it). */
const STALE_KEYS_TRACKED = 1000;

/** The authorizer's storage port (`#core/usage-store`), and the hot-key layer's one extra write. */
export class DynamoUsageStore implements HotKeyStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly now: () => number;
  /** key id → rate-limit window attributes seen stale on this instance, removed on the next use. */
  private readonly staleWindows = new Map<string, string[]>();
  /**
   * Keys this instance has seen with credits: their use-write spends. Any other key's write checks it
   * has none; a key whose credits were set or removed since is learnt from the refused write.
   */
  private readonly creditKeys = new Set<string>();
  private readonly auditRetentionSeconds: number;

  constructor(options: DynamoUsageStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.auditRetentionSeconds = options.auditRetentionSeconds ?? 365 * 86_400;
  }

  private noteCredits(keyId: string, has: boolean): void {
    if (!has) this.creditKeys.delete(keyId);
    else {
      if (this.creditKeys.size >= STALE_KEYS_TRACKED) this.creditKeys.clear();
      this.creditKeys.add(keyId);
    }
  }

  /**
   * What to do after a use-write was refused, from the item as it was: `retry` (the credits were
   * assumed wrong, or a due refill has now been applied by this or another writer), or `refused`.
   * A refill is applied only for the key's own credential (`usable`), never for junk.
   */
  private async afterRefusal(
    keyId: string,
    item: Item | undefined,
    assumed: boolean,
    cost: number,
    nowMs: number,
    usable: boolean,
  ): Promise<'retry' | 'refused'> {
    const record = oldRecordOf(item);
    if (record === null || !usable) return 'refused';
    this.noteCredits(keyId, record.credits !== null);
    const next = spendRetry(assumed, record.credits, cost, nowMs);
    if (next === 'switch') return 'retry';
    if (next !== 'refill' || record.credits === null) return 'refused';
    const input = refillInput(this.tableName, keyId, record.credits, nowMs);
    if (input === null) return 'refused';
    try {
      await this.client.send(new UpdateItemCommand(input));
    } catch (error) {
      // Another writer applied it (or topped up) first: the use is tried again on the item as it is.
      if (!isConditionFailure(error)) return dependency(error);
    }
    return 'retry';
  }

  /**
   * The audit items of the crossings a spend made (rarely any), written before the call is allowed;
   * a failed write loses the event, never the call.
   */
  private async recordCrossings(item: Item, cost: number, nowMs: number): Promise<void> {
    const record = itemToRecord(item);
    if (record.credits === null) return;
    const after = record.credits.remaining;
    const events = crossingEvents({
      keyId: record.id,
      orgId: record.org_id,
      before: after + cost,
      after,
      credits: record.credits,
      calls: record.calls,
      nowMs,
    });
    for (const event of events) {
      try {
        await this.client.send(
          new PutItemCommand(crossingPut(this.tableName, event, this.auditRetentionSeconds)),
        );
      } catch {
        // Written already (a retry): once is enough. Any other failure loses the event, not the call:
        // the spend is committed, and refusing the call now would not give the credit back.
      }
    }
  }

  /**
   * The bearer hot path: one conditional UpdateItem that checks the hash, revocation, disabling, expiry and the
   * rate-limit window, and counts the call. Nothing is written when any check fails.
   */
  async recordUse(input: RecordUseInput): Promise<RecordUseResult> {
    const cost = input.cost ?? 1;
    for (let attempt = 0; attempt < SPEND_ATTEMPTS; attempt++) {
      const withCredits = this.creditKeys.has(input.keyId);
      const credits = spendTerms(withCredits, cost, input.nowMs);
      const usage = this.usageUpdate(input.keyId, input.window, input.nowMs, input.sourceIp, credits.set);
      try {
        const out = await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keyItemKey(input.keyId),
            ConditionExpression: `key_hash = :hash AND ${usage.condition} AND ${credits.condition}`,
            UpdateExpression: usage.update,
            ExpressionAttributeNames: { ...usage.names, ...credits.names },
            ExpressionAttributeValues: { ...usage.values, ...credits.values, ':hash': s(input.tokenHash) },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const item = out.Attributes ?? {};
        this.noteStaleWindows(input.keyId, item, input.window);
        if (withCredits) await this.recordCrossings(item, cost, input.nowMs);
        return { updated: true, record: itemToRecord(item), windows: windowsOf(item) };
      } catch (error) {
        if (!isConditionFailure(error)) return dependency(error);
        const old = error.Item;
        const record = oldRecordOf(old);
        const usable =
          record !== null &&
          hashMatches(record.key_hash, input.tokenHash) &&
          usableFrom(record, old ?? {}, input.window, input.nowMs, input.sourceIp);
        const next = await this.afterRefusal(input.keyId, old, withCredits, cost, input.nowMs, usable);
        if (next === 'refused')
          return { updated: false, record, windows: record ? windowsOf(old ?? {}) : {} };
      }
    }
    return dependency(new DependencyError('the key item kept changing under its use-write'));
  }

  /**
   * The signed hot path's one write: a transaction that records the nonce and the signature (each
   * accepted once per key) and counts the call and the rate-limit window on the key item, only if the
   * key is still usable. All or nothing: a replay or a refused use writes nothing (the caller then
   * records the nonce and the signature alone with `recordReplay`).
   */
  async recordSignedUse(input: RecordSignedUseInput): Promise<RecordSignedUseResult> {
    const cost = input.cost ?? 1;
    for (let attempt = 0; attempt < SPEND_ATTEMPTS; attempt++) {
      const withCredits = this.creditKeys.has(input.keyId);
      const credits = spendTerms(withCredits, cost, input.nowMs);
      const usage = this.usageUpdate(input.keyId, input.window, input.nowMs, input.sourceIp, credits.set);
      const outcome = await transact<string>(this.client, {
        ...this.replayPuts(input),
        key: {
          Update: {
            TableName: this.tableName,
            Key: keyItemKey(input.keyId),
            ConditionExpression: `attribute_exists(pk) AND ${usage.condition} AND ${credits.condition}`,
            UpdateExpression: usage.update,
            ExpressionAttributeNames: { ...usage.names, ...credits.names },
            ExpressionAttributeValues: { ...usage.values, ...credits.values },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      });
      if (outcome.written) {
        // A transaction returns no item: the balance after is read only when a crossing may have happened.
        if (withCredits) await this.crossingsAfterSignedUse(input.keyId, cost, input.nowMs);
        return { outcome: 'recorded' };
      }
      if (outcome.conditionFailed.nonce || outcome.conditionFailed.signature) return { outcome: 'replayed' };
      const old = outcome.oldItems.key;
      const record = oldRecordOf(old);
      const usable =
        record !== null && usableFrom(record, old ?? {}, input.window, input.nowMs, input.sourceIp);
      const next = await this.afterRefusal(input.keyId, old, withCredits, cost, input.nowMs, usable);
      if (next === 'refused') return { outcome: 'refused', record };
    }
    return dependency(new DependencyError('the key item kept changing under its use-write'));
  }

  /**
   * The signed path's crossings: the transaction returns no item, so the balance the spend left is
   * known only from the read before it. The thresholds are checked against that read, and the item is
   * read again only when this spend may have crossed one.
   */
  private async crossingsAfterSignedUse(keyId: string, cost: number, nowMs: number): Promise<void> {
    const out = await this.client
      .send(new GetItemCommand({ TableName: this.tableName, Key: keyItemKey(keyId), ConsistentRead: true }))
      .catch(() => null);
    if (out?.Item) await this.recordCrossings(out.Item, cost, nowMs);
  }

  /**
   * The nonce and the signature of a verified but refused signed request, alone: one transaction of
   * the two conditional puts. `replayed` when either was already recorded (a copy got there first).
   */
  async recordReplay(input: RecordReplayInput): Promise<'recorded' | 'replayed'> {
    const outcome = await transact(this.client, this.replayPuts(input));
    return outcome.written ? 'recorded' : 'replayed';
  }

  /**
   * One refused request of a key whose credential matched (`#core/outcomes`): `ADD` 1 to the key item's
   * counter of the outcome and the day, and for `forbidden` take back the call its verifying write counted
   * (`calls` and the day's counter). One write, 1 WRU while the item stays under 1 KB; on the condition that
   * the key item exists (an update never creates one), so a key deleted meanwhile counts nothing.
   */
  async recordRefusal(input: RecordRefusalInput): Promise<void> {
    const day = utcDay(input.nowMs);
    const names: Record<string, string> = { '#o': refusalDayAttribute(input.outcome, day) };
    const values: Item = { ':one': n(1) };
    let update = 'ADD #o :one';
    if (input.outcome === 'forbidden') {
      names['#day'] = usageDayAttribute(day);
      values[':back'] = n(-1);
      update += ', calls :back, #day :back';
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyItemKey(input.keyId),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: update,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      return dependency(error);
    }
  }

  /**
   * The replay records of a signed request, each written only if it does not exist yet: the nonce, and
   * the signature's hash when there is one (ARMOR-PSK; an RFC 9421 request records its nonce alone).
   */
  private replayPuts(input: RecordReplayInput): Record<string, TransactWriteItem> {
    const put = (pk: string) => ({
      Put: {
        TableName: this.tableName,
        Item: replayItem(pk, input.replayTtl),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const nonce = put(noncePk(input.keyId, input.nonce));
    if (input.signatureHash === undefined) return { nonce };
    return { nonce, signature: put(signaturePk(input.keyId, input.signatureHash)) };
  }

  /** The key item, read consistently, with its rate-limit counters; null when there is none. */
  async readKey(keyId: string): Promise<KeySnapshot | null> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: keyItemKey(keyId), ConsistentRead: true }),
      );
      if (!out.Item) return null;
      this.noteStaleWindows(keyId, out.Item, rateWindowOf(this.now()));
      return { record: itemToRecord(out.Item), windows: windowsOf(out.Item) };
    } catch (error) {
      return dependency(error);
    }
  }

  /**
   * The hot-key path's one write per key per interval: adds the calls counted in memory (in all, per UTC
   * day, and the unleased ones per rate-limit window) and the refusals (per outcome and day), and leases calls of a window or gives them back,
   * with no check but that the key item exists (an update never creates one) and, for a lease, that the
   * key's limit is the one the lease was sized against and the window's counter, with what this write
   * adds to it, stays within it. A lease refused writes nothing (the item as it was comes back, so the
   * caller can size the next one). Drops the stale windows this instance has seen, and returns the item
   * after the write.
   */
  async addUsage(keyId: string, usage: PendingUsage | null, lease: WindowLease | null): Promise<UsageWrite> {
    const names: Record<string, string> = {};
    const values: Item = { ':calls': n(usage?.calls ?? 0) };
    const adds = ['calls :calls'];
    const windows: Record<number, number> = { ...usage?.windows };
    if (lease !== null) windows[lease.window] = (windows[lease.window] ?? 0) + lease.calls;
    let condition = 'attribute_exists(pk)';
    Object.entries(windows).forEach(([key, count], i) => {
      const window = Number(key);
      names[`#w${i}`] = rateWindowAttribute(window);
      values[`:w${i}`] = n(count);
      adds.push(`#w${i} :w${i}`);
      if (lease !== null && lease.calls > 0 && window === lease.window) {
        // DynamoDB conditions have no arithmetic: the highest counter that still leaves room is a value.
        condition += ` AND rate_limit_per_minute = :limit AND (attribute_not_exists(#w${i}) OR #w${i} <= :room)`;
        values[':limit'] = n(lease.limit);
        values[':room'] = n(lease.limit - count);
      }
    });
    Object.entries(usage?.days ?? {}).forEach(([day, count], i) => {
      names[`#d${i}`] = usageDayAttribute(day);
      values[`:d${i}`] = n(count);
      adds.push(`#d${i} :d${i}`);
    });
    let r = 0;
    for (const [day, counts] of Object.entries(usage?.refused ?? {})) {
      for (const [outcome, count] of Object.entries(counts) as [RefusalOutcome, number][]) {
        names[`#r${r}`] = refusalDayAttribute(outcome, day);
        values[`:r${r}`] = n(count);
        adds.push(`#r${r} :r${r}`);
        r++;
      }
    }
    const keep = new Set(Object.values(names));
    const remove = (this.staleWindows.get(keyId) ?? [])
      .filter((name) => !keep.has(name))
      .slice(0, STALE_WINDOWS_PER_WRITE);
    remove.forEach((name, i) => {
      names[`#old${i}`] = name;
    });
    let update = `ADD ${adds.join(', ')}`;
    if (usage !== null && usage.lastUsedMs > 0) {
      update += ' SET last_used_at = :iso';
      values[':iso'] = s(new Date(usage.lastUsedMs).toISOString());
    }
    if (remove.length > 0) update += ` REMOVE ${remove.map((_, i) => `#old${i}`).join(', ')}`;
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyItemKey(keyId),
          ConditionExpression: condition,
          UpdateExpression: update,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = out.Attributes ?? {};
      this.noteStaleWindows(keyId, item, rateWindowOf(this.now()));
      return { snapshot: { record: itemToRecord(item), windows: windowsOf(item) }, written: true };
    } catch (error) {
      if (isConditionFailure(error)) {
        const record = oldRecordOf(error.Item);
        return { snapshot: record ? { record, windows: windowsOf(error.Item ?? {}) } : null, written: false };
      }
      return dependency(error);
    }
  }

  /**
   * Usage and rate-limit accounting on a key item: the current minute's counter (named after the
   * window, so a new window needs no reset), `calls`, `last_used_at` and the UTC day's counter
   * `u_<YYYYMMDD>` (rolled into usage history later by the management function); the previous window's counter
   * and any stale ones this instance has seen are removed in the same write.
   */
  private usageUpdate(
    keyId: string,
    window: number,
    nowMs: number,
    sourceIp: string | undefined,
    /** A SET clause to add (the credits spend), or ''. */
    alsoSet = '',
  ) {
    const current = rateWindowAttribute(window);
    const network = networkCondition(sourceIp);
    const remove = [...new Set([rateWindowAttribute(window - 1), ...(this.staleWindows.get(keyId) ?? [])])]
      .filter((name) => name !== current)
      .slice(0, STALE_WINDOWS_PER_WRITE);
    const names: Record<string, string> = {
      '#cur': current,
      '#day': usageDayAttribute(utcDay(nowMs)),
      '#ac': 'allowed_cidrs',
    };
    remove.forEach((name, i) => {
      names[`#old${i}`] = name;
    });
    return {
      names,
      condition:
        'attribute_not_exists(revoked_at) AND attribute_not_exists(disabled_at) AND ' +
        '(attribute_not_exists(expires_at_ms) OR expires_at_ms > :now) AND ' +
        '(attribute_not_exists(#cur) OR #cur < rate_limit_per_minute) AND ' +
        network.condition,
      update:
        'SET #cur = if_not_exists(#cur, :zero) + :one, calls = calls + :one, last_used_at = :iso, ' +
        '#day = if_not_exists(#day, :zero) + :one' +
        (alsoSet === '' ? ' ' : `, ${alsoSet} `) +
        `REMOVE ${remove.map((_, i) => `#old${i}`).join(', ')}`,
      values: {
        ':now': n(nowMs),
        ':zero': n(0),
        ':one': n(1),
        ':iso': s(new Date(nowMs).toISOString()),
        ...network.values,
      } as Item,
    };
  }

  /** Remembers the item's rate-limit counters older than `window`'s previous one, to remove them next time. */
  private noteStaleWindows(keyId: string, item: Item, window: number): void {
    const stale = Object.keys(item).filter((name) => {
      const w = windowOfAttribute(name);
      return w !== null && w !== window && w !== window - 1;
    });
    if (stale.length === 0) {
      this.staleWindows.delete(keyId);
      return;
    }
    if (this.staleWindows.size >= STALE_KEYS_TRACKED) this.staleWindows.clear();
    this.staleWindows.set(keyId, stale);
  }
}

/**
 * Whether everything but the credits let a use through on the item as it was: the key is active, used
 * from inside its allowlist, and the window has room. Only then is a due refill worth applying.
 */
function usableFrom(
  record: KeyRecord,
  item: Item,
  window: number,
  nowMs: number,
  sourceIp: string | undefined,
): boolean {
  return (
    keyStatus(record, nowMs) === 'active' &&
    addressAllowed(record.allowed_cidrs, sourceIp) &&
    (windowsOf(item)[window] ?? 0) < record.rate_limit_per_minute
  );
}

/** A key item's rate-limit counters: window (minutes since the epoch) → calls. */
function windowsOf(item: Item): Record<number, number> {
  const windows: Record<number, number> = {};
  for (const [name, value] of Object.entries(item)) {
    const window = windowOfAttribute(name);
    if (window !== null && value.N !== undefined) windows[window] = Number(value.N);
  }
  return windows;
}

/**
 * The key's network allowlist, checked inside the write: the item has no `allowed_cidrs` (anywhere), or
 * its string set holds one of the networks that contain the source address (`#core/cidr`: 33 for IPv4,
 * 129 for IPv6, in the canonical text the list is stored in). An IPv6 source makes 129 `contains` terms
 * (about 2.9 KB and 259 operators; the whole condition about 3.2 KB and 270), within DynamoDB's 4 KB
 * expression length and 300 operators per expression
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html, "Expression parameters");
 * DynamoDB Local accepts it in the tests.
 */
function networkCondition(sourceIp: string | undefined): { condition: string; values: Item } {
  const networks = sourceIp === undefined ? [] : containingNetworks(sourceIp);
  const values: Item = {};
  const terms = networks.map((network, i) => {
    values[`:n${i}`] = s(network);
    return `contains(#ac,:n${i})`;
  });
  return { condition: `(${['attribute_not_exists(#ac)', ...terms].join(' OR ')})`, values };
}
