/**
 * cost_per_million_usd: what a million verifications cost at AWS list prices (us-east-1), from the
 * figures measured in this run.
 *
 * - REST API: $3.50 per million requests.
 * - HTTP API: $1.00 per million requests for the first 300 million a month ($0.90 after), each request
 *   metered in 512 KB increments (a 600 KB request is two) — https://aws.amazon.com/api-gateway/pricing/.
 *   latchkey's bodies are at most 16 KiB (`MAX_BODY_BYTES`), so each of its requests is metered as one.
 * - Lambda arm64: $0.20 per million requests + $0.0000133334 per GB-s, billed per 1 ms, at the
 *   authorizer's configured memory. Lambda gives a function CPU in proportion to its memory (one full
 *   vCPU at 1,769 MB), so the CPU part of the measured duration is scaled by 1769 / memory.
 * - DynamoDB on-demand: $0.625 per million write units, $0.125 per million read units; a standard
 *   write is 1 WRU per KB, a transactional write 2 WRU per item per KB, a strongly consistent read
 *   1 RRU per 4 KB.
 */
import { type ApiType, SETTINGS } from '#core/settings';
import { MAX_BODY_BYTES } from '#core/validation';

export const PRICES = {
  rest_api_per_million: 3.5,
  http_api_per_million: 1.0,
  http_api_metering_increment_bytes: 512 * 1024,
  lambda_requests_per_million: 0.2,
  lambda_arm64_gb_second: 0.0000133334,
  ddb_wru_per_million: 0.625,
  ddb_rru_per_million: 0.125,
};

/** Memory at which Lambda allocates one full vCPU. */
export const FULL_VCPU_MB = 1769;

/** The authorizer's default memory, from the settings table (`lib/core/settings.ts`). */
export function authorizerMemoryMb(): { mb: number; source: string } {
  return {
    mb: SETTINGS.authorizerMemorySize.default,
    source: 'lib/core/settings.ts (authorizerMemorySize default)',
  };
}

export interface PathCostInput {
  /** Per-invocation wall times measured in-process against DynamoDB Local, ms. */
  durationsMs: number[];
  /** The handler's own CPU per verification, µs (at this machine's full-core speed). */
  cpuUs: number;
  wru: number;
  rru: number;
}

export interface PathCost {
  total: number;
  api_gateway: number;
  lambda_requests: number;
  lambda_duration: number;
  dynamodb: number;
  billed_ms_mean: number;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * API Gateway's charge per million requests of at most `requestBytes` each: REST APIs per request, HTTP
 * APIs per started 512 KB (first-tier price).
 */
export function gatewayPerMillion(apiType: ApiType, requestBytes: number = MAX_BODY_BYTES): number {
  if (apiType === 'rest') return PRICES.rest_api_per_million;
  const metered = Math.max(1, Math.ceil(requestBytes / PRICES.http_api_metering_increment_bytes));
  return metered * PRICES.http_api_per_million;
}

export function costPerMillion(input: PathCostInput, memoryMb: number, apiType: ApiType = 'rest'): PathCost {
  const cpuStretchMs = (input.cpuUs / 1000) * Math.max(0, FULL_VCPU_MB / memoryMb - 1);
  const billed = input.durationsMs.map((d) => Math.max(1, Math.ceil(d + cpuStretchMs)));
  const billedMean = billed.reduce((a, b) => a + b, 0) / billed.length;
  const gbSeconds = (memoryMb / 1024) * (billedMean / 1000) * 1e6;
  const lambdaDuration = gbSeconds * PRICES.lambda_arm64_gb_second;
  const dynamodb = input.wru * PRICES.ddb_wru_per_million + input.rru * PRICES.ddb_rru_per_million;
  const gateway = gatewayPerMillion(apiType);
  const total = gateway + PRICES.lambda_requests_per_million + lambdaDuration + dynamodb;
  return {
    total: r4(total),
    api_gateway: gateway,
    lambda_requests: PRICES.lambda_requests_per_million,
    lambda_duration: r4(lambdaDuration),
    dynamodb: r4(dynamodb),
    billed_ms_mean: Math.round(billedMean * 100) / 100,
  };
}

/** Lambda duration cost alone of a CPU-bound step taking `cpuUs` at full-core speed. */
export function cpuCostPerMillion(cpuUs: number, memoryMb: number): number {
  const ms = (cpuUs / 1000) * (FULL_VCPU_MB / memoryMb);
  return r4((memoryMb / 1024) * (ms / 1000) * 1e6 * PRICES.lambda_arm64_gb_second);
}

/** Write units of one item of `bytes` (standard write), per KB rounded up. */
export const wruOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Read units of a strongly consistent read of `bytes`. */
export const rruOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

export interface EmbeddedCost {
  total: number;
  /** The Lambda time verify adds to the user's own invocation (no request fee: it is invoked anyway). */
  lambda_duration: number;
  dynamodb: number;
  added_ms_mean: number;
}

/**
 * latchkey/verify inside the user's own function: no API Gateway and no authorizer invocation, so a
 * verification costs its DynamoDB units and the time it adds to the user's invocation (the measured
 * wall time plus the CPU stretch at that memory, not rounded up on its own: the invocation is billed once).
 */
export function embeddedCostPerMillion(input: PathCostInput, memoryMb: number): EmbeddedCost {
  const cpuStretchMs = (input.cpuUs / 1000) * Math.max(0, FULL_VCPU_MB / memoryMb - 1);
  const addedMs = input.durationsMs.reduce((a, b) => a + b, 0) / input.durationsMs.length + cpuStretchMs;
  const lambdaDuration = (memoryMb / 1024) * (addedMs / 1000) * 1e6 * PRICES.lambda_arm64_gb_second;
  const dynamodb = input.wru * PRICES.ddb_wru_per_million + input.rru * PRICES.ddb_rru_per_million;
  return {
    total: r4(lambdaDuration + dynamodb),
    lambda_duration: r4(lambdaDuration),
    dynamodb: r4(dynamodb),
    added_ms_mean: Math.round(addedMs * 100) / 100,
  };
}
