import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function sha512Base64(value: Uint8Array | string): string {
  return createHash('sha512').update(value).digest('base64');
}

export function hmacSha512Base64(key: string, message: string): string {
  return createHmac('sha512', Buffer.from(key, 'utf8')).update(message, 'utf8').digest('base64');
}

/**
 * Constant-time equality of two secrets of any length: both sides are hashed to fixed-size digests
 * first, so neither the content nor the length of the expected value leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
