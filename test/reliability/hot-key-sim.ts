/**
 * DynamoDB's per-item throughput, simulated, and a fleet of authorizer instances to push one key past
 * it — for the hot-key scenarios (test/reliability/hot-keys.test.ts) and `npm run bench`'s `hot_key`
 * section. The parts:
 *
 * - `ItemThroughput`: a token bucket per item (table key), refilled at a per-item write rate and holding
 *   one second of it. A write costs 1 WRU (a transaction's write 2), a strongly consistent read ⅓
 *   (1 WRU = 3 RRU, DynamoDB's per-partition 1,000 WCU / 3,000 RCU). A conditional write that fails
 *   still costs its unit, as on DynamoDB.
 * - `limitThroughput(client, items)`: SDK middleware placed after the retry middleware, so it runs on
 *   every attempt *inside* the SDK's retries: an attempt over an item's budget fails as DynamoDB fails it
 *   (`ProvisionedThroughputExceededException`; a transaction: `TransactionCanceledException` with
 *   `ThrottlingError`) and the SDK backs off and retries as it would against AWS. Everything else goes
 *   on to DynamoDB Local.
 * - `Fleet`: authorizer instances as Lambda runs them — each handles one request at a time; a request
 *   goes to an idle instance, or a new one is started (up to a maximum). Each has its own DynamoDB
 *   client (with the simulator) and its own hot-key state, and all share DynamoDB Local and the secrets.
 * - `offer(fleet, …)`: requests at a fixed rate for a duration, whatever the answers, with each
 *   request's arrival time, latency and outcome.
 * - `fleetBurst(fleet, …)`: a fixed number of instances using one key together — a few quick requests on
 *   each, a trickle, then every instance flat out at once — for a rate limit across instances.
 */
