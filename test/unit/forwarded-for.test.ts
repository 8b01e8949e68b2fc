import { describe, expect, it } from 'vitest';
import { forwardedFor } from '#verify/headers';

describe('forwardedFor', () => {
  it('takes the entry the trusted proxies appended, counted from the right', () => {
    const headers = { 'X-Forwarded-For': '6.6.6.6, 203.0.113.5, 10.0.0.2' };
    expect(forwardedFor(headers, 1)).toBe('10.0.0.2');
    expect(forwardedFor(headers, 2)).toBe('203.0.113.5');
  });

  it('reads repeated lines as one list, and a fetch Headers', () => {
    expect(forwardedFor({ 'x-forwarded-for': ['6.6.6.6', '203.0.113.5'] }, 1)).toBe('203.0.113.5');
    expect(forwardedFor(new Headers({ 'x-forwarded-for': '6.6.6.6, 2001:db8::1' }), 1)).toBe('2001:db8::1');
  });

  it('is undefined when fewer proxies appended than are trusted, or none is trusted', () => {
    expect(forwardedFor({ 'x-forwarded-for': '203.0.113.5' }, 2)).toBeUndefined();
    expect(forwardedFor({}, 1)).toBeUndefined();
    expect(forwardedFor({ 'x-forwarded-for': '203.0.113.5' }, 0)).toBeUndefined();
  });
});
