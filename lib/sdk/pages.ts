/**
 * Cursor pagination for the SDK's `iterate…` methods: fetches page after page until `next_cursor` is
 * null, yielding each item, and stops with a LatchkeyError rather than loop when a server hands back a
 * cursor it already gave.
 */
import { LatchkeyError } from './errors';

export async function* eachItem<T>(
  first: string | null,
  fetchPage: (cursor: string | null) => Promise<{ items: T[]; next_cursor: string | null }>,
  path: string,
): AsyncGenerator<T, void, undefined> {
  let cursor = first;
  const seen = new Set<string>();
  do {
    const page = await fetchPage(cursor);
    for (const item of page.items) yield item;
    if (page.next_cursor !== null && seen.has(page.next_cursor)) {
      throw new LatchkeyError({
        kind: 'http',
        status: 200,
        code: 'invalid_response',
        message: 'The server returned the same cursor twice; stopping instead of looping.',
        method: 'GET',
        path,
      });
    }
    if (page.next_cursor !== null) seen.add(page.next_cursor);
    cursor = page.next_cursor;
  } while (cursor !== null);
}