import {
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { ApiType, VerifyMode } from '#core/settings';
import { RATE_WINDOW_MS } from '#core/usage-store';
import { createDynamoClient, type FixedIdentity } from '#lambda/aws/clients';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import type { Runtime } from '#lambda/runtime/runtime';
import { authorizerEvent, httpAuthorizerEvent } from '../helpers/authorizer-event';
import { onDynamoCommand } from '../helpers/dynamo-commands';

/** The sample application's route, as an HTTP API's `routeKey` names it (lib/core/routes.ts). */
const ECHO_ROUTE_KEY = 'ANY /v1/echo/{proxy+}';

/** Read units per write unit (DynamoDB: 1,000 WCU and 3,000 RCU per partition). */
const RRU_PER_WRU = 3;

type Key = Record<string, { S?: string }>;
const itemName = (key: Key | undefined) => `${key?.pk?.S ?? '?'}|${key?.sk?.S ?? '?'}`;

export class ItemThroughput {
  /** Write units consumed (failed conditions included), and attempts refused for throughput. */
  wru = 0;
  throttled = 0;
  /** Write attempts that timed out on the way back: applied or not, nobody can tell (a loaded machine). */
  timedOutWrites = 0;
  /** Switched on to fail every request as an unreachable DynamoDB would (a dependency outage). */
  outage = false;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** @param writesPerSecond the per-item write rate (DynamoDB: about 1,000). */
  constructor(readonly writesPerSecond: number) {}

  /** Takes `units` read units from each item's bucket, all or nothing. */
  take(charges: Array<[string, number]>, now = performance.now()): boolean {
    const capacity = this.writesPerSecond * RRU_PER_WRU;
    const states = charges.map(([item, units]) => {
      let bucket = this.buckets.get(item);
      if (bucket === undefined) {
        bucket = { tokens: capacity, at: now };
        this.buckets.set(item, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * capacity);
      bucket.at = now;
      return { bucket, units };
    });
    if (states.some(({ bucket, units }) => bucket.tokens < units)) {
      this.throttled++;
      return false;
    }
    for (const { bucket, units } of states) bucket.tokens -= units;
    this.wru += charges.reduce((sum, [, units]) => sum + units, 0) / RRU_PER_WRU;
    return true;
  }
}

/** What one request costs each item it touches, in read units. */
function chargesOf(command: string, input: Record<string, unknown>): Array<[string, number]> {
  switch (command) {
    case 'UpdateItemCommand':
    case 'PutItemCommand':
    case 'DeleteItemCommand':
      return [[itemName((input.Key ?? input.Item) as Key), RRU_PER_WRU]];
    case 'GetItemCommand':
      return [[itemName(input.Key as Key), input.ConsistentRead ? 1 : 0.5]];
    case 'TransactWriteItemsCommand':
      return (input.TransactItems as Array<Record<string, { Key?: Key; Item?: Key }>>).map((part) => {
        const op = Object.values(part)[0];
        return [itemName(op?.Key ?? op?.Item), 2 * RRU_PER_WRU];
      });
    default:
      return [];
  }
}

const $metadata = { httpStatusCode: 400, requestId: 'throughput-simulator', attempts: 1, totalRetryDelay: 0 };

/** Puts the per-item limit inside `client`'s retries (see the file comment). Counts commands sent. */
export function limitThroughput(
  client: DynamoDBClient,
  items: ItemThroughput,
  calls: { count: number },
): void {
  onDynamoCommand(client, () => {
    calls.count++;
  });
  type Middleware = Parameters<typeof client.middlewareStack.addRelativeTo>[0];
  client.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: unknown }) => {
        if (items.outage) {
          const error = new Error('connect ECONNREFUSED (simulated outage)') as Error & { code: string };
          error.code = 'ECONNREFUSED';
          throw error;
        }
        const command = context.commandName ?? '';
        const charges = chargesOf(command, args.input as Record<string, unknown>);
        if (charges.length > 0 && !items.take(charges)) {
          if (command === 'TransactWriteItemsCommand') {
            throw new TransactionCanceledException({
              message:
                'Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]',
              $metadata,
              CancellationReasons: charges.map(() => ({
                Code: 'ThrottlingError',
                Message:
                  'Throughput exceeds the current capacity for one or more global secondary indexes or the table',
              })),
            });
          }
          throw new ProvisionedThroughputExceededException({
            message:
              'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
            $metadata,
          });
        }
        try {
          return await next(args);
        } catch (error) {
          // A write whose answer never came may have been applied (and the SDK then retries it).
          if (charges.length > 0 && command !== 'GetItemCommand' && (error as Error).name === 'TimeoutError')
            items.timedOutWrites++;
          throw error;
        }
      }) as unknown as Middleware,
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'itemThroughputLimit' },
  );
}

/**
 * An authorizer's answer. Behind a REST API a refusal says why (a Deny for the rate limit, `Unauthorized`
 * for a credential); behind an HTTP API every refusal is the same `isAuthorized: false`: `refused`.
 */
export type Answer = 'allow' | 'rate_limited' | 'unauthorized' | 'refused' | 'unavailable';

export interface FleetOptions {
  /** The runtime of local mode (config, secrets); each instance gets its own DynamoDB client. */
  runtime: Runtime;
  /** Local mode's DynamoDB identity (its database in DynamoDB Local), for those clients. */
  dynamodbIdentity: FixedIdentity;
  mode: VerifyMode;
  /** The API in front of the instances, whose event shape they are sent (default `rest`). */
  apiType?: ApiType;
  boundMs?: number;
  items: ItemThroughput;
  maxInstances?: number;
  now?: () => number;
}

interface Instance {
  busy: boolean;
  authorize: ReturnType<typeof createAuthorizerHandler>;
}

export class Fleet {
  readonly calls = { count: 0 };
  private readonly instances: Instance[] = [];
  private readonly waiting: Array<(instance: Instance) => void> = [];

  constructor(private readonly options: FleetOptions) {}

  get apiType(): ApiType {
    return this.options.apiType ?? 'rest';
  }

  get size(): number {
    return this.instances.length;
  }

