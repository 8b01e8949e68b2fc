import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { createDynamoClient } from '#lambda/aws/clients';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { createRuntime } from '#lambda/runtime/runtime';
import { startDynamoDbLocal } from '#local/dynamodb/process';
import { type LocalGateway, startLocalGateway } from '#local/gateway';
import { type LocalMode, startLocalMode } from '#local/local-mode';
import { type ApiResponse, type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { API_TYPES, type ApiType, REFUSALS } from '../helpers/refusals';
import {
  countBy,
  FAULTS,
  type FaultProxy,
  type FaultSwitch,
  faultyDynamo,
  type Outcome,
  signedCall,
  sleep,
  startFaultProxy,
  traffic,
} from './support';

/**
 * Fail closed under every way DynamoDB can fail, while traffic is flowing: zero requests allowed,
 * 5xx (503 service_unavailable) and never 401, nothing written by a failed request, recovery as soon
 * as the dependency is back, and no refusal remembered. Complements test/integration/fail-closed.test.ts
 * (one request at a time, faults thrown above the SDK's retry layer) with faults below it, concurrent
 * traffic, the signed path, real socket timeouts, and an outage in the middle of a stream of requests.
 */
type Integrations = Parameters<typeof startLocalGateway>[0]['integrations'];

/**
 * Exact verification: "nothing allowed while DynamoDB fails" is its promise. Bounded mode may answer a
 * hot key from a copy for up to the bound, then refuses; test/reliability/hot-keys.test.ts holds that.
 */
const EXACT = { LATCHKEY_VERIFY_MODE: 'exact' };

/** A gateway over `runtime` (management and echo integrations as in local mode), as a REST or HTTP API. */
function gatewayFor(
  runtime: ReturnType<typeof createRuntime>,
  apiType: ApiType = 'rest',
): Promise<LocalGateway> {
  return startLocalGateway({
    apiType,
    authorizer: createAuthorizerHandler(runtime),
    // The cast keeps this compiling if the route table grows handlers; only these two are called.
    integrations: { management: createManagementHandler(runtime), echo } as Integrations,
  });
}

async function callsOf(call: Call, admin: string, id: string): Promise<number> {
  const res = await call<{ key: { calls: number } }>('GET', `/v1/keys/${id}`, { token: admin });
  if (res.status !== 200) throw new Error(`reading key ${id}: ${res.status}`);
  return res.body.key.calls;
}

describe('DynamoDB errors below the SDK retry layer, under concurrent traffic', () => {
  let local: LocalMode;
  let call: Call;
  beforeAll(async () => {
    local = await startTestLatchkey({ settings: { ...EXACT, LATCHKEY_DEFAULT_RATE_LIMIT: '100000' } });
    call = client(local.url);
  });
  afterAll(() => local.stop());

  it.each(Object.keys(FAULTS))(
    '%s on every attempt: every request 503, nothing written; then the very same requests succeed',
    async (name) => {
      const fault: FaultSwitch = { rate: 1, fault: FAULTS[name] ?? null, attempts: 0, injected: 0 };
      const runtime = createRuntime(local.config, {
        secrets: local.secretsClient,
        dynamo: faultyDynamo(local, fault),
      });
      const gateway = await gatewayFor(runtime);
      try {
        const faulty = client(gateway.url);
        const k = await createKey(call, local.adminKey);
        const before = await callsOf(call, local.adminKey, k.id);
        // Signed requests are prepared once: after the outage the same headers must still pass,
        // proving that a refused request recorded neither its nonce nor its signature.
        const signedGet = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/during' });
        const signedPost = signRequest({
          token: k.token,
          method: 'POST',
          path: '/v1/echo/during',
          body: '{"a":1}',
        });
        const requests: Array<() => Promise<ApiResponse>> = [
          () => faulty('GET', '/v1/echo/during', { token: k.token }),
          () => faulty('GET', '/v1/echo/during', { authorization: signedGet.authorization }),
          () =>
            faulty('POST', '/v1/echo/during', {
              authorization: signedPost.authorization,
              headers: { 'content-digest': signedPost.contentDigest as string },
              rawBody: '{"a":1}',
            }),
          () => faulty('GET', '/v1/keys', { token: local.adminKey }),
          () => faulty('POST', '/v1/keys', { token: local.adminKey, body: { name: 'during the fault' } }),
          () => faulty('GET', '/v1/whoami', { token: k.token }),
        ];
        const during = await Promise.all([...requests, ...requests].map((r) => r()));
        for (const res of during) {
          expect(res.status, res.text).toBe(503);
          expect((res.body as { error: { code: string } }).error.code).toBe('service_unavailable');
          expect(res.text).not.toContain(FAULTS[name]?.message ?? '');
        }
        // The SDK retried (3 attempts per call at most), and every attempt failed.
        expect(fault.injected).toBe(fault.attempts);
        expect(fault.attempts).toBeGreaterThan(during.length);

        fault.rate = 0;
        expect(await callsOf(call, local.adminKey, k.id)).toBe(before);
        const after = await Promise.all(requests.map((r) => r()));
        expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200, 201, 200]);
        expect(await callsOf(call, local.adminKey, k.id)).toBe(before + 4);
      } finally {
        await gateway.close();
      }
    },
  );

  it.each(API_TYPES)(
    'intermittent faults (%s API): every answer is 200 or the dependency refusal, and exactly the allowed requests are counted',
    async (apiType) => {
      const refused = REFUSALS[apiType].dependency_failure.status;
      const fault: FaultSwitch = { rate: 0.5, fault: FAULTS.throttling ?? null, attempts: 0, injected: 0 };
      const runtime = createRuntime(local.config, {
        secrets: local.secretsClient,
        dynamo: faultyDynamo(local, fault),
      });
      const gateway = await gatewayFor(runtime, apiType);
      try {
        const faulty = client(gateway.url, { apiType });
        const keys = await Promise.all([createKey(call, local.adminKey), createKey(call, local.adminKey)]);
        const before = await Promise.all(keys.map((k) => callsOf(call, local.adminKey, k.id)));
        const mix = [
          FAULTS.throttling,
          FAULTS.internalServerError,
          FAULTS.requestTimeout,
          FAULTS.connectionReset,
        ];
        const deadline = Date.now() + 4_000;
        const outcomes = await traffic(
          6,
          () => Date.now() > deadline,
          async (w, n) => {
            fault.fault = mix[n % mix.length] ?? null;
            const k = keys[w % 2] as { id: string; token: string };
            const res =
              n % 2 === 0
                ? await faulty('GET', '/v1/echo/flaky', { token: k.token })
                : await signedCall(faulty, k.token, 'GET', '/v1/echo/flaky');
            return { label: k.id, res };
          },
        );
        fault.rate = 0;
        expect(countBy(outcomes, (o) => String(o.status))).toEqual(
          expect.objectContaining({ 200: expect.any(Number), [refused]: expect.any(Number) }),
        );
        for (const o of outcomes) expect([200, refused]).toContain(o.status);
        for (const [i, k] of keys.entries()) {
          const allowed = outcomes.filter((o) => o.label === k.id && o.status === 200).length;
          expect(await callsOf(call, local.adminKey, k.id)).toBe((before[i] as number) + allowed);
        }
      } finally {
        await gateway.close();
      }
    },
  );
});

