/**
 * Who may set which metadata. A key's metadata reaches integrations in the authorizer context, and a
 * key holding `keys:write` edits the metadata of its organization's keys, so most of it is
 * tenant-controlled. Entries whose key starts with `TRUSTED_METADATA_PREFIX` (`op_`) are the
 * operator's: only the admin key sets, changes or removes them. A key creating a key hands on its own
 * trusted entries exactly (never more, never fewer, never other values); a key editing a key leaves
 * that key's trusted entries as they are; rotation copies them with the rest. So every trusted entry
 * was set by the admin key, on that key or on the key that created it, and integrations may rely on
 * it as they rely on `key_id` and `org_id`. Pure: no I/O.
 */
import { ApiError } from './errors';
import type { KeyRecord } from './model';
import { validateMetadata } from './text-rules';

/** Metadata keys starting with this are set by the admin key only. */
export const TRUSTED_METADATA_PREFIX = 'op_';

export const isTrustedMetadataKey = (key: string): boolean => key.startsWith(TRUSTED_METADATA_PREFIX);

type Metadata = Readonly<Record<string, string>>;

function split(metadata: Metadata): { trusted: Record<string, string>; tenant: Record<string, string> } {
  const trusted: Record<string, string> = {};
  const tenant: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) (isTrustedMetadataKey(k) ? trusted : tenant)[k] = v;
  return { trusted, tenant };
}

/**
 * `requested` with `fixed` as its trusted entries: a requested trusted entry must hold the value
 * `fixed` gives it (403 otherwise), and the whole map must still be within the limits (400).
 */
function withTrusted(fixed: Metadata, requested: Metadata, verb: string): Record<string, string> {
  const { trusted, tenant } = split(requested);
  for (const [k, v] of Object.entries(trusted)) {
    if (fixed[k] !== v) {
      throw new ApiError(
        'forbidden',
        `metadata.${k}: entries starting with ${TRUSTED_METADATA_PREFIX} are set by the admin key; a key cannot ${verb} them.`,
      );
    }
  }
  return validateMetadata({ ...fixed, ...tenant });
}

/**
 * The metadata of a new key. By the admin key (`caller` null): as requested. By a key: the caller's
 * own trusted entries and the requested tenant-controlled ones.
 */
export function metadataOnCreate(caller: KeyRecord | null, requested: Metadata): Record<string, string> {
  if (caller === null) return { ...requested };
  return withTrusted(split(caller.metadata).trusted, requested, 'set or change');
}

/**
 * The metadata of an edited key (a PATCH replaces the map). By the admin key: as requested. By a key:
 * the requested tenant-controlled entries, and the target's trusted entries as they were.
 */
export function metadataOnEdit(
  caller: KeyRecord | null,
  target: KeyRecord,
  requested: Metadata,
): Record<string, string> {
  if (caller === null) return { ...requested };
  return withTrusted(split(target.metadata).trusted, requested, 'set, change or remove');
}
