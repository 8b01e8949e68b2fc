import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '#cli/suggest';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['keys', 'keys', 0],
    ['kyes', 'keys', 1],
    ['key', 'keys', 1],
    ['kets', 'keys', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  it('offers the nearest candidate only when it is close enough to be a typo', () => {
    expect(closest('updaet', ['update', 'usage', 'list'])).toBe('update');
    expect(closest('ls', ['list', 'get'])).toBeNull();
    expect(closest('frobnicate', ['keys', 'orgs', 'audit'])).toBeNull();
  });
});
