import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAtShutdown, flushWithin, SHUTDOWN_EXTENSION_NAME } from '#lambda/runtime/shutdown';
import { type RuntimeApiStandIn, startRuntimeApi } from '../helpers/runtime-api';

/**
 * The shutdown hook against a stand-in Extensions API on loopback: one registration for no events, one
 * `next` call left waiting, and on SIGTERM the flush (bounded in time), then the exit.
 */
let api: RuntimeApiStandIn;
beforeAll(async () => {
  api = await startRuntimeApi();
});
afterAll(() => api.close());

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('flushAtShutdown', () => {
  it('registers an internal extension for no events, calls next once, and flushes then exits on SIGTERM', async () => {
    const signals = new EventEmitter();
    const order: string[] = [];
    const registered = await flushAtShutdown({
      runtimeApi: api.address,
      flush: async () => {
        order.push('flush');
      },
      exit: () => order.push('exit'),
      signals,
    });
    expect(registered).toBe(true);
    const registration = api.registrations.at(-1);
    expect(registration).toMatchObject({ name: SHUTDOWN_EXTENSION_NAME, events: [] });
    await until(() => api.nextCalls.includes(registration?.id ?? ''));
    expect(api.nextCalls).toContain(registration?.id);
    expect(order).toEqual([]);
    signals.emit('SIGTERM');
    await until(() => order.length === 2);
    expect(order).toEqual(['flush', 'exit']);
  });

  it('without AWS_LAMBDA_RUNTIME_API (not in Lambda) registers nothing and listens for nothing', async () => {
    const signals = new EventEmitter();
    const before = api.registrations.length;
    const registered = await flushAtShutdown({ runtimeApi: undefined, flush: async () => {}, signals });
    expect(registered).toBe(false);
    expect(api.registrations).toHaveLength(before);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('a refused registration leaves the function working, without a SIGTERM listener', async () => {
    api.registerStatus = 403;
    try {
      const signals = new EventEmitter();
      const registered = await flushAtShutdown({ runtimeApi: api.address, flush: async () => {}, signals });
      expect(registered).toBe(false);
      expect(signals.listenerCount('SIGTERM')).toBe(0);
    } finally {
      api.registerStatus = 200;
    }
  });

  it('an unreachable Extensions API is a refusal too, not a failed INIT', async () => {
    const signals = new EventEmitter();
    await expect(
      flushAtShutdown({ runtimeApi: '127.0.0.1:1', flush: async () => {}, signals }),
    ).resolves.toBe(false);
  });
});

describe('flushWithin', () => {
  it('gives up after the budget when the flush hangs', async () => {
    const started = performance.now();
    await flushWithin(() => new Promise(() => {}), 50);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(400);
  });

  it('swallows a failed flush (the process still exits)', async () => {
    await expect(flushWithin(() => Promise.reject(new Error('down')), 50)).resolves.toBeUndefined();
  });
});
