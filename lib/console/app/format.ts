/**
 * Display formats: times in UTC as `2026-06-03 14:00 UTC` inside `<time datetime>`, relative times for
 * recent events, grouped numbers, and "—" for what never happened.
 */
import type { ApiKey, KeyStatus } from '#core/wire';
import { type Child, h } from './dom';

export const NEVER = '—';

export function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function relative(iso: string, nowMs = Date.now()): string {
  const diff = new Date(iso).getTime() - nowMs;
  const abs = Math.abs(diff);
  const units: [number, Intl.RelativeTimeFormatUnit][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  const fmt = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [ms, unit] of units) {
    if (abs >= ms) return fmt.format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

/** A `<time>` element with an absolute UTC text (or relative, for recent events) and the exact title. */
export function timeEl(
  iso: string | null | undefined,
  style: 'absolute' | 'relative' | 'date' = 'absolute',
): Child {
  if (!iso) return NEVER;
  const text = style === 'relative' ? relative(iso) : style === 'date' ? utc(iso).slice(0, 10) : utc(iso);
  return h('time', { datetime: iso, title: utc(iso) }, text);
}

export function num(n: number | null | undefined): string {
  return typeof n === 'number' ? n.toLocaleString('en-US') : NEVER;
}

/** A key as the console shows it: the API's key (its status includes `rotating` and `rotated`). */
export type ShownStatus = KeyStatus;
export type ShownKey = ApiKey;

/** Every key status and its label, in the order the status filter lists them. */
export const STATUS_LABEL: Record<ShownStatus, string> = {
  active: 'Active',
  disabled: 'Disabled',
  rotating: 'Rotating',
  rotated: 'Rotated',
  revoked: 'Revoked',
  expired: 'Expired',
};
