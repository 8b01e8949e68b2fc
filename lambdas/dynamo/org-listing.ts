/**
 * Organizations in org-id order for `GET /v1/orgs`. Every organization item carries GSI1 keys
 * (`ORG_LISTING_PK`, its org id), set by each write of the item (`orgListingSet`), so a page is one
 * bounded Query on GSI1: at most `limit + 1` items, wherever the table stands. The cursor is the last
 * org id of the page, checked against `ORG_ID_RE`, from which the start key is rebuilt.
 */
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { OrgRecord } from '#core/model';
import type { PlanTable } from '#core/plans';
import type { ListOrgsQuery } from '#core/repository';
import { ORG_ATTRIBUTES, ORG_LISTING_PK, orgPk, SORT_KEYS, TABLE_SCHEMA } from '#core/table';
import { ORG_ID_RE } from '#core/validation';
import { type Item, itemToOrg, s, str } from './codec';
import { cursorCodec } from './cursor';
import { dependency } from './transact';

const { gsi1 } = TABLE_SCHEMA;

/**
 * The part of an UpdateExpression's SET clause that puts an organization item in the listing, with
 * its names and values: every write of an organization item includes it, so items written before the
 * listing existed join it at their next write.
 */
export function orgListingSet(orgId: string): { set: string; names: Record<string, string>; values: Item } {
  return {
    set: '#orgListPk = :orgListPk, #orgListSk = :orgListSk',
    names: { '#orgListPk': gsi1.partitionKey, '#orgListSk': gsi1.sortKey },
    values: { ':orgListPk': s(ORG_LISTING_PK), ':orgListSk': s(orgId) },
  };
}

const ORG_CURSOR = cursorCodec({ org_id: ORG_ID_RE });

export interface OrgListingOptions {
  client: DynamoDBClient;
  tableName: string;
  defaultMaxKeys: number;
  plans: PlanTable;
}

export async function listOrgRecords(
  options: OrgListingOptions,
  query: ListOrgsQuery,
): Promise<{ orgs: OrgRecord[]; nextCursor: string | null }> {
  const after = query.cursor === null ? null : ORG_CURSOR.decode(query.cursor).org_id;
  try {
    const out = await options.client.send(
      new QueryCommand({
        TableName: options.tableName,
        IndexName: gsi1.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': gsi1.partitionKey },
        ExpressionAttributeValues: { ':pk': s(ORG_LISTING_PK) },
        // One more than the page: whether a next page exists without a second read.
        Limit: query.limit + 1,
        ExclusiveStartKey:
          after === null
            ? undefined
            : {
                [TABLE_SCHEMA.partitionKey]: s(orgPk(after)),
                [TABLE_SCHEMA.sortKey]: s(SORT_KEYS.org),
                [gsi1.partitionKey]: s(ORG_LISTING_PK),
                [gsi1.sortKey]: s(after),
              },
      }),
    );
    const items = out.Items ?? [];
    const orgs = items.slice(0, query.limit).map((item) => {
      const orgId = str(item, ORG_ATTRIBUTES.orgId) ?? str(item, gsi1.sortKey) ?? '';
      return itemToOrg(orgId, item, options.defaultMaxKeys, options.plans);
    });
    const last = orgs.at(-1);
    return {
      orgs,
      nextCursor: items.length > query.limit && last ? ORG_CURSOR.encode({ org_id: last.org_id }) : null,
    };
  } catch (error) {
    return dependency(error);
  }
}
