/**
 * gateway: requests/s and latency through the local API Gateway at a fixed concurrency, for
 * `GET /v1/echo/x` behind the real authorizer (bearer, and signed), and for the same route behind a
 * baseline authorizer that allows everything without looking (a static answer): the difference is
 * what authentication costs end to end on this machine. The same phases run through the local gateway
 * as a REST API (payload format 1.0, IAM policies) and as an HTTP API (2.0, simple responses), on the
 * same runtime and table: what differs is the event translation and the answer.
 *
 * The load generator runs in a worker thread (its own event loop) with keep-alive connections.
 */
import { Worker } from 'node:worker_threads';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type AuthorizerResult, buildAllowPolicy } from '#core/policy';
import { type Principal, principalContext } from '#core/principal';
import type { RouteHandler } from '#core/routes';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { type IntegrationFn, startLocalGateway } from '#local/gateway';
import { percentile, progress, round } from './lib';
import type { Bench } from './setup';

export interface GatewayFigures {
  concurrency: number;
  seconds_per_phase: number;
  auth_rps: number;
  noauth_rps: number;
  signed_rps: number;
  auth_p50_ms: number;
  auth_p99_ms: number;
  noauth_p50_ms: number;
  noauth_p99_ms: number;
  signed_p50_ms: number;
  signed_p99_ms: number;
  /** The same concurrency of bare conditional UpdateItems straight to DynamoDB Local: its ceiling here. */
  ddb_floor_rps: number;
  ddb_floor_p99_ms: number;
  non_200: number;
  /** The same phases through the local gateway answering as an HTTP API (payload format 2.0). */
  http: {
    auth_rps: number;
    noauth_rps: number;
    signed_rps: number;
    auth_p50_ms: number;
    auth_p99_ms: number;
    noauth_p50_ms: number;
    noauth_p99_ms: number;
    signed_p50_ms: number;
    signed_p99_ms: number;
  };
}

