/**
 * A drop-in for `mnemonist/lru-cache`, the one class the DynamoDB client's endpoint-discovery cache
 * (`@aws-sdk/endpoint-cache`) takes from mnemonist: a least-recently-used map of fixed capacity with
 * `get` (refreshes recency), `peek` (does not), `set` (evicts the least recently used entry when full),
 * `has` and `clear`. The bundles alias the module to this Map-based version (see lib/cdk/bundling.ts), which
 * saves about 7 KB of the authorizer's bundle (mnemonist and obliterator); a test holds it to mnemonist's
 * behaviour. latchkey never enables endpoint discovery, but the client constructs the cache regardless.
 */
export default class LRUCache<K, V> {
  private readonly items = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new Error('LRUCache: capacity must be a positive integer');
  }

  get size(): number {
    return this.items.size;
  }

  has(key: K): boolean {
    return this.items.has(key);
  }

  peek(key: K): V | undefined {
    return this.items.get(key);
  }

  get(key: K): V | undefined {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key) as V;
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    if (this.items.has(key)) this.items.delete(key);
    else if (this.items.size >= this.capacity) this.items.delete(this.items.keys().next().value as K);
    this.items.set(key, value);
    return this;
  }

  clear(): void {
    this.items.clear();
  }
}