describe('a stalled or refusing network path (real sockets)', () => {
  let local: LocalMode;
  beforeAll(async () => {
    local = await startTestLatchkey({ settings: EXACT });
  });
  afterAll(() => local.stop());

  /**
   * Stall: the proxy accepts the connection and never answers. Refuse: it accepts and resets.
   * Both must end in 503 (the SDK's timeout, then its retries, give up), then recover.
   */
  it('with request timeouts that throw (1 s, 3 attempts): 503 after the retries, then recovery', async () => {
    const dynamo = (endpoint: string) =>
      new DynamoDBClient({
        endpoint,
        ...local.dynamodbIdentity,
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true },
      });
    await stallThenRecoverWith(dynamo, 12_000);
  }, 40_000);

  /**
   * The production client (lambdas/aws/clients.ts) must end a stalled request itself: its
   * requestTimeout throws (throwOnRequestTimeout), so three attempts finish inside the authorizer's 5 s.
   */
  it('the production client (createDynamoClient) ends a stalled request within 8 s', async () => {
    await stallThenRecoverWith((endpoint) => createDynamoClient(endpoint, local.dynamodbIdentity), 8_000);
  }, 40_000);

  async function stallThenRecoverWith(make: (endpoint: string) => DynamoDBClient, guardMs: number) {
    const proxy = await startFaultProxy(local.dynamodbEndpoint);
    const dynamo = make(proxy.endpoint);
    const runtime = createRuntime(local.config, { secrets: local.secretsClient, dynamo });
    const gateway = await gatewayFor(runtime);
    try {
      await exercise(proxy, gateway.url, guardMs);
    } finally {
      proxy.mode = 'refuse';
      proxy.dropAll();
      await gateway.close();
      await proxy.close();
      dynamo.destroy();
    }
  }

  async function exercise(proxy: FaultProxy, url: string, guardMs: number) {
    const call = client(url);
    const k = await createKey(client(local.url), local.adminKey);
    expect((await call('GET', '/v1/echo/net', { token: k.token })).status).toBe(200);

    proxy.mode = 'stall';
    proxy.dropAll(); // kept-alive connections would otherwise bypass the new mode
    const guard = sleep(guardMs).then(() => 'still waiting' as const);
    const stalled = await Promise.race([
      Promise.all([
        call('GET', '/v1/echo/net', { token: k.token }),
        signedCall(call, k.token, 'GET', '/v1/echo/net'),
      ]),
      guard,
    ]);
    // Not a performance assertion: a stalled dependency must end in a refusal, not a hang.
    if (stalled === 'still waiting')
      throw new Error(`a stalled DynamoDB hung the request for over ${guardMs} ms`);
    for (const res of stalled) expect(res.status).toBe(503);

    proxy.mode = 'refuse';
    proxy.dropAll();
    expect((await call('GET', '/v1/echo/net', { token: k.token })).status).toBe(503);

    proxy.mode = 'pass';
    expect((await call('GET', '/v1/echo/net', { token: k.token })).status).toBe(200);
    expect((await signedCall(call, k.token, 'GET', '/v1/echo/net')).status).toBe(200);
  }
});

