/**
 * Rules for text and metadata that whoever holds `keys:write` chooses and every reader of the API (the
 * console, logs, terminals) displays: names, descriptions and metadata values may not hold control
 * characters, bidirectional overrides or lone surrogates, and metadata is a small flat map of strings
 * within `METADATA_LIMITS`. Both throw a `ValidationError` naming the field.
 */
import { ValidationError } from './errors';

/** A key's metadata: the one home of its limits. */
export const METADATA_LIMITS = {
  maxEntries: 10,
  keyPattern: /^[a-z0-9_]{1,32}$/,
  maxValueChars: 256,
  /** UTF-8 bytes of every key and value together. */
  maxTotalBytes: 512,
} as const;

/**
 * Whether text holds a character a name, description or metadata value may not contain: C0 and C1
 * control characters (newlines and tabs included), bidirectional embeddings, overrides and isolates
 * (U+202A–202E, U+2066–2069, which make text display in another order than it is stored), and lone
 * surrogates (not valid Unicode).
 */
function hasUnsafeCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
    if (c >= 0xdc00 && c <= 0xdfff) return true; // a low surrogate with no high one before it
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

/** Refuses control characters, bidirectional overrides and lone surrogates (400 naming the field). */
export function assertSafeText(field: string, value: string): void {
  if (hasUnsafeCharacter(value)) {
    throw new ValidationError(
      field,
      `${field}: must not contain control characters, bidirectional overrides or lone surrogates`,
    );
  }
}

/**
 * A flat {string: string} map within `METADATA_LIMITS`; absent or null → {}. A key `__proto__` (which
 * the key pattern allows and `JSON.parse` makes an own property) is refused: assigned into a plain
 * object it would be dropped without a word; the map is built without a prototype all the same.
 */
export function validateMetadata(value: unknown, field = 'metadata'): Record<string, string> {
  if (value === undefined || value === null) return {};
  const { maxEntries, keyPattern, maxValueChars, maxTotalBytes } = METADATA_LIMITS;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(field, `${field}: must be an object of string values`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxEntries) {
    throw new ValidationError(field, `${field}: at most ${maxEntries} entries`);
  }
  let bytes = 0;
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of entries) {
    if (k === '__proto__') {
      throw new ValidationError(field, `${field}: "__proto__" cannot be a metadata key`);
    }
    if (!keyPattern.test(k)) {
      throw new ValidationError(
        field,
        `${field}: keys must be 1-32 of a-z, 0-9 and _ (got ${JSON.stringify(k.slice(0, 40))})`,
      );
    }
    if (typeof v !== 'string' || v.length > maxValueChars) {
      throw new ValidationError(
        `${field}.${k}`,
        `${field}.${k}: must be a string of at most ${maxValueChars} characters`,
      );
    }
    assertSafeText(`${field}.${k}`, v);
    bytes += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
    out[k] = v;
  }
  if (bytes > maxTotalBytes) {
    throw new ValidationError(
      field,
      `${field}: keys and values may hold at most ${maxTotalBytes} bytes in all`,
    );
  }
  return out;
}
