/**
 * CRC-32 (IEEE 802.3, the one zlib and GitHub's token checksum use) for the token checksum: Node's own
 * `zlib.crc32` (Node 20.15+), the same output as a table-driven implementation and about twice as fast.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** CRC-32 of a string's UTF-8 bytes, as an unsigned 32-bit number. */
export function crc32(input: string): number {
  return zlibCrc32(Buffer.from(input, 'utf8'));
}
