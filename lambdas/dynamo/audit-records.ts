/**
 * Audit items read back as the lifecycle-event mapper's input (`AuditRecord`): from a DynamoDB stream
 * record's new image (the events function) or from a table read (local mode's poller). Unlike the audit
 * listing's codec, the type is kept as stored, so that a type this version does not know is published
 * under its own name. Anything that is not a complete audit item reads as null. No I/O.
 */

import type { AuditRecord } from '#core/events';
import type { AuditChange } from '#core/model';
import { ITEM_PREFIXES, TABLE_SCHEMA } from '#core/table';
import { type Item, num, str } from './codec';

/** The audit record an item holds, or null for any other item (or a damaged one). */
export function auditRecordOfItem(item: Item): AuditRecord | null {
  const pk = str(item, TABLE_SCHEMA.partitionKey);
  const id = str(item, 'id');
  const type = str(item, 'type');
  const orgId = str(item, 'org_id');
  const at = str(item, 'at');
  if (pk === null || !pk.startsWith(ITEM_PREFIXES.audit) || !id || !type || !orgId || !at) return null;
  let changes: Record<string, AuditChange> = {};
  try {
    const parsed: unknown = JSON.parse(str(item, 'changes') ?? '{}');
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      changes = parsed as Record<string, AuditChange>;
  } catch {
    changes = {};
  }
  return {
    id,
    type,
    org_id: orgId,
    key_id: str(item, 'key_id'),
    actor: str(item, 'actor') ?? '',
    request_id: str(item, 'request_id') ?? '',
    at,
    version: num(item, 'version'),
    changes,
  };
}