describe('DynamoDB Local stopped and restarted in the middle of a stream of requests', () => {
  let dataDir: string;
  let local: LocalMode;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-reliability-outage-'));
    local = await startLocalMode({
      dataDir,
      settings: { ...EXACT, LATCHKEY_DEFAULT_RATE_LIMIT: '100000', LATCHKEY_DEFAULT_MAX_KEYS: '1000000' },
    });
  });
  afterAll(async () => {
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('allows nothing while it is down, never says 401, and serves every key again once it is back', async () => {
    const call = client(local.url);
    const admin = local.adminKey;
    const [probeKey, ...keys] = await Promise.all([
      createKey(call, admin),
      createKey(call, admin),
      createKey(call, admin),
    ]);
    const ddb = local.dynamodb;
    if (ddb === null) throw new Error('expected local mode to own its DynamoDB Local');
    const port = ddb.port;

    const marks = {
      stopped: Number.POSITIVE_INFINITY,
      restarting: Number.POSITIVE_INFINITY,
      back: Number.POSITIVE_INFINITY,
    };
    let done = false;
    const created: Array<{ id: string; token: string }> = [];
    const run = traffic(
      6,
      () => done,
      async (w, n) => {
        const k = keys[w % 2] as { id: string; token: string };
        switch ((w + n) % 4) {
          case 0:
            return { label: `bearer:${k.id}`, res: await call('GET', '/v1/echo/stream', { token: k.token }) };
          case 1:
            return {
              label: `signed:${k.id}`,
              res: await signedCall(call, k.token, 'GET', '/v1/echo/stream'),
            };
          case 2:
            return { label: 'admin-list', res: await call('GET', '/v1/keys?limit=5', { token: admin }) };
          default: {
            const res = await call<{ key: { id: string }; raw_key: string }>('POST', '/v1/keys', {
              token: admin,
              body: { name: `stream ${w}-${n}` },
            });
            if (res.status === 201) created.push({ id: res.body.key.id, token: res.body.raw_key });
            return { label: 'create', res };
          }
        }
      },
    );

    await sleep(1_000);
    await ddb.stop();
    marks.stopped = performance.now();
    await sleep(2_000);
    marks.restarting = performance.now();
    const restarted = await startDynamoDbLocal({
      port,
      dataDir: join(dataDir, 'dynamodb'),
      credential: local.dynamodbIdentity.credentials,
    });
    marks.back = performance.now();
    try {
      // The first request through after the restart marks recovery (bounded: a loaded machine takes a
      // few seconds to reconnect); from then on every request must succeed.
      const deadline = performance.now() + 20_000;
      while (performance.now() < deadline) {
        const probe = await call('GET', '/v1/echo/probe', { token: (probeKey as { token: string }).token });
        if (probe.status === 200) break;
        await sleep(200);
      }
      marks.back = performance.now();
      await sleep(2_500);
      done = true;
      const outcomes: Outcome[] = await run;

      const byStatus = countBy(outcomes, (o) => String(o.status));
      expect(
        Object.keys(byStatus).every((s) => ['200', '201', '503'].includes(s)),
        JSON.stringify(byStatus),
      ).toBe(true);
      const down = outcomes.filter((o) => o.startedAt > marks.stopped && o.endedAt < marks.restarting);
      expect(down.length).toBeGreaterThan(0);
      // Admin requests to the echo route would pass without DynamoDB; none are in this mix.
      for (const o of down) expect(o.status, o.label).toBe(503);
      for (const o of outcomes.filter((x) => x.status === 503)) expect(o.code).toBe('service_unavailable');
      const afterBack = outcomes.filter((o) => o.startedAt > marks.back + 500);
      expect(afterBack.length).toBeGreaterThan(0);
      for (const o of afterBack) expect([200, 201], o.label).toContain(o.status);

      // Usage: everything allowed was counted; only requests cut off mid-write may be counted and refused.
      for (const k of keys) {
        const mine = outcomes.filter((o) => o.label.endsWith(k.id));
        const allowed = mine.filter((o) => o.status === 200).length;
        const failed = mine.filter((o) => o.status === 503).length;
        const calls = await callsOf(call, admin, k.id);
        expect(calls).toBeGreaterThanOrEqual(allowed);
        expect(calls).toBeLessThanOrEqual(allowed + failed);
      }
      // Every key created (201) before, during or after the outage is there and usable.
      expect(created.length).toBeGreaterThan(0);
      const checks = await Promise.all(
        created.map((k) => call('GET', '/v1/echo/after', { token: k.token }).then((r) => r.status)),
      );
      expect(
        checks.every((s) => s === 200),
        JSON.stringify(checks),
      ).toBe(true);
    } finally {
      done = true;
      await run.catch(() => undefined);
      await restarted.stop();
    }
  }, 90_000);
});
