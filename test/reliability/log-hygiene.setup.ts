/**
 * Whole-suite log hygiene: listed in vitest.config.ts `test.setupFiles`, it runs in every test
 * file's worker, reads every handler log line (the JSON lines the Powertools logger writes to stdout
 * and stderr) and fails the file if any value in one looks like a credential:
 *
 *  - an API-key token (`<prefix>_<16>_<49>`, the secret scanners' shape) or its 49-character tail;
 *  - an ARMOR-PSK signature (canonical base64 of 64 bytes) or a whole `ARMOR-PSK …` / `Bearer …` value;
 *  - an admin key or master secret (32–128 letters and digits, the admin-key shape), or a SHA-256 hex.
 *
 * It knows no secret values, only their shapes, so test/reliability/log-hygiene.test.ts (which does)
 * stays the exact check; this one covers every flow of every test file.
 */
import { afterAll } from 'vitest';

const SUSPICIOUS: Array<[string, RegExp]> = [
  ['token', /[a-z0-9]{1,16}_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}/],
  ['token tail', /(?:^|[^A-Za-z0-9])[A-Za-z0-9]{49}(?:$|[^A-Za-z0-9])/],
  ['signature', /[A-Za-z0-9+/]{85}[AQgw]==/],
  ['authorization value', /\b(?:bearer|armor-psk)\s+\S{16,}/i],
  ['admin-key-shaped value', /^[A-Za-z0-9]{32,128}$/],
];

/** Fields whose values are known not to be secret even when they match a shape above. */
const SAFE_FIELDS = new Set(['timestamp', 'request_id', 'xray_trace_id', 'function_request_id']);

const violations: string[] = [];

function check(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const field = path.split('.').pop() ?? '';
    if (SAFE_FIELDS.has(field)) return;
    for (const [what, re] of SUSPICIOUS) {
      if (re.test(value)) violations.push(`${what} in ${path || 'line'}: ${value.slice(0, 4)}…`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      check(v, `${path}[${i}]`);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) check(v, path ? `${path}.${k}` : k);
  }
}

function scan(text: string): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"level"')) continue;
    try {
      check(JSON.parse(line), '');
    } catch {
      check(line, 'unparsed line');
    }
  }
}

for (const stream of [process.stdout, process.stderr]) {
  const real = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    scan(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
}

afterAll(() => {
  if (violations.length > 0) {
    const list = [...new Set(violations)].slice(0, 20).join('\n  ');
    throw new Error(`log hygiene: credential-shaped values in handler log lines:\n  ${list}`);
  }
});
