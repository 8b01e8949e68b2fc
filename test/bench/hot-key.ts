/**
 * `npm run bench` → `hot_key`: one key past DynamoDB's per-item throughput, in both verification modes,
 * over a fleet of simulated authorizer instances (test/reliability/hot-key-sim.ts: the per-item limit
 * simulated at 1:25 scale, 40 writes a second, inside the SDK's retries, against DynamoDB Local).
 *
 * For each mode:
 *   offered, allowed, status_503, p50_ms, p99_ms   one key offered three times the item limit
 *   ddb_calls_per_1k, wru_per_1k                    DynamoDB commands and write units per 1,000 requests
 *   revocation_lag_ms                               a key used 60 times a second is revoked mid-traffic:
 *                                                   the last allowed request's arrival after the revoke
 *   overshoot_pct                                   a 600-a-minute limit offered 300 a second (one window)
 *   fleet                                           10 instances using one key together (a warm-up, a
 *                                                   trickle, then all flat out at once), limits of 600 and
 *                                                   1,200 a minute: instances, allowed, overshoot_pct each
 */

import type { VerifyMode } from '#core/settings';
import {
  clockInFreshWindow,
  FLEET_BURST,
  FLEET_BURST_LIMITS,
  Fleet,
  fleetBurst,
  ItemThroughput,
  offer,
  summarize,
} from '../reliability/hot-key-sim';
import type { Bench } from './setup';

const ITEM_WRITES_PER_SECOND = 40;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface HotKeyFigures {
  offered: number;
  allowed: number;
  status_503: number;
  p50_ms: number;
  p99_ms: number;
  ddb_calls_per_1k: number;
  wru_per_1k: number;
  instances: number;
  revocation_lag_ms: number;
  overshoot_pct: number;
  fleet: FleetFigures[];
}

/** One limit under the fleet scenario: over it by `overshoot_pct` (negative: the window was not used up). */
export interface FleetFigures {
  limit: number;
  instances: number;
  allowed: number;
  overshoot_pct: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

async function throughput(bench: Bench, mode: VerifyMode, seconds: number) {
  const items = new ItemThroughput(ITEM_WRITES_PER_SECOND);
  const fleet = new Fleet({
    runtime: bench.local.runtime,
    dynamodbIdentity: bench.local.dynamodbIdentity,
    mode,
    items,
  });
  const key = await bench.createKey();
  const served = await offer(fleet, ITEM_WRITES_PER_SECOND * 3, seconds * 1000, () => `Bearer ${key.token}`);
  const figures = summarize(served);
  return {
    ...figures,
    ddb_calls_per_1k: r1((fleet.calls.count / figures.offered) * 1000),
    wru_per_1k: r1((items.wru / figures.offered) * 1000),
    instances: fleet.size,
  };
}

async function revocationLag(bench: Bench, mode: VerifyMode): Promise<number> {
  const fleet = new Fleet({
    runtime: bench.local.runtime,
    dynamodbIdentity: bench.local.dynamodbIdentity,
    mode,
    items: new ItemThroughput(1000),
  });
  const key = await bench.createKey();
  const started = performance.now();
  let revokedAt = Number.POSITIVE_INFINITY;
  const revoke = (async () => {
    await sleep(1500);
    const res = await fetch(`${bench.local.url}/v1/keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bench.local.adminKey}` },
    });
    if (res.status !== 200) throw new Error(`revoking the bench key failed: ${res.status}`);
    revokedAt = performance.now() - started;
  })();
  const served = await offer(fleet, 60, 3500, () => `Bearer ${key.token}`, started);
  await revoke;
  const late = served.filter((s) => s.answer === 'allow' && s.at >= revokedAt).map((s) => s.at - revokedAt);
  return r1(Math.max(0, ...late));
}

async function overshoot(bench: Bench, mode: VerifyMode): Promise<number> {
  // One second into a fresh minute window (a clock offset), so that the run stays inside one window.
  const start = Date.now();
  const offset = Math.ceil(start / 60_000) * 60_000 + 1000 - start;
  const fleet = new Fleet({
    runtime: bench.local.runtime,
    dynamodbIdentity: bench.local.dynamodbIdentity,
    mode,
    items: new ItemThroughput(1000),
    now: () => Date.now() + offset,
  });
  const key = await bench.createKey({ rate_limit_per_minute: 600 });
  const figures = summarize(await offer(fleet, 300, 3000, () => `Bearer ${key.token}`));
  return r1(((figures.allowed - 600) / 600) * 100);
}

async function fleet(bench: Bench, mode: VerifyMode): Promise<FleetFigures[]> {
  const figures: FleetFigures[] = [];
  for (const limit of FLEET_BURST_LIMITS) {
    const fleet = new Fleet({
      runtime: bench.local.runtime,
      dynamodbIdentity: bench.local.dynamodbIdentity,
      mode,
      items: new ItemThroughput(1000),
      now: clockInFreshWindow(),
    });
    const key = await bench.createKey({ rate_limit_per_minute: limit });
    const run = await fleetBurst(fleet, `Bearer ${key.token}`, FLEET_BURST);
    figures.push({
      limit,
      instances: run.instances,
      allowed: run.allowed,
      overshoot_pct: r1(((run.allowed - limit) / limit) * 100),
    });
  }
  return figures;
}

export async function benchHotKey(
  bench: Bench,
  options: { seconds: number },
): Promise<Record<VerifyMode, HotKeyFigures> & { item_writes_per_second: number; scale: string }> {
  const result = { item_writes_per_second: ITEM_WRITES_PER_SECOND, scale: '1:25' } as Record<
    VerifyMode,
    HotKeyFigures
  > & { item_writes_per_second: number; scale: string };
  for (const mode of ['exact', 'bounded'] as const) {
    const load = await throughput(bench, mode, options.seconds);
    result[mode] = {
      offered: load.offered,
      allowed: load.allowed,
      status_503: load.status_503,
      p50_ms: load.p50_ms,
      p99_ms: load.p99_ms,
      ddb_calls_per_1k: load.ddb_calls_per_1k,
      wru_per_1k: load.wru_per_1k,
      instances: load.instances,
      revocation_lag_ms: await revocationLag(bench, mode),
      overshoot_pct: await overshoot(bench, mode),
      fleet: await fleet(bench, mode),
    };
  }
  return result;
}
