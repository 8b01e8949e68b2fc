import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { signRequest } from '#core/signer';
import { formatToken } from '#core/token';
import type { LocalMode } from '#local/local-mode';
import { type ApiResponse, type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { API_TYPES, REFUSALS, type RefusalKind } from '../helpers/refusals';
import { signedCall, sleep } from './support';

/**
 * A bounded soak through the local gateway: a fixed concurrency of mixed traffic (bearer, signed
 * GET and POST, admin, and requests that must be refused) for LATCHKEY_SOAK_SECONDS (default 12;
 * `LATCHKEY_SOAK_SECONDS=60 npx vitest run test/reliability/soak.test.ts` runs a full minute), once
 * behind each API type, whose refusals are its own.
 * Every answer must be the expected one, no handler may log an error, and memory must stay flat:
 * the heap left after a full garbage collection, sampled every second, is compared between the first
 * and the last third of the run (and RSS likewise, more loosely).
 */
const SECONDS = Number(process.env.LATCHKEY_SOAK_SECONDS || 12);
const CONCURRENCY = 8;

/** A full, synchronous garbage collection: the heap it leaves is what is really retained. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

describe.each(API_TYPES)('%s API', (apiType) => {
  const refusal = (kind: RefusalKind) => REFUSALS[apiType][kind].status;
  let local: LocalMode;
  let call: Call;
  const logLevels: Record<string, number> = {};
  const errorLines: string[] = [];
  const originals = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };

  /**
   * Handler log lines are counted by level (errors kept), then passed on like every other write: the
   * log-hygiene setup file underneath scans each one and keeps it off the terminal (~1 line per request).
   */
  function captureLogs(): void {
    const capture = (real: typeof originals.out) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        for (const line of text.split('\n')) {
          if (!line.startsWith('{"level"')) continue;
          const level = /^\{"level":"([A-Z]+)"/.exec(line)?.[1] ?? 'UNKNOWN';
          logLevels[level] = (logLevels[level] ?? 0) + 1;
          if (level === 'ERROR' || level === 'CRITICAL') errorLines.push(line);
        }
        return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
  }

  beforeAll(async () => {
    local = await startTestLatchkey({
      apiType,
      settings: { LATCHKEY_DEFAULT_RATE_LIMIT: '100000', LATCHKEY_SECRET_CACHE_SECONDS: '5' },
    });
    call = client(local.url, { apiType });
  });
  afterAll(async () => {
    process.stdout.write = originals.out as typeof process.stdout.write;
    process.stderr.write = originals.err as typeof process.stderr.write;
    await local.stop();
  });

  interface Mix {
    label: string;
    expect: number;
    send: () => Promise<ApiResponse>;
  }

  describe(`soak: ${SECONDS} s at concurrency ${CONCURRENCY} through the local gateway`, () => {
    it(
      'answers every request as expected, logs no error, and keeps memory flat',
      async () => {
        const admin = local.adminKey;
        const members: Array<{ id: string; token: string }> = [];
        for (let i = 0; i < 4; i++) members.push(await createKey(call, admin, { name: `soak ${i}` }));
        const viewer = await createKey(call, admin, { roles: ['viewer'] });
        const member = (n: number) => members[n % members.length] as { id: string; token: string };
        const usedSigned = signRequest({ token: member(0).token, method: 'GET', path: '/v1/echo/used' });
        expect((await call('GET', '/v1/echo/used', { authorization: usedSigned.authorization })).status).toBe(
          200,
        );
        const wrongSecret = formatToken('lk', member(1).id, randomBase62(43));

        const mix = (n: number): Mix[] => [
          {
            label: 'bearer GET',
            expect: 200,
            send: () => call('GET', `/v1/echo/soak/${n}`, { token: member(n).token }),
          },
          {
            label: 'signed GET',
            expect: 200,
            send: () => signedCall(call, member(n).token, 'GET', `/v1/echo/soak/${n}`),
          },
          {
            label: 'signed POST',
            expect: 200,
            send: () =>
              signedCall(
                call,
                member(n).token,
                'POST',
                '/v1/echo/soak',
                JSON.stringify({ n, pad: 'x'.repeat(n % 500) }),
              ),
          },
          { label: 'admin whoami', expect: 200, send: () => call('GET', '/v1/whoami', { token: admin }) },
          {
            label: 'key whoami',
            expect: 200,
            send: () => call('GET', '/v1/whoami', { token: member(n).token }),
          },
          {
            label: 'viewer POST',
            expect: refusal('forbidden_route'),
            send: () => call('POST', '/v1/echo/soak', { token: viewer.token, body: {} }),
          },
          {
            label: 'wrong secret',
            expect: refusal('bad_credential'),
            send: () => call('GET', '/v1/echo/soak', { token: wrongSecret }),
          },
          {
            label: 'replayed signature',
            expect: refusal('bad_credential'),
            send: () => call('GET', '/v1/echo/used', { authorization: usedSigned.authorization }),
          },
          {
            label: 'malformed',
            expect: refusal('bad_credential'),
            send: () => call('GET', '/v1/echo/soak', { authorization: 'Bearer lk_nope' }),
          },
          {
            label: 'no credential',
            expect: refusal('missing_credential'),
            send: () => call('GET', '/v1/echo/soak'),
          },
        ];

        captureLogs();
        const memory: Array<{ heap: number; rss: number }> = [];
        const deadline = Date.now() + SECONDS * 1000;
        const sampler = setInterval(() => {
          collectGarbage();
          const m = process.memoryUsage();
          memory.push({ heap: m.heapUsed, rss: m.rss });
        }, 1000);
        const unexpected: string[] = [];
        const counts: Record<string, number> = {};
        try {
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async (_, w) => {
              for (let n = w; Date.now() < deadline; n += CONCURRENCY) {
                const options = mix(n);
                const m = options[n % options.length] as Mix;
                let res: ApiResponse;
                try {
                  res = await m.send();
                } catch (error) {
                  unexpected.push(`${m.label}: ${(error as Error).message}`);
                  continue;
                }
                counts[m.label] = (counts[m.label] ?? 0) + 1;
                if (res.status !== m.expect)
                  unexpected.push(`${m.label}: ${res.status} ${res.text.slice(0, 200)}`);
              }
            }),
          );
        } finally {
          clearInterval(sampler);
        }
        await sleep(100);

        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        expect(unexpected.slice(0, 10)).toEqual([]);
        expect(total).toBeGreaterThan(SECONDS * 20);
        expect(Object.keys(counts)).toHaveLength(10);
        expect(errorLines.slice(0, 5)).toEqual([]);
        expect(logLevels.INFO ?? 0).toBeGreaterThan(0);

        // Flat memory: the retained heap (after a forced collection) averaged over the first and the last
        // third of the run. A leak of even 1 KB per request would add ~total KB between them.
        const third = Math.floor(memory.length / 3);
        expect(third).toBeGreaterThan(2);
        const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const MB = 1024 * 1024;
        const firstHeap = avg(memory.slice(0, third).map((m) => m.heap));
        const lastHeap = avg(memory.slice(-third).map((m) => m.heap));
        const firstRss = avg(memory.slice(0, third).map((m) => m.rss));
        const lastRss = avg(memory.slice(-third).map((m) => m.rss));
        const report = `heap ${(firstHeap / MB).toFixed(1)} → ${(lastHeap / MB).toFixed(1)} MB, rss ${(firstRss / MB).toFixed(1)} → ${(lastRss / MB).toFixed(1)} MB over ${total} requests`;
        expect(lastHeap, report).toBeLessThan(firstHeap * 1.1 + Math.max(4 * MB, (total * 1024) / 2));
        expect(lastRss, report).toBeLessThan(firstRss * 1.5 + 32 * MB);
        if (process.env.LATCHKEY_SOAK_REPORT)
          originals.out(
            `soak (${apiType}): ${report}; ${JSON.stringify(counts)}; logs ${JSON.stringify(logLevels)}\n`,
          );
      },
      (SECONDS + 60) * 1000,
    );
  });
});
