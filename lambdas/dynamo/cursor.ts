/**
 * Pagination cursors for DynamoDB listings, strict enough that a tampered cursor is a 400 and never
 * reaches DynamoDB. A cursor is base64url JSON of a few named string fields (the position reached, e.g. a
 * key's creation time and id), never the raw `LastEvaluatedKey`: the listing rebuilds the start key
 * from validated fields, so a client cannot make the query start in another partition or send DynamoDB
 * an ill-formed key. `cursorCodec` takes each field's anchored pattern; decoding refuses anything else
 * (another encoding, a missing or extra field, a value outside its pattern, an oversized cursor) with
 * `400 invalid_request` and the message `cursor: …`.
 */
import { ValidationError } from '#core/errors';

/** Longer cursors are refused before decoding. */
export const MAX_CURSOR_LENGTH = 512;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;

export const INVALID_CURSOR_MESSAGE = 'cursor: is not a cursor returned by this listing';

export interface CursorCodec<F extends string> {
  encode(position: Readonly<Record<F, string>>): string;
  /** The fields, each matching its pattern; throws `ValidationError('cursor', …)` otherwise. */
  decode(cursor: string): Record<F, string>;
}

/** A codec for cursors made of `fields`, each an anchored pattern (`^…$`) its value must match. */
export function cursorCodec<F extends string>(fields: Readonly<Record<F, RegExp>>): CursorCodec<F> {
  const names = Object.keys(fields) as F[];
  for (const name of names) {
    const { source } = fields[name];
    if (!source.startsWith('^') || !source.endsWith('$'))
      throw new Error(`cursor field ${name}: anchor its pattern`);
  }
  const refuse = (): never => {
    throw new ValidationError('cursor', INVALID_CURSOR_MESSAGE);
  };
  return {
    encode(position) {
      const value: Record<string, string> = {};
      for (const name of names) value[name] = position[name];
      return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    },
    decode(cursor) {
      if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL_RE.test(cursor)) return refuse();
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        return refuse();
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse();
      const given = parsed as Record<string, unknown>;
      const keys = Object.keys(given);
      if (keys.length !== names.length) return refuse();
      const out = Object.create(null) as Record<F, string>;
      for (const name of names) {
        const value = Object.hasOwn(given, name) ? given[name] : undefined;
        if (typeof value !== 'string' || !fields[name].test(value)) return refuse();
        out[name] = value;
      }
      return out;
    },
  };
}
