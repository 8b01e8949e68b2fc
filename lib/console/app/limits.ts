/**
 * The API's field limits the console's inputs repeat (as `min`/`max`). Their home is the core's settings
 * table; importing it would bundle the whole table (about 2.7 KB), so each limit is written here with its
 * home's type: the literal type of an `as const` object, so the compiler refuses any value that differs.
 */
import type { RATE_LIMIT_PER_MINUTE as RATE_LIMIT_HOME } from '#core/settings';

export const RATE_LIMIT_PER_MINUTE: typeof RATE_LIMIT_HOME = { min: 1, max: 100_000 };
