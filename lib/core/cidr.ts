/**
 * Per-key network allowlists: parsing and normalising IPv4 and IPv6 CIDRs, and matching a source
 * address against a key's `allowed_cidrs`. A CIDR is stored in one canonical text (lowercase,
 * RFC 5952 compressed IPv6, an IPv4-mapped IPv6 network written as IPv4), so the set of every network
 * that contains an address (`containingNetworks`) can be compared as strings: that is how the
 * authorizer's one conditional write checks the list inside DynamoDB (`contains(allowed_cidrs, …)`),
 * with no extra read. Pure: no I/O.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** At most this many CIDRs per key. */
export const MAX_ALLOWED_CIDRS = 16;

interface Address {
  family: 4 | 6;
  value: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint {
  let head = text;
  let tail4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseV4(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, null];
  const groupsOf = (s: string | null | undefined) => (s ? s.split(':') : []);
  const l = groupsOf(left);
  const r = groupsOf(right);
  const groups = right === null ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  if (tail4 !== null) value = (value & ~0xffffffffn) | tail4;
  return value;
}

/**
 * An IP address as the source of a request, or null when it is not one. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer) is the IPv4 address. A zone
 * (`fe80::1%eth0`) is dropped.
 */
function parseAddress(text: string): Address | null {
  const bare = text.trim().split('%')[0] as string;
  if (isIPv4(bare)) return { family: 4, value: parseV4(bare) };
  if (!isIPv6(bare)) return null;
  const value = parseV6(bare);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function maskOf(family: 4 | 6, length: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(length))) - 1n);
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

function formatNetwork(family: 4 | 6, value: bigint, length: number): string {
  return `${family === 4 ? formatV4(value) : formatV6(value)}/${length}`;
}

/** Why a CIDR was refused, for the validation error. */
export type CidrProblem = 'not_an_address' | 'bad_prefix_length' | 'host_bits_set';

export type ParsedCidr = { ok: true; cidr: string } | { ok: false; problem: CidrProblem; hint?: string };

/**
 * A CIDR in its canonical text: `10.0.0.0/8`, `2001:db8::/32`. A bare address is its own /32 or
 * /128; an IPv4-mapped IPv6 network of prefix 96 or longer is written as the IPv4 network it is
 * (`::ffff:10.0.0.0/104` → `10.0.0.0/8`). Host bits set after the prefix are refused, with the network
 * meant as a hint, so a typo never silently widens or moves the list.
 */
export function parseCidr(text: string): ParsedCidr {
  const [addressText, lengthText, extra] = text.trim().split('/');
  if (extra !== undefined || addressText === undefined || addressText.includes('%'))
    return { ok: false, problem: 'not_an_address' };
  const bare = addressText;
  let family: 4 | 6;
  let value: bigint;
  if (isIPv4(bare)) {
    family = 4;
    value = parseV4(bare);
  } else if (isIPv6(bare)) {
    family = 6;
    value = parseV6(bare);
  } else return { ok: false, problem: 'not_an_address' };
  let length: number = BITS[family];
  if (lengthText !== undefined) {
    if (!/^\d{1,3}$/.test(lengthText)) return { ok: false, problem: 'bad_prefix_length' };
    length = Number(lengthText);
    if (length > BITS[family]) return { ok: false, problem: 'bad_prefix_length' };
  }
  if (family === 6 && length >= 96 && value >> 32n === 0xffffn) {
    family = 4;
    value &= 0xffffffffn;
    length -= 96;
  }
  const network = value & maskOf(family, length);
  if (network !== value)
    return { ok: false, problem: 'host_bits_set', hint: formatNetwork(family, network, length) };
  return { ok: true, cidr: formatNetwork(family, network, length) };
}

/**
 * Every network, in canonical text, that contains `address`: 33 for IPv4 (`/0` to `/32`), 129 for
 * IPv6. An address is inside a list of canonical CIDRs exactly when one of these is in the list.
 * Empty when `address` is not an IP address (nothing contains it).
 */
export function containingNetworks(address: string): string[] {
  const parsed = parseAddress(address);
  if (parsed === null) return [];
  const { family, value } = parsed;
  return Array.from({ length: BITS[family] + 1 }, (_, length) =>
    formatNetwork(family, value & maskOf(family, length), length),
  );
}

/**
 * Whether a request from `sourceIp` may use a key with this list: every address when the list is
 * empty; otherwise only an address inside one of its CIDRs (an unknown source address is outside).
 */
export function addressAllowed(allowedCidrs: readonly string[], sourceIp: string | undefined): boolean {
  if (allowedCidrs.length === 0) return true;
  if (sourceIp === undefined) return false;
  const allowed = new Set(allowedCidrs);
  return containingNetworks(sourceIp).some((network) => allowed.has(network));
}

/** A canonical CIDR's parts, or null when it is not one. */
function networkOf(cidr: string): { family: 4 | 6; value: bigint; length: number } | null {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) return null;
  const [address, length] = parsed.cidr.split('/') as [string, string];
  const family = isIPv4(address) ? 4 : 6;
  return { family, value: family === 4 ? parseV4(address) : parseV6(address), length: Number(length) };
}

/**
 * Whether every network of `inner` lies inside one of `outer`'s: what a key restricted to `outer` may
 * hand on (an empty `outer` is anywhere, so anything; an empty `inner` is anywhere, so only that).
 */
export function networksWithin(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.length === 0) return true;
  if (inner.length === 0) return false;
  const outers = outer.map(networkOf);
  return inner.every((cidr) => {
    const a = networkOf(cidr);
    return (
      a !== null &&
      outers.some(
        (b) =>
          b !== null &&
          b.family === a.family &&
          b.length <= a.length &&
          (a.value & maskOf(a.family, b.length)) === b.value,
      )
    );
  });
}
