import { describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { useLatchkey } from '../helpers/latchkey';
import { type ApiResponse, createKey } from '../helpers/local';
import { API_TYPES, REFUSALS } from '../helpers/refusals';
import { countBy, type Outcome, signedCall, sleep, traffic } from './support';

/**
 * Concurrency against the real conditional writes and transactions of DynamoDB Local, through the
 * local gateway. Complements the single 20-request replay race (test/integration/signed.test.ts) and
 * the 20/40 create race (test/integration/keys-errors.test.ts) with storms of many distinct requests,
 * creates racing revokes and rotations, and keys revoked or rotated while traffic is using them.
 * After every race the organization's counter must equal the keys that really are active. Every race
 * runs behind both API types: the refusals are each type's own (a REST API's 401, an HTTP API's 403). These are
 * exact verification's promises (revocation from the next request, every call counted at once); the
 * replay storm also runs in bounded mode, where a hot key's calls are counted within the bound and a
 * signature must pass at most once all the same (test/reliability/hot-keys.test.ts has the rest).
 */
describe.each(API_TYPES)('%s API', (apiType) => {
  const refused = REFUSALS[apiType].bad_credential.status;
  const unavailable = REFUSALS[apiType].dependency_failure.status;
  const lk = useLatchkey({
    apiType,
    settings: { LATCHKEY_DEFAULT_RATE_LIMIT: '100000', LATCHKEY_VERIFY_MODE: 'exact' },
  });
  const bounded = useLatchkey({
    apiType,
    settings: { LATCHKEY_DEFAULT_RATE_LIMIT: '100000', LATCHKEY_VERIFY_MODE: 'bounded' },
  });

  async function keyOf(id: string, from = lk) {
    const res = await from.call<{ key: { status: string; calls: number } }>('GET', `/v1/keys/${id}`, {
      token: from.admin,
    });
    expect(res.status).toBe(200);
    return res.body.key;
  }

  /** The org counter, and the keys the listing says are active (all pages). */
  async function orgState(orgId: string): Promise<{ counter: number; active: string[] }> {
    const org = await lk.call<{ active_keys: number }>('GET', `/v1/orgs/${orgId}`, { token: lk.admin });
    expect(org.status).toBe(200);
    const active: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/keys?org_id=${orgId}&status=active&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await lk.call<{ keys: Array<{ id: string }>; next_cursor: string | null }>('GET', q, {
        token: lk.admin,
      });
      expect(page.status).toBe(200);
      active.push(...page.body.keys.map((k) => k.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    return { counter: org.body.active_keys, active };
  }

  function shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  describe('replay storm', () => {
    it.each([
      ['exact', lk],
      ['bounded', bounded],
    ] as const)(
      '%s: 25 distinct signed requests, each sent 8 times at once in random order: each passes at most once, and exactly the passes are counted',
      async (mode, lk) => {
        const k = await createKey(lk.call, lk.admin);
        const distinct = Array.from({ length: 25 }, (_, i) =>
          signRequest({ token: k.token, method: 'GET', path: `/v1/echo/storm/${i}` }),
        );
        const sends = shuffle(distinct.flatMap((h, i) => Array.from({ length: 8 }, () => ({ h, i }))));
        const results = await Promise.all(
          sends.map(async ({ h, i }) => ({
            i,
            res: await lk.call('GET', `/v1/echo/storm/${i}`, { authorization: h.authorization }),
          })),
        );
        const statuses = countBy(results, (r) => String(r.res.status));
        for (const status of Object.keys(statuses))
          expect(['200', String(refused), String(unavailable)]).toContain(status);
        for (let i = 0; i < distinct.length; i++) {
          const passes = results.filter((r) => r.i === i && r.res.status === 200).length;
          expect(passes, `request ${i}`).toBeLessThanOrEqual(1);
        }
        const passed = results.filter((r) => r.res.status === 200).length;
        // Transaction conflicts on the one key item are retried with backoff, so nearly all win once;
        // a request may still give up with 503 (fail closed), never pass twice.
        expect(passed).toBeGreaterThanOrEqual(20);
        if (mode === 'exact') expect((await keyOf(k.id, lk)).calls).toBe(passed);
        else {
          // The storm made the key hot: its counts wait in memory for at most the bound, and go out when
          // the instance next looks for due work (on any request; here another key's).
          const other = await createKey(lk.call, lk.admin);
          await sleep(1100);
          expect((await lk.call('GET', '/v1/whoami', { token: other.token })).status).toBe(200);
          await sleep(500);
          expect((await keyOf(k.id, lk)).calls).toBe(passed);
        }
        // The same signature under a shifted path/nonce boundary is refused too, after the storm.
        const sample = distinct[0]?.authorization as string;
        const [head, sig, nonce, ts] = sample.split(':') as [string, string, string, string];
        const shifted = await lk.call('GET', `/v1/echo/storm/0${nonce.slice(0, 1)}`, {
          authorization: `${head}:${sig}:${nonce.slice(1)}:${ts}`,
        });
        expect(shifted.status).toBe(refused);
      },
    );
  });

  describe('organization limit under mixed races', () => {
    it('creates racing revokes and rotations: never above max_keys, and the counter always equals the active keys', async () => {
      const org = `race-${Date.now().toString(36)}`;
      expect(
        (await lk.call('PUT', `/v1/orgs/${org}`, { token: lk.admin, body: { max_keys: 10 } })).status,
      ).toBe(200);
      const existing = [];
      for (let i = 0; i < 6; i++)
        existing.push(await createKey(lk.call, lk.admin, { org_id: org, name: `pre ${i}` }));
      const revokes = existing.slice(0, 3);
      const rotations = existing.slice(3, 5);

      const ops: Array<Promise<{ kind: string; res: ApiResponse }>> = [
        ...revokes.map(async (k) => ({
          kind: 'revoke',
          res: await lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin }),
        })),
        ...rotations.map(async (k) => ({
          kind: 'rotate',
          res: await lk.call('POST', `/v1/keys/${k.id}/rotate`, {
            token: lk.admin,
            body: { grace_period_seconds: 0 },
          }),
        })),
        ...Array.from({ length: 14 }, async (_, i) => ({
          kind: 'create',
          res: await lk.call('POST', '/v1/keys', {
            token: lk.admin,
            body: { name: `racer ${i}`, org_id: org },
          }),
        })),
      ];
      const results = await Promise.all(shuffle(ops));
      for (const r of results.filter((x) => x.kind === 'revoke')) expect(r.res.status).toBe(200);
      for (const r of results.filter((x) => x.kind === 'rotate')) expect(r.res.status).toBe(201);
      const creates = results.filter((x) => x.kind === 'create');
      const created = creates.filter((x) => x.res.status === 201).length;
      for (const r of creates.filter((x) => x.res.status !== 201)) {
        expect(r.res.status).toBe(409);
        expect((r.res.body as { error: { code: string } }).error.code).toBe('key_limit_reached');
      }
      // 6 existing − 3 revoked + created; rotations move a slot from the old key to the new one.
      const state = await orgState(org);
      expect(state.counter).toBe(state.active.length);
      expect(state.active.length).toBe(6 - 3 + created);
      expect(state.active.length).toBeLessThanOrEqual(10);
      // Whatever the interleaving, at least the slots free before any revoke were taken.
      expect(created).toBeGreaterThanOrEqual(4);
    });

    it('rotation racing revocation of the same key: the counter still equals the active keys', async () => {
      const org = `rr-${Date.now().toString(36)}`;
      expect(
        (await lk.call('PUT', `/v1/orgs/${org}`, { token: lk.admin, body: { max_keys: 5 } })).status,
      ).toBe(200);
      const keys = [];
      for (let i = 0; i < 4; i++) keys.push(await createKey(lk.call, lk.admin, { org_id: org }));
      const results = await Promise.all(
        keys.flatMap((k) => [
          lk.call('POST', `/v1/keys/${k.id}/rotate`, { token: lk.admin, body: { grace_period_seconds: 60 } }),
          lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin }),
          lk.call('POST', `/v1/keys/${k.id}/rotate`, { token: lk.admin, body: { grace_period_seconds: 0 } }),
        ]),
      );
      for (const r of results) expect([200, 201, 409], r.text).toContain(r.status);
      const state = await orgState(org);
      expect(state.counter).toBe(state.active.length);
      expect(state.active.length).toBeLessThanOrEqual(5);
      // Each key was rotated at most once: at most one 201 per key.
      for (let i = 0; i < keys.length; i++) {
        const rotated = [results[i * 3], results[i * 3 + 2]].filter((r) => r?.status === 201).length;
        expect(rotated).toBeLessThanOrEqual(1);
      }
    });

    it('five concurrent rotations of one key: exactly one new key, the others 409 conflict', async () => {
      const org = `rot-${Date.now().toString(36)}`;
      const k = await createKey(lk.call, lk.admin, { org_id: org });
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          lk.call<{ key?: { id: string }; error?: { code: string } }>('POST', `/v1/keys/${k.id}/rotate`, {
            token: lk.admin,
            body: { grace_period_seconds: 0 },
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(409);
        expect(r.body.error?.code).toBe('conflict');
      }
      const winner = results.find((r) => r.status === 201)?.body.key?.id as string;
      expect((await keyOf(k.id)).status).toBe('revoked');
      expect((await keyOf(winner)).status).toBe('active');
      // The losers created nothing: the organization holds exactly the winner.
      expect(await orgState(org)).toEqual({ counter: 1, active: [winner] });
    });
  });

  /** Traffic with one key (bearer and signed alternately) from `workers` loops until told to stop. */
  function useKey(token: string, workers: number, stop: () => boolean): Promise<Outcome[]> {
    return traffic(workers, stop, async (w, n) =>
      (w + n) % 2 === 0
        ? { label: 'bearer', res: await lk.call('GET', '/v1/echo/in-use', { token }) }
        : { label: 'signed', res: await signedCall(lk.call, token, 'GET', '/v1/echo/in-use') },
    );
  }

  describe('revoke while in use', () => {
    it('every request that starts after the revoke answered is refused; earlier ones pass; all passes are counted', async () => {
      const k = await createKey(lk.call, lk.admin);
      let done = false;
      const running = useKey(k.token, 6, () => done);
      await sleep(400);
      const revokeStarted = performance.now();
      const revoked = await lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin });
      const revokeDone = performance.now();
      expect(revoked.status).toBe(200);
      await sleep(400);
      done = true;
      const outcomes = await running;

      for (const o of outcomes) expect([200, refused], `${o.label} ${o.status}`).toContain(o.status);
      const before = outcomes.filter((o) => o.endedAt < revokeStarted);
      const after = outcomes.filter((o) => o.startedAt > revokeDone);
      expect(before.length).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
      for (const o of before) expect(o.status).toBe(200);
      for (const o of after) expect(o.status).toBe(refused);
      const passed = outcomes.filter((o) => o.status === 200).length;
      expect((await keyOf(k.id)).calls).toBe(passed);
    });
  });

  describe('rotate while in use', () => {
    it('grace 0: the old key stops for every request that starts after the rotation answered; the new key works at once', async () => {
      const k = await createKey(lk.call, lk.admin);
      let done = false;
      const running = useKey(k.token, 6, () => done);
      await sleep(400);
      const rotateStarted = performance.now();
      const rotated = await lk.call<{ raw_key: string }>('POST', `/v1/keys/${k.id}/rotate`, {
        token: lk.admin,
        body: { grace_period_seconds: 0 },
      });
      const rotateDone = performance.now();
      expect(rotated.status).toBe(201);
      const fresh = await Promise.all([
        lk.call('GET', '/v1/echo/new', { token: rotated.body.raw_key }),
        signedCall(lk.call, rotated.body.raw_key, 'GET', '/v1/echo/new'),
      ]);
      expect(fresh.map((r) => r.status)).toEqual([200, 200]);
      await sleep(400);
      done = true;
      const outcomes = await running;

      for (const o of outcomes) expect([200, refused]).toContain(o.status);
      for (const o of outcomes.filter((x) => x.endedAt < rotateStarted)) expect(o.status).toBe(200);
      const after = outcomes.filter((o) => o.startedAt > rotateDone);
      expect(after.length).toBeGreaterThan(0);
      for (const o of after) expect(o.status).toBe(refused);
    });

    it('with a grace period: the old key keeps working through and after the rotation, next to the new one', async () => {
      const k = await createKey(lk.call, lk.admin);
      let done = false;
      const running = useKey(k.token, 6, () => done);
      await sleep(300);
      const rotated = await lk.call<{ raw_key: string }>('POST', `/v1/keys/${k.id}/rotate`, {
        token: lk.admin,
        body: { grace_period_seconds: 120 },
      });
      expect(rotated.status).toBe(201);
      const alongside = useKey(rotated.body.raw_key, 2, () => done);
      await sleep(400);
      done = true;
      const [old, fresh] = await Promise.all([running, alongside]);
      expect(countBy(old, (o) => String(o.status))).toEqual({ 200: old.length });
      expect(countBy(fresh, (o) => String(o.status))).toEqual({ 200: fresh.length });
      expect((await keyOf(k.id)).calls).toBe(old.length);
    });
  });
});
