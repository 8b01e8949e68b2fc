import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import LRUCache from '#lambda/shims/lru-cache';

/**
 * The bundles replace mnemonist's LRU cache (inside the DynamoDB client's endpoint cache) with
 * lambdas/shims/lru-cache.ts. Random sequences of operations must leave both in the same state and
 * give the same answers. mnemonist is resolved from where the SDK itself would load it.
 */
const fromSdk = createRequire(createRequire(import.meta.url).resolve('@aws-sdk/endpoint-cache'));
const Mnemonist = fromSdk('mnemonist/lru-cache') as new (
  capacity: number,
) => {
  get(k: string): number | undefined;
  peek(k: string): number | undefined;
  has(k: string): boolean;
  set(k: string, v: number): unknown;
  clear(): void;
  size: number;
};

type Op = ['get' | 'peek' | 'has', string] | ['set', string, number] | ['clear'];

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constantFrom('get' as const, 'peek' as const, 'has' as const), key),
  fc.tuple(fc.constant('set' as const), key, fc.integer()),
  fc.constant(['clear'] as ['clear']),
);

describe('LRUCache (the bundles’ stand-in for mnemonist/lru-cache)', () => {
  it('answers every sequence of operations as mnemonist does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const ours = new LRUCache<string, number>(capacity);
        const theirs = new Mnemonist(capacity);
        for (const [name, k, v] of ops as Array<[string, string, number]>) {
          if (name === 'set') {
            ours.set(k, v);
            theirs.set(k, v);
          } else if (name === 'clear') {
            ours.clear();
            theirs.clear();
          } else {
            const a = (ours as unknown as Record<string, (k: string) => unknown>)[name]?.(k);
            const b = (theirs as unknown as Record<string, (k: string) => unknown>)[name]?.(k);
            expect(a).toEqual(b);
          }
          expect(ours.size).toBe(theirs.size);
        }
        for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) expect(ours.peek(k)).toEqual(theirs.peek(k));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LRUCache(0)).toThrow(/capacity/);
  });
});
