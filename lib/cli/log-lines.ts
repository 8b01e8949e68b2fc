/**
 * The authorizer's log lines as `latchkey logs tail` reads them, wherever they come from (local mode's
 * log file or CloudWatch Logs): parsing one Powertools JSON line into a `LogEntry`, the filter (refusals
 * only unless `--all`; one key id; one request id; not before a time), the one-line view for people
 * (time, level, message, reason, key id, request id, and the reason's explanation from the refusal
 * reasons table) and `--since` durations. Pure: no I/O.
 */
import { refusalExplanation } from '../core/refusals';
import { usage } from './errors';
import { clean, dateOfMs } from './format';

/** One handler log line: the fields read here, and the line itself (printed as is with --json). */
export interface LogEntry {
  raw: string;
  level: string;
  message: string;
  /** Milliseconds since the epoch; NaN when the line has no readable timestamp. */
  time: number;
  reason: string | null;
  keyId: string | null;
  requestId: string | null;
  /** What failed, on `authorizer dependency failure` lines. */
  error: string | null;
}

export interface LogFilter {
  keyId?: string;
  requestId?: string;
  /** Every line, not only refusals. */
  all: boolean;
  /** Lines before this time (ms) are skipped; lines without a timestamp are kept. */
  notBefore?: number;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** A Powertools JSON line as an entry; null for anything else. `fallbackTime` when it has no timestamp. */
export function parseLogLine(raw: string, fallbackTime = Number.NaN): LogEntry | null {
  const line = raw.trim();
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  const level = text(fields.level);
  if (level === null) return null;
  const stamp = text(fields.timestamp);
  const parsed = stamp === null ? Number.NaN : Date.parse(stamp);
  return {
    raw: line,
    level: level.toUpperCase(),
    message: text(fields.message) ?? '',
    time: Number.isNaN(parsed) ? fallbackTime : parsed,
    reason: text(fields.reason),
    keyId: text(fields.key_id),
    requestId: text(fields.request_id),
    error: text(fields.error),
  };
}

/** A refusal: a line naming a reason, or a warning or error (the authorizer logs refusals at those levels). */
export function isRefusal(entry: LogEntry): boolean {
  return entry.reason !== null || entry.level === 'WARN' || entry.level === 'ERROR';
}

export function matchesFilter(entry: LogEntry, filter: LogFilter): boolean {
  if (!filter.all && !isRefusal(entry)) return false;
  if (filter.keyId !== undefined && entry.keyId !== filter.keyId) return false;
  if (filter.requestId !== undefined && entry.requestId !== filter.requestId) return false;
  if (filter.notBefore !== undefined && entry.time < filter.notBefore) return false;
  return true;
}

/**
 * One line for people: `2030-01-01 12:00:00Z  WARN   unauthorized  wrong_secret       key 3hQx9TmP2wLk8ZrA
 * request 5f0c…  — the key exists but this is not its secret (…)`: a known reason's explanation at the
 * end (a reason this version does not know is printed alone), and the error of a dependency failure.
 */
export function formatEntry(entry: LogEntry): string {
  const time = Number.isNaN(entry.time) ? '-'.padEnd(20) : dateOfMs(entry.time);
  const cells = [
    time,
    entry.level.padEnd(5),
    entry.message.padEnd(12),
    (entry.reason ?? '-').padEnd(17),
    `key ${(entry.keyId ?? '-').padEnd(16)}`,
    `request ${entry.requestId ?? '-'}`,
  ];
  const explanation = entry.reason === null ? null : refusalExplanation(entry.reason);
  if (explanation !== null) cells.push(`— ${explanation}`);
  if (entry.error !== null) cells.push(`error: ${entry.error}`);
  return clean(cells.join('  ')).trimEnd();
}

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d` (a bare number is minutes) as milliseconds. */
export function parseSince(value: string): number {
  const match = /^(\d{1,6})([smhd]?)$/.exec(value.trim());
  if (!match)
    throw usage(`--since takes a duration such as 30s, 10m, 2h or 1d, got ${JSON.stringify(clean(value))}`);
  return Number(match[1]) * (UNITS[match[2] || 'm'] ?? 60_000);
}

/**
 * A key id or request id as given on the command line. Key ids are letters and digits (or `admin`),
 * request ids letters, digits and `-_.:`; a value that is not one (a whole token pasted by mistake) is
 * refused without being echoed.
 */
export function checkId(value: string | undefined, option: '--key' | '--request-id'): string | undefined {
  if (value === undefined) return undefined;
  const re = option === '--key' ? /^[A-Za-z0-9]{1,64}$/ : /^[A-Za-z0-9._:-]{1,128}$/;
  if (re.test(value)) return value;
  throw usage(
    option === '--key'
      ? '--key takes a key id, not a token (latchkey token inspect TOKEN prints the id)'
      : '--request-id takes a request id (letters, digits, "-", "_", ".", ":")',
  );
}
