/**
 * The size of a DynamoDB item as DynamoDB bills it (AWS "Item sizes and formats"): each attribute's
 * name in UTF-8 bytes plus its value — strings in UTF-8 bytes, numbers 1 byte per two significant
 * digits plus 1, booleans and nulls 1 byte, lists and maps 3 bytes plus 1 byte per element plus the
 * elements. A write of an item up to 1 KB costs one write request unit.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberSize(v.N);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((sum, e) => sum + 1 + valueSize(e), 0);
  if (v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((sum, [k, e]) => sum + 1 + Buffer.byteLength(k) + valueSize(e), 0);
  if (v.SS !== undefined) return v.SS.reduce((sum, e) => sum + Buffer.byteLength(e, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((sum, e) => sum + numberSize(e), 0);
  throw new Error('unsupported attribute type');
}

/** Bytes of an item as DynamoDB counts them. */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, v]) => sum + Buffer.byteLength(name, 'utf8') + valueSize(v),
    0,
  );
}
