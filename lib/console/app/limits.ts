/** The API's field limits the console's inputs repeat (as `min`/`max`), from their home in the core. */
export { RATE_LIMIT_PER_MINUTE } from '#core/limits';