const LOAD_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const crypto = require('node:crypto');
const { url, path, concurrency, warmupMs, durationMs, tokens, scheme } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function authorization(i) {
  const token = tokens[i % tokens.length];
  if (scheme !== 'armor') return 'Bearer ' + token;
  const keyId = token.split('_')[1];
  const nonce = crypto.randomBytes(16).toString('hex');
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = crypto.createHmac('sha512', Buffer.from(token, 'utf8')).update(keyId + 'GET' + path + nonce + ts).digest('base64');
  return 'ARMOR-PSK ' + keyId + ':' + sig + ':' + nonce + ':' + ts;
}
function once(i) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: target.hostname, port: target.port, path, method: 'GET', agent, headers: { authorization: authorization(i) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode, performance.now() - t0]));
      },
    );
    req.on('error', () => resolve([0, performance.now() - t0]));
    req.end();
  });
}
const latencies = [];
const statuses = {};
async function loop(i, until, record) {
  while (performance.now() < until) {
    const [status, ms] = await once(i);
    if (!record) continue;
    latencies.push(ms);
    statuses[status] = (statuses[status] || 0) + 1;
  }
}
(async () => {
  const workers = Array.from({ length: concurrency }, (_, i) => i);
  const warmEnd = performance.now() + warmupMs;
  await Promise.all(workers.map((i) => loop(i, warmEnd, false)));
  const start = performance.now();
  await Promise.all(workers.map((i) => loop(i, start + durationMs, true)));
  const elapsed = performance.now() - start;
  agent.destroy();
  parentPort.postMessage({ latencies, statuses, elapsed });
})();
`;

interface PhaseResult {
  latencies: number[];
  statuses: Record<string, number>;
  elapsed: number;
}

function runPhase(data: {
  url: string;
  path: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  tokens: string[];
  scheme: 'bearer' | 'armor';
}): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: data });
    worker.once('message', (m: PhaseResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

export async function benchGateway(
  bench: Bench,
  options: { concurrency: number; seconds: number; rounds: number },
): Promise<GatewayFigures> {
  const { local } = bench;
  // One key per connection: a real deployment spreads hot traffic over keys (one item takes
  // ~1,000 writes/s on DynamoDB), and each key's rate limit stays far away.
  const tokens: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < options.concurrency; i++) {
    const key = await bench.createKey({ name: `gw ${i}` });
    tokens.push(key.token);
    ids.push(key.id);
  }
  const ddbFloor = async (): Promise<PhaseResult> => {
    const dynamo = local.runtime.dynamo;
    const latencies: number[] = [];
    const loop = async (i: number, until: number, record: boolean) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await dynamo.send(
          new UpdateItemCommand({
            TableName: local.tableName,
            Key: { pk: { S: `KEY#${ids[i]}` }, sk: { S: 'KEY' } },
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: 'SET calls = calls + :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (record) latencies.push(performance.now() - t0);
      }
    };
    const all = ids.map((_, i) => i);
    const warm = performance.now() + 1_000;
    await Promise.all(all.map((i) => loop(i, warm, false)));
    const start = performance.now();
    await Promise.all(all.map((i) => loop(i, start + options.seconds * 1000, true)));
    return { latencies, statuses: { 200: latencies.length }, elapsed: performance.now() - start };
  };

  const fixed: Principal = {
    type: 'key',
    keyId: 'baseline00000000',
    orgId: 'default',
    permissions: ['api:read'],
  };
  let staticPolicy: AuthorizerResult | undefined;
  const integrations = { management: createManagementHandler(local.runtime), echo } as Record<
    RouteHandler,
    IntegrationFn
  >;
  const baseline = await startLocalGateway({
    authorizer: async (event) => {
      staticPolicy ??= buildAllowPolicy(
        fixed,
        fixed.keyId,
        (event as APIGatewayRequestAuthorizerEvent).methodArn,
        principalContext(fixed, 'bearer'),
      );
      return staticPolicy;
    },
    // Only the echo route is called; the cast keeps this compiling if handlers are added.
    integrations,
  });
  // The HTTP API: the real authorizer on the same runtime, and a baseline that says yes without looking.
  const httpApi = await startLocalGateway({
    apiType: 'http',
    authorizer: createAuthorizerHandler(local.runtime),
    integrations,
  });
  const httpStatic = { isAuthorized: true, context: principalContext(fixed, 'bearer') };
  const httpBaseline = await startLocalGateway({
    apiType: 'http',
    authorizer: async () => httpStatic,
    integrations,
  });

  type Phase = 'auth' | 'noauth' | 'signed' | 'ddb' | 'http_auth' | 'http_noauth' | 'http_signed';
  const samples: Record<Phase, PhaseResult[]> = {
    auth: [],
    noauth: [],
    signed: [],
    ddb: [],
    http_auth: [],
    http_noauth: [],
    http_signed: [],
  };
  const urls: Record<Exclude<Phase, 'ddb'>, string> = {
    auth: local.url,
    signed: local.url,
    noauth: baseline.url,
    http_auth: httpApi.url,
    http_signed: httpApi.url,
    http_noauth: httpBaseline.url,
  };
  try {
    const phase = (url: string, scheme: 'bearer' | 'armor') =>
      runPhase({
        url,
        path: '/v1/echo/x',
        concurrency: options.concurrency,
        warmupMs: 1_000,
        durationMs: options.seconds * 1000,
        tokens,
        scheme,
      });
    for (let r = 0; r < options.rounds; r++) {
      // Alternate the order between rounds so that neither side always runs on a warmer machine.
      const forward: Phase[] = ['auth', 'http_auth', 'noauth', 'http_noauth', 'signed', 'http_signed', 'ddb'];
      const order = r % 2 === 0 ? forward : [...forward].reverse();
      for (const name of order) {
        progress('gateway', `round ${r + 1}/${options.rounds}: ${name}`);
        if (name === 'ddb') {
          samples.ddb.push(await ddbFloor());
          continue;
        }
        const signed = name === 'signed' || name === 'http_signed';
        samples[name].push(await phase(urls[name], signed ? 'armor' : 'bearer'));
      }
    }
  } finally {
    await Promise.all([baseline.close(), httpApi.close(), httpBaseline.close()]);
  }

  const summarize = (results: PhaseResult[]) => {
    const latencies = results.flatMap((r) => r.latencies);
    const elapsed = results.reduce((a, r) => a + r.elapsed, 0);
    let non200 = 0;
    for (const r of results) for (const [s, n] of Object.entries(r.statuses)) if (s !== '200') non200 += n;
    return {
      rps: round(latencies.length / (elapsed / 1000), 0),
      p50: round(percentile(latencies, 50), 2),
      p99: round(percentile(latencies, 99), 2),
      non200,
    };
  };
  const auth = summarize(samples.auth);
  const noauth = summarize(samples.noauth);
  const signed = summarize(samples.signed);
  const ddb = summarize(samples.ddb);
  const httpAuth = summarize(samples.http_auth);
  const httpNoauth = summarize(samples.http_noauth);
  const httpSigned = summarize(samples.http_signed);
  return {
    concurrency: options.concurrency,
    seconds_per_phase: options.seconds,
    auth_rps: auth.rps,
    noauth_rps: noauth.rps,
    signed_rps: signed.rps,
    auth_p50_ms: auth.p50,
    auth_p99_ms: auth.p99,
    noauth_p50_ms: noauth.p50,
    noauth_p99_ms: noauth.p99,
    signed_p50_ms: signed.p50,
    signed_p99_ms: signed.p99,
    ddb_floor_rps: ddb.rps,
    ddb_floor_p99_ms: ddb.p99,
    non_200:
      auth.non200 + noauth.non200 + signed.non200 + httpAuth.non200 + httpNoauth.non200 + httpSigned.non200,
    http: {
      auth_rps: httpAuth.rps,
      noauth_rps: httpNoauth.rps,
      signed_rps: httpSigned.rps,
      auth_p50_ms: httpAuth.p50,
      auth_p99_ms: httpAuth.p99,
      noauth_p50_ms: httpNoauth.p50,
      noauth_p99_ms: httpNoauth.p99,
      signed_p50_ms: httpSigned.p50,
      signed_p99_ms: httpSigned.p99,
    },
  };
}