  /** One authorizer invocation with this Authorization value, on an idle (or a new) instance. */
  async authorize(authorization: string, method = 'GET', path = '/v1/echo/hot'): Promise<Answer> {
    const instance = await this.acquire();
    try {
      return await answerOf(instance, this.apiType, authorization, method, path);
    } finally {
      this.release(instance);
    }
  }

  /**
   * One invocation on instance `index` (started, with any before it, if need be), whether or not it is
   * busy: the caller sends each instance one request at a time, as Lambda would.
   */
  authorizeOn(index: number, authorization: string): Promise<Answer> {
    while (this.instances.length <= index) this.instances.push({ busy: false, authorize: this.start() });
    return answerOf(this.instances[index] as Instance, this.apiType, authorization, 'GET', '/v1/echo/hot');
  }

  /** One request on every instance in turn (each then writes what it had counted, as traffic would make it). */
  async onEach(authorization: string): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (const instance of this.instances) {
      answers.push(await answerOf(instance, this.apiType, authorization, 'GET', '/v1/echo/hot'));
    }
    return answers;
  }

  private async acquire(): Promise<Instance> {
    const idle = this.instances.find((i) => !i.busy);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.instances.length < (this.options.maxInstances ?? 32)) {
      const instance = { busy: true, authorize: this.start() };
      this.instances.push(instance);
      return instance;
    }
    return new Promise<Instance>((resolve) => this.waiting.push(resolve));
  }

  private release(instance: Instance): void {
    const next = this.waiting.shift();
    if (next) next(instance);
    else instance.busy = false;
  }

  private start(): ReturnType<typeof createAuthorizerHandler> {
    const { runtime, mode, boundMs, items, now } = this.options;
    const dynamo = createDynamoClient(runtime.config.dynamodbEndpoint, this.options.dynamodbIdentity);
    limitThroughput(dynamo, items, this.calls);
    return createAuthorizerHandler({
      ...runtime,
      config: { ...runtime.config, verifyMode: mode, hotKeyBoundMs: boundMs ?? runtime.config.hotKeyBoundMs },
      dynamo,
      now: now ?? runtime.now,
    });
  }
}

async function answerOf(
  instance: Instance,
  apiType: ApiType,
  authorization: string,
  method: string,
  path: string,
): Promise<Answer> {
  try {
    if (apiType === 'http') {
      // The HTTP API names the route that matched: every path here is under the sample application's.
      const simple = await instance.authorize(
        httpAuthorizerEvent(authorization, method, path, ECHO_ROUTE_KEY),
      );
      return simple.isAuthorized ? 'allow' : 'refused';
    }
    const result = await instance.authorize(authorizerEvent(authorization, method, path));
    return result.policyDocument.Statement.some((s) => s.Effect === 'Allow') ? 'allow' : 'rate_limited';
  } catch (error) {
    return (error as Error).message === 'Unauthorized' ? 'unauthorized' : 'unavailable';
  }
}

/**
 * A clock `intoWindowMs` into a fresh rate-limit window from now on (the real clock plus an offset), so
 * that a run shorter than a minute less that stays inside one window.
 */
export function clockInFreshWindow(intoWindowMs = 1000): () => number {
  const start = Date.now();
  const offset = Math.ceil(start / RATE_WINDOW_MS) * RATE_WINDOW_MS + intoWindowMs - start;
  return () => Date.now() + offset;
}

export interface FleetBurstOptions {
  /** Instances using the key, each one request at a time. */
  instances: number;
  /** Quick requests on each instance first (at once on all), enough to make the key hot everywhere. */
  warmup: number;
  /** Then one request per instance per second, until this long after the start. */
  trickleMs: number;
  /**
   * Then every instance flat out, all at once, until this long after the first refusal for the limit
   * (or, if the limit is never reached, `maxBurstMs`).
   */
  burstMs: number;
  maxBurstMs: number;
}

/** The fleet scenario of the reliability suite and the bench (security finding N1), and its limits. */
export const FLEET_BURST: FleetBurstOptions = {
  instances: 10,
  warmup: 12,
  trickleMs: 6000,
  burstMs: 1000,
  maxBurstMs: 20_000,
};
export const FLEET_BURST_LIMITS = [600, 1200] as const;

