import { BatchWriteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordToItem } from '#lambda/dynamo/codec';
import { DynamoKeyRepository, LIST_READ_BUDGET } from '#lambda/dynamo/keys';
import { freshTable } from '../helpers/ddb';
import { keyRecord } from '../helpers/records';

/**
 * A filtered listing reads at most LIST_READ_BUDGET items per request, however long the organization's
 * history: on 2,000 retained revoked keys, `status=expired&limit=1` returns the cursor it reached (with
 * fewer keys than `limit`) instead of reading the whole history, and paging on still finds every match.
 */
const ORG = 'history';
const RETAINED = 2_000;
let repo: DynamoKeyRepository;
let scanned: number[] = [];
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
let expiredIds: string[] = [];

const id = (i: number) => `H${String(i).padStart(15, '0')}`;

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  // Oldest first: two expired keys at the very start of the history, then 2,000 revoked ones.
  const records = [];
  for (let i = 0; i < RETAINED + 2; i++) {
    const expired = i < 2;
    records.push(
      keyRecord({
        id: id(i),
        org_id: ORG,
        created_at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString(),
        expires_at_ms: expired ? NOW - 1000 : null,
        revoked_at: expired ? null : '2026-05-01T00:00:00.000Z',
        released: true,
      }),
    );
  }
  expiredIds = [id(1), id(0)];
  for (let i = 0; i < records.length; i += 25) {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [tableName]: records.slice(i, i + 25).map((r) => ({ PutRequest: { Item: recordToItem(r) } })),
        },
      }),
    );
  }
  const send = client.send.bind(client);
  const counting = Object.create(client) as typeof client;
  counting.send = (async (command: unknown) => {
    const out = await send(command as never);
    if (command instanceof QueryCommand)
      scanned.push((scanned.pop() ?? 0) + ((out as { ScannedCount?: number }).ScannedCount ?? 0));
    return out;
  }) as typeof client.send;
  repo = new DynamoKeyRepository({
    client: counting,
    tableName,
    defaultMaxKeys: 10,
    retentionSeconds: 86_400,
    auditRetentionSeconds: 90 * 86_400,
  });
}, 120_000);

describe('listing with a filter', () => {
  it('reads at most the budget per request and pages on to every match', async () => {
    scanned = [];
    const found: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      scanned.push(0);
      const page = await repo.listKeys({
        orgId: ORG,
        status: 'expired',
        name: null,
        limit: 1,
        cursor,
        nowMs: NOW,
      });
      expect(page.records.length).toBeLessThanOrEqual(1);
      found.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThan(100);
    } while (cursor !== null);
    expect(found).toEqual(expiredIds);
    expect(Math.max(...scanned)).toBeLessThanOrEqual(LIST_READ_BUDGET);
    // The first pages find nothing within their budget and hand back the cursor they reached.
    expect(pages).toBeGreaterThanOrEqual(Math.floor(RETAINED / LIST_READ_BUDGET));
  });

  it('a name filter keeps to the same budget and pages on to its matches', async () => {
    const pageThrough = async (name: string, status: 'expired' | null) => {
      scanned = [];
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        scanned.push(0);
        const page = await repo.listKeys({ orgId: ORG, status, name, limit: 1, cursor, nowMs: NOW });
        expect(page.records.length).toBeLessThanOrEqual(1);
        found.push(...page.records.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null && scanned.length < 100);
      expect(cursor).toBeNull();
      expect(Math.max(...scanned)).toBeLessThanOrEqual(LIST_READ_BUDGET);
      return found;
    };
    // Every record here is named "ci" (keyRecord's default).
    expect(await pageThrough('x', null)).toEqual([]);
    expect(await pageThrough('c', 'expired')).toEqual(expiredIds);
    expect(await pageThrough('C', 'expired')).toEqual([]);
  });

  it('an unfiltered page reads only what it returns (plus one)', async () => {
    scanned = [0];
    const page = await repo.listKeys({
      orgId: ORG,
      status: null,
      name: null,
      limit: 3,
      cursor: null,
      nowMs: NOW,
    });
    expect(page.records).toHaveLength(3);
    expect(page.nextCursor).not.toBeNull();
    expect(scanned[0]).toBeLessThanOrEqual(4);
  });
});
