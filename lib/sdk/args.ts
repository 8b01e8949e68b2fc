/**
 * Argument checks and query strings shared by the SDK client's methods: a path parameter must be a
 * non-empty string (routePath encodes it), an option a safe integer in range, and a query object
 * becomes a query string with undefined and null values left out.
 */

export function positiveInteger(
  value: number | undefined,
  fallback: number,
  name: string,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new TypeError(`${name} must be an integer >= ${min}`);
  return value;
}

/** A path parameter: a non-empty string (routePath encodes it). */
export function nonEmpty(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

/** `path?name=value&…` for the defined values of `params` (none: `path` alone). */
export function withQuery(path: string, params: Readonly<Record<string, unknown>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) query.set(name, String(value));
  }
  const qs = query.toString();
  return qs === '' ? path : `${path}?${qs}`;
}
