/**
 * The key listing's cursor: the last key's primary and GSI1 keys as base64url JSON, and its strict
 * decoding (a cursor that is not one this listing returned, or belongs to another organization's
 * listing, is a 400 naming `cursor`). Used by `DynamoKeyRepository.listKeys`.
 */
import { ValidationError } from '../core/errors';
import type { KeyRecord } from '../core/model';
import { keyListingSk, keyPk, orgPk, SORT_KEYS, TABLE_SCHEMA } from '../core/table';
import { type Item, s } from './dynamo-codec';

const CURSOR_FIELDS = [
  TABLE_SCHEMA.partitionKey,
  TABLE_SCHEMA.sortKey,
  TABLE_SCHEMA.gsi1.partitionKey,
  TABLE_SCHEMA.gsi1.sortKey,
] as const;

/** A listing cursor: the last key's primary and GSI1 keys, as base64url JSON. */
export function encodeCursor(record: KeyRecord): string {
  const key = {
    [TABLE_SCHEMA.partitionKey]: keyPk(record.id),
    [TABLE_SCHEMA.sortKey]: SORT_KEYS.key,
    [TABLE_SCHEMA.gsi1.partitionKey]: orgPk(record.org_id),
    [TABLE_SCHEMA.gsi1.sortKey]: keyListingSk(record.created_at, record.id),
  };
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, listingPk: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  const k = key as Record<string, unknown> | null;
  if (
    !k ||
    typeof k !== 'object' ||
    !CURSOR_FIELDS.every((f) => typeof k[f] === 'string') ||
    k[TABLE_SCHEMA.gsi1.partitionKey] !== listingPk
  ) {
    throw new ValidationError('cursor', 'cursor: is not a cursor returned by this listing');
  }
  return Object.fromEntries(CURSOR_FIELDS.map((f) => [f, s(k[f] as string)]));
}
