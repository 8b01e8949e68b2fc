/**
 * Whole-suite log hygiene, and a quiet suite: listed in vitest.config.ts `test.setupFiles`, it runs in
 * every test file's worker and takes over every handler log line (the JSON lines the Powertools logger
 * writes straight to stdout and stderr, which vitest's console capture never sees). Each line is scanned
 * and then held back instead of printed; the file fails if any value in one looks like a credential:
 *
 *  - an API-key token (`<prefix>_<16>_<49>`, the secret scanners' shape) or its 49-character tail;
 *  - an ARMOR-PSK signature (canonical base64 of 64 bytes) or a whole `ARMOR-PSK …` / `Bearer …` value;
 *  - an admin key or master secret (32–128 letters and digits, the admin-key shape), or a SHA-256 hex.
 *
 * A passing test prints none of its handler lines. A failing test prints the last ones it logged, and
 * a hygiene failure prints the offending lines with the credential-shaped values masked. Everything that
 * is not a handler log line passes through untouched. It knows no secret values, only their shapes, so
 * test/reliability/log-hygiene.test.ts (which does) stays the exact check; this one covers every flow
 * of every test file.
 */
import { afterAll, beforeEach } from 'vitest';

const SUSPICIOUS: Array<[string, RegExp]> = [
  ['token', /[a-z0-9]{1,16}_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}/],
  ['token tail', /(?:^|[^A-Za-z0-9])[A-Za-z0-9]{49}(?:$|[^A-Za-z0-9])/],
  ['signature', /[A-Za-z0-9+/]{85}[AQgw]==/],
  ['authorization value', /\b(?:bearer|armor-psk)\s+\S{16,}/i],
  ['admin-key-shaped value', /^[A-Za-z0-9]{32,128}$/],
];

/** Fields whose values are known not to be secret even when they match a shape above. */
const SAFE_FIELDS = new Set(['timestamp', 'request_id', 'xray_trace_id', 'function_request_id']);

/** How many of a failing test's handler lines are printed (the last ones). */
const FAILED_TEST_LINES = 50;

const violations: string[] = [];
/** Offending lines, masked, in the order seen. */
const offending: string[] = [];
/** Handler lines since the current test started. */
let recent: string[] = [];

/** Every suspicious string value of a parsed line, with the reason and where it sits. */
function check(value: unknown, path: string, found: Array<[string, string, string]>): void {
  if (typeof value === 'string') {
    const field = path.split('.').pop() ?? '';
    if (SAFE_FIELDS.has(field)) return;
    for (const [what, re] of SUSPICIOUS) {
      if (re.test(value)) found.push([what, path || 'line', value]);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      check(v, `${path}[${i}]`, found);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) check(v, path ? `${path}.${k}` : k, found);
  }
}

/** Scans one handler line; returns it with any credential-shaped value masked. */
function scanLine(line: string): string {
  const found: Array<[string, string, string]> = [];
  try {
    check(JSON.parse(line), '', found);
  } catch {
    check(line, 'unparsed line', found);
  }
  if (found.length === 0) return line;
  let masked = line;
  for (const [what, where, value] of found) {
    violations.push(`${what} in ${where}: ${value.slice(0, 4)}…`);
    masked = masked
      .split(value)
      .join(`<${what}>`)
      .split(JSON.stringify(value).slice(1, -1))
      .join(`<${what}>`);
  }
  offending.push(masked);
  return masked;
}

const isHandlerLine = (line: string) => line.startsWith('{"level"');

/** Writes past the interception, for what a failure must show. */
const show = process.stderr.write.bind(process.stderr) as (text: string) => boolean;

for (const stream of [process.stdout, process.stderr]) {
  const real = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.includes('{"level"')) return real(chunk, ...rest);
    const kept: string[] = [];
    for (const line of text.split('\n')) {
      if (!isHandlerLine(line)) {
        kept.push(line);
        continue;
      }
      recent.push(scanLine(line));
      if (recent.length > FAILED_TEST_LINES) recent.shift();
    }
    const other = kept.join('\n');
    if (other.trim() !== '') return real(other, ...rest);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

beforeEach((context) => {
  recent = [];
  context.onTestFailed(() => {
    if (recent.length === 0) return;
    show(
      `\nhandler log lines of "${context.task.name}" (the last ${recent.length}):\n${recent.join('\n')}\n`,
    );
  });
});

afterAll(() => {
  if (violations.length > 0) {
    const list = [...new Set(violations)].slice(0, 20).join('\n  ');
    show(
      `\nlog hygiene: offending handler log lines (values masked):\n${offending.slice(0, 20).join('\n')}\n`,
    );
    throw new Error(`log hygiene: credential-shaped values in handler log lines:\n  ${list}`);
  }
});
