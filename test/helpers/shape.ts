/**
 * Comparing an event the local gateway builds with one API Gateway really sent: shapes, not values.
 */

/**
 * Where two JSON values differ in shape: a field one has and the other lacks, or a field whose JSON
 * type (null, string, number, boolean, array, object) differs. Values are not compared.
 */
export function shapeDifferences(captured: unknown, produced: unknown, path = ''): string[] {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(captured) !== kind(produced)) return [`${path}: ${kind(captured)} → ${kind(produced)}`];
  if (kind(captured) !== 'object') return [];
  const a = captured as Record<string, unknown>;
  const b = JSON.parse(JSON.stringify(produced)) as Record<string, unknown>;
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const at = path === '' ? key : `${path}.${key}`;
    if (!(key in b)) out.push(`${at}: missing`);
    else if (!(key in a)) out.push(`${at}: extra`);
    else out.push(...shapeDifferences(a[key], b[key], at));
  }
  return out;
}
