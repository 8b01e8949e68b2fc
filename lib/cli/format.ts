/**
 * The CLI's human output: aligned label/value blocks (`fields`), padded tables (`table`), timestamps
 * without milliseconds (`date`), and the views of a key, an organization and a key list built from
 * them. User-supplied text always goes through `clean`, so control characters never reach the terminal
 * raw. `--json` output is `toJson` of the API's response body, unchanged.
 */
import type { ApiCredits, ApiKey, Org } from '../sdk';

/** A label/value row of `fields`. */
export type Field = [label: string, value: string];

/** Columns padded with spaces; no trailing whitespace. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Two aligned columns without a header row (help's command and option lists). */
export function columns(rows: string[][]): string {
  return table(['', ''], rows).split('\n').slice(1).join('\n');
}

/** Labels padded to one width, then their values. */
export function fields(rows: Field[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

/** An ISO timestamp as `2030-01-01 00:00:00Z`, the one time format of every command; null as `-`. */
export function date(iso: string | null): string {
  if (iso === null) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Milliseconds since the epoch, as `date` prints them. */
export function dateOfMs(ms: number): string {
  return date(new Date(ms).toISOString());
}

/** Control characters (newlines, escape sequences) in user-supplied text never reach the terminal raw. */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Everything the API says about a key, never its secret. */
export function keyFields(key: ApiKey): Field[] {
  return [
    ['id', key.id],
    ['name', clean(key.name)],
    ['description', key.description === null ? '-' : clean(key.description)],
    ['org', clean(key.org_id)],
    ['key prefix', key.key_prefix],
    ['status', key.status],
    ['rotated to', key.rotated_to ?? '-'],
    ['rotated from', key.rotated_from ?? '-'],
    ['roles', key.roles.join(', ') || '-'],
    ['permissions', key.permissions.join(', ') || '-'],
    ['rate limit', `${key.rate_limit_per_minute}/min`],
    ['created', `${date(key.created_at)} by ${clean(key.created_by)}`],
    ['expires', key.expires_at === null ? 'never' : date(key.expires_at)],
    ['revoked', date(key.revoked_at)],
    ['last used', date(key.last_used_at)],
    ['calls', String(key.calls)],
    ['metadata', metadataText(key.metadata)],
    ['allowed from', key.allowed_cidrs.length === 0 ? 'anywhere' : key.allowed_cidrs.join(', ')],
    ['credits', creditsText(key.credits)],
    ['signature', key.signature_algorithm],
    ...(key.public_key === null ? [] : ([['public key', key.public_key]] as Field[])),
  ];
}

/** `480 (refills 1000/month on day 1, replace; next 2026-05-01 00:00 UTC; low below 50)`, or `unlimited`. */
export function creditsText(credits: ApiCredits | null): string {
  if (credits === null) return 'unlimited';
  const notes: string[] = [];
  const r = credits.refill;
  if (r !== null) {
    const when = r.every === 'day' ? 'day' : `month on day ${r.day ?? 1}`;
    notes.push(`refills ${r.amount}/${when}, ${r.mode}${r.max === undefined ? '' : ` up to ${r.max}`}`);
    if (credits.next_refill_at !== null) notes.push(`next ${date(credits.next_refill_at)}`);
  }
  if (credits.low_threshold !== null) notes.push(`low below ${credits.low_threshold}`);
  return notes.length === 0 ? String(credits.remaining) : `${credits.remaining} (${notes.join('; ')})`;
}

/** `customer=acme, tier=gold`, sorted by key (a stored map keeps no order), or `-` for none. */
export function metadataText(metadata: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(metadata)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? '-' : clean(pairs.join(', '));
}

export function orgFields(org: Org): Field[] {
  return [
    ['org', clean(org.org_id)],
    ...(org.plan === null ? [] : ([['plan', clean(org.plan)]] as Field[])),
    ['max keys', org.max_keys === null ? 'unlimited' : String(org.max_keys)],
    ['active keys', String(org.active_keys)],
  ];
}

/** A key's status, and its successor once it was rotated: `rotating -> <id>`. */
function statusCell(key: ApiKey): string {
  return key.rotated_to === null ? key.status : `${key.status} -> ${key.rotated_to}`;
}

/** One row per organization, or `No organizations.`. */
export function orgTable(orgs: Org[]): string {
  if (orgs.length === 0) return 'No organizations.';
  return table(
    ['ORG', 'PLAN', 'MAX KEYS', 'ACTIVE KEYS'],
    orgs.map((o) => [
      clean(o.org_id),
      o.plan === null ? '-' : clean(o.plan),
      o.max_keys === null ? 'unlimited' : String(o.max_keys),
      String(o.active_keys),
    ]),
  );
}

/** One row per key, or `No keys.`. */
export function keyTable(keys: ApiKey[]): string {
  if (keys.length === 0) return 'No keys.';
  return table(
    ['ID', 'NAME', 'ORG', 'STATUS', 'ROLES', 'RATE/MIN', 'CALLS', 'LAST USED', 'CREATED'],
    keys.map((k) => [
      k.id,
      clean(k.name),
      clean(k.org_id),
      statusCell(k),
      k.roles.join(',') || '-',
      String(k.rate_limit_per_minute),
      String(k.calls),
      date(k.last_used_at),
      date(k.created_at),
    ]),
  );
}

/** `1-100`: a range as the help writes it. */
export function span(range: { readonly min: number; readonly max: number }): string {
  return `${range.min}-${range.max}`;
}
