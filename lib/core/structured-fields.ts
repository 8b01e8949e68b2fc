/**
 * A strict parser for the part of RFC 8941 (Structured Field Values for HTTP) that RFC 9421's
 * `Signature-Input` and `Signature` fields and RFC 9530's `Content-Digest` need: dictionaries whose
 * members are items or inner lists, with parameters, and the bare items integer, string, token, byte
 * sequence and boolean. Stricter than RFC 8941 §4.2 where it lets a parser choose: a repeated dictionary
 * key or parameter key is refused (RFC 8941 keeps the last; a verifier that guessed which one the signer
 * meant would be reading a different message), decimals are refused (nothing here uses them), and a byte
 * sequence must be canonical padded base64. Every function is total: malformed input gives null, never
 * an exception. Pure: no I/O.
 */

export type BareItem =
  | { type: 'integer'; value: number }
  | { type: 'string'; value: string }
  | { type: 'token'; value: string }
  | { type: 'bytes'; value: Buffer }
  | { type: 'boolean'; value: boolean };

/** Parameters in the order sent (keys unique). */
export type SfParameters = ReadonlyArray<readonly [string, BareItem]>;

export interface SfItem {
  item: BareItem;
  params: SfParameters;
}

export interface SfInnerList {
  items: SfItem[];
  params: SfParameters;
}

export type SfMember = ({ kind: 'item' } & SfItem) | ({ kind: 'list' } & SfInnerList);

/** A dictionary in the order sent (keys unique). */
export type SfDictionary = ReadonlyArray<readonly [string, SfMember]>;

const KEY_RE = /^[a-z*][a-z0-9_\-.*]*/;
const TOKEN_RE = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/;
const INTEGER_RE = /^-?[0-9]{1,15}(?![0-9.])/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** A cursor over one field value; every reader returns null on malformed input. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skip(chars: string): void {
    while (!this.done && chars.includes(this.peek())) this.pos++;
  }
  match(re: RegExp): string | null {
    const m = re.exec(this.text.slice(this.pos));
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }
}

function bareItem(r: Reader): BareItem | null {
  const c = r.peek();
  if (c === '"') return stringItem(r);
  if (c === ':') return bytesItem(r);
  if (c === '?') {
    r.pos++;
    const b = r.peek();
    if (b !== '0' && b !== '1') return null;
    r.pos++;
    return { type: 'boolean', value: b === '1' };
  }
  if (c === '-' || (c >= '0' && c <= '9')) {
    const digits = r.match(INTEGER_RE);
    return digits === null ? null : { type: 'integer', value: Number(digits) };
  }
  const token = r.match(TOKEN_RE);
  return token === null ? null : { type: 'token', value: token };
}

function stringItem(r: Reader): BareItem | null {
  r.pos++;
  let out = '';
  while (!r.done) {
    const c = r.peek();
    r.pos++;
    if (c === '\\') {
      const next = r.peek();
      if (next !== '"' && next !== '\\') return null;
      out += next;
      r.pos++;
    } else if (c === '"') return { type: 'string', value: out };
    else if (c < ' ' || c > '~') return null;
    else out += c;
  }
  return null;
}

function bytesItem(r: Reader): BareItem | null {
  r.pos++;
  const end = r.text.indexOf(':', r.pos);
  if (end < 0) return null;
  const b64 = r.text.slice(r.pos, end);
  r.pos = end + 1;
  if (!BASE64_RE.test(b64) || b64.length % 4 !== 0) return null;
  const value = Buffer.from(b64, 'base64');
  // Canonical only: one byte string, one spelling.
  if (value.toString('base64') !== b64) return null;
  return { type: 'bytes', value };
}

function parameters(r: Reader): SfParameters | null {
  const out: Array<readonly [string, BareItem]> = [];
  while (r.peek() === ';') {
    r.pos++;
    r.skip(' ');
    const key = r.match(KEY_RE);
    if (key === null || out.some(([k]) => k === key)) return null;
    let value: BareItem = { type: 'boolean', value: true };
    if (r.peek() === '=') {
      r.pos++;
      const item = bareItem(r);
      if (item === null) return null;
      value = item;
    }
    out.push([key, value]);
  }
  return out;
}

function innerList(r: Reader): SfInnerList | null {
  r.pos++;
  const items: SfItem[] = [];
  while (!r.done) {
    r.skip(' ');
    if (r.peek() === ')') {
      r.pos++;
      const params = parameters(r);
      return params === null ? null : { items, params };
    }
    const item = bareItem(r);
    if (item === null) return null;
    const params = parameters(r);
    if (params === null) return null;
    items.push({ item, params });
    const c = r.peek();
    if (c !== ' ' && c !== ')') return null;
  }
  return null;
}

/**
 * Parses a dictionary field value (RFC 8941 §4.2.2), strictly: null when it is malformed, a key is
 * repeated, or it is longer than `maxLength`.
 */
export function parseDictionary(value: string, maxLength: number): SfDictionary | null {
  if (typeof value !== 'string' || value.length > maxLength) return null;
  const r = new Reader(value);
  r.skip(' ');
  const out: Array<readonly [string, SfMember]> = [];
  while (!r.done) {
    const key = r.match(KEY_RE);
    if (key === null || out.some(([k]) => k === key)) return null;
    let member: SfMember | null;
    if (r.peek() === '=') {
      r.pos++;
      if (r.peek() === '(') {
        const list = innerList(r);
        member = list === null ? null : { kind: 'list', ...list };
      } else {
        const item = bareItem(r);
        const params = item === null ? null : parameters(r);
        member = item === null || params === null ? null : { kind: 'item', item, params };
      }
    } else {
      const params = parameters(r);
      member = params === null ? null : { kind: 'item', item: { type: 'boolean', value: true }, params };
    }
    if (member === null) return null;
    out.push([key, member]);
    r.skip(' \t');
    if (r.done) return out;
    if (r.peek() !== ',') return null;
    r.pos++;
    r.skip(' \t');
    if (r.done) return null;
  }
  return out;
}

/** An RFC 8941 §4.1 serialisation of a bare item. */
export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      return String(item.value);
    case 'string':
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    case 'token':
      return item.value;
    case 'bytes':
      return `:${item.value.toString('base64')}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

export function serializeParameters(params: SfParameters): string {
  return params
    .map(([key, value]) =>
      value.type === 'boolean' && value.value ? `;${key}` : `;${key}=${serializeBareItem(value)}`,
    )
    .join('');
}

/** An RFC 8941 §4.1.1.1 serialisation of an inner list with its parameters. */
export function serializeInnerList(list: SfInnerList): string {
  const items = list.items.map((i) => serializeBareItem(i.item) + serializeParameters(i.params));
  return `(${items.join(' ')})${serializeParameters(list.params)}`;
}
