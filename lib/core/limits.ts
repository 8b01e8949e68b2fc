/**
 * The API's numeric field limits: ranges a request field and its deployment default share. A leaf
 * module with no imports, so the browser console can use them without bundling the settings table.
 */

/** `rate_limit_per_minute` of a key: the same range for a key's own value and for the default. */
export const RATE_LIMIT_PER_MINUTE = { min: 1, max: 100_000 } as const;
/** `max_keys` of an organization: the same range for the per-organization limit and the default. */
export const MAX_KEYS = { min: 0, max: 1_000_000 } as const;
