/**
 * Request headers as the frameworks hold them — a fetch `Headers` (Hono, Lambda Function URLs through a
 * fetch adapter) or a plain object (Node's `headersDistinct`, Lambda events, with any name case and an
 * array for repeated lines) — read one way: the lines of one header, compared case-insensitively.
 */

export type HeaderValue = string | readonly string[] | undefined | null;

/** Where `verify` reads headers from. */
export type HeaderSource = Headers | Readonly<Record<string, HeaderValue>>;

/**
 * Every line of a header. A `Headers` joins repeated lines into one value (as fetch does): one line
 * then, which a repeated `Content-Digest` makes unreadable, so it is refused all the same.
 */
export function headerLines(headers: HeaderSource, name: string): string[] {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    const value = headers.get(name);
    return value === null ? [] : [value];
  }
  const wanted = name.toLowerCase();
  const lines: string[] = [];
  for (const [key, value] of Object.entries(headers as Readonly<Record<string, HeaderValue>>)) {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) continue;
    if (typeof value === 'string') lines.push(value);
    else lines.push(...value);
  }
  return lines;
}

/**
 * The client address a chain of trusted proxies reports in `X-Forwarded-For`: each proxy appends the
 * address it received the request from, so with `trustedHops` proxies in front of you the client is the
 * `trustedHops`-th entry from the right; whatever lies further left was sent by the client and proves
 * nothing. Undefined when the header has fewer entries (a request that bypassed the proxies).
 */
export function forwardedFor(headers: HeaderSource, trustedHops: number): string | undefined {
  const entries = headerLines(headers, 'x-forwarded-for')
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim());
  if (trustedHops < 1 || entries.length < trustedHops) return undefined;
  const entry = entries[entries.length - trustedHops];
  return entry === '' ? undefined : entry;
}