/** Answers of a fleet burst, in all, and the burst's own. */
export interface FleetBurstFigures {
  instances: number;
  offered: number;
  allowed: number;
  rate_limited: number;
  unauthorized: number;
  refused: number;
  status_503: number;
  burst: { offered: number; allowed: number };
}

/**
 * Several instances using one key together, the way a limit can slip between them: each instance first
 * sees the key used a little (a warm-up, then a trickle: little use of its own), then they all burst at
 * once with most of the window's budget left, past the point where it runs out. Each instance's loop
 * waits for its answer before the next.
 */
export async function fleetBurst(
  fleet: Fleet,
  authorization: string,
  options: FleetBurstOptions,
): Promise<FleetBurstFigures> {
  const counts = { allow: 0, rate_limited: 0, unauthorized: 0, refused: 0, unavailable: 0 } satisfies Record<
    Answer,
    number
  >;
  const burst = { offered: 0, allowed: 0 };
  let bursting = false;
  let end = Number.POSITIVE_INFINITY;
  const send = async (index: number) => {
    const answer = await fleet.authorizeOn(index, authorization);
    counts[answer]++;
    if (answer === 'rate_limited' || answer === 'refused')
      end = Math.min(end, performance.now() + options.burstMs);
    if (bursting) {
      burst.offered++;
      if (answer === 'allow') burst.allowed++;
    }
  };
  const each = (run: (index: number) => Promise<void>) =>
    Promise.all(Array.from({ length: options.instances }, (_, index) => run(index)));
  const started = performance.now();
  await each(async (index) => {
    for (let i = 0; i < options.warmup; i++) await send(index);
  });
  await each(async (index) => {
    // Spread over the second, so the instances do not trickle in step.
    let next = started + 1000 + (index * 1000) / options.instances;
    while (next < started + options.trickleMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      await send(index);
      next += 1000;
    }
  });
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, started + options.trickleMs - performance.now())),
  );
  bursting = true;
  const last = performance.now() + options.maxBurstMs;
  await each(async (index) => {
    while (performance.now() < Math.min(end, last)) await send(index);
  });
  return {
    instances: fleet.size,
    offered: Object.values(counts).reduce((a, b) => a + b, 0),
    allowed: counts.allow,
    rate_limited: counts.rate_limited,
    unauthorized: counts.unauthorized,
    refused: counts.refused,
    status_503: counts.unavailable,
    burst,
  };
}

export interface Served {
  /** Milliseconds from the start of the run to the request's arrival. */
  at: number;
  ms: number;
  answer: Answer;
}

/**
 * Offers `rate` requests a second for `durationMs` from `started` (a `performance.now()` time), each on
 * schedule whether or not earlier ones have been answered; `credential(i, at)` gives the i-th request's
 * Authorization value.
 */
export async function offer(
  fleet: Fleet,
  rate: number,
  durationMs: number,
  credential: (i: number, at: number) => string,
  started = performance.now(),
): Promise<Served[]> {
  const total = Math.floor((rate * durationMs) / 1000);
  const pending: Array<Promise<Served>> = [];
  for (let i = 0; i < total; i++) {
    const due = (i * 1000) / rate;
    const wait = started + due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = performance.now() - started;
    const authorization = credential(i, at);
    pending.push(
      fleet.authorize(authorization).then((answer) => ({ at, ms: performance.now() - started - at, answer })),
    );
  }
  return Promise.all(pending);
}

/** Summary figures of a run. */
export function summarize(served: readonly Served[]) {
  const sorted = served.map((s) => s.ms).sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const count = (answer: Answer) => served.filter((s) => s.answer === answer).length;
  return {
    offered: served.length,
    allowed: count('allow'),
    rate_limited: count('rate_limited'),
    unauthorized: count('unauthorized'),
    refused: count('refused'),
    status_503: count('unavailable'),
    p50_ms: Number(pick(0.5).toFixed(1)),
    p99_ms: Number(pick(0.99).toFixed(1)),
  };
}
