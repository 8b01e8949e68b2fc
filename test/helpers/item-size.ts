/**
 * The size of a DynamoDB item as DynamoDB bills it
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * attribute names plus values. A write of an item up to 1 KB costs one write request unit. Used by the
 * benchmark and by the integration test that keeps the key item under 1 KB.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((sum, x) => sum + 1 + valueSize(x), 0);
  if (v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((sum, [k, x]) => sum + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  if (v.SS !== undefined) return v.SS.reduce((sum, x) => sum + Buffer.byteLength(x), 0);
  if (v.NS !== undefined) return v.NS.reduce((sum, x) => sum + Math.ceil(x.length / 2) + 1, 0);
  return 0;
}

/** Approximate stored size in bytes of a DynamoDB item (attribute names plus values). */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);
}
