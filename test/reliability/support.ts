/**
 * Helpers for the reliability suite: signed calls, SDK clients whose HTTP layer can be made to fail
 * the way DynamoDB fails, a TCP proxy that can stall or refuse, and traffic generators.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { signRequest } from '#core/signer';
import { createDynamoClient } from '#lambda/aws/clients';
import type { LocalMode } from '#local/local-mode';
import type { ApiResponse, Call } from '../helpers/local';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A signed request through the local gateway (no stage: the path is signed as sent). */
export function signedCall(
  call: Call,
  token: string,
  method: string,
  path: string,
  body?: string,
): Promise<ApiResponse> {
  const headers = signRequest({ token, method, path, ...(body !== undefined ? { body } : {}) });
  return call(method, path, {
    authorization: headers.authorization,
    headers: headers.contentDigest ? { 'content-digest': headers.contentDigest } : {},
    ...(body !== undefined ? { rawBody: body } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------
// DynamoDB faults at the HTTP layer: the SDK sees real error responses and applies its own retries.

export type HttpFault =
  | { kind: 'status'; status: number; type: string; message: string }
  | { kind: 'network'; name: string; code?: string; message: string };

/** The error responses DynamoDB really sends (JSON 1.0 protocol). */
export const FAULTS: Record<string, HttpFault> = {
  throttling: {
    kind: 'status',
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  provisionedThroughput: {
    kind: 'status',
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  internalServerError: {
    kind: 'status',
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
  },
  serviceUnavailable: {
    kind: 'status',
    status: 503,
    type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
    message: 'Service unavailable',
  },
  requestTimeout: {
    kind: 'network',
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    message: 'Connection timed out after 3000 ms',
  },
  connectionReset: { kind: 'network', name: 'Error', code: 'ECONNRESET', message: 'socket hang up' },
};

export interface FaultSwitch {
  /** Probability (0–1) that one HTTP attempt fails with `fault`. */
  rate: number;
  fault: HttpFault | null;
  /** HTTP attempts made and attempts failed on purpose. */
  attempts: number;
  injected: number;
}

/**
 * The production DynamoDB client (`createDynamoClient`: 3 attempts, 1 s connect and 3 s request
 * timeouts, the SDK's retry strategy) whose HTTP handler fails a chosen share of attempts before the
 * request reaches DynamoDB Local (so a failed attempt wrote nothing), and forwards the others.
 */
export function faultyDynamo(
  local: Pick<LocalMode, 'dynamodbEndpoint' | 'dynamodbIdentity'>,
  fault: FaultSwitch,
): DynamoDBClient {
  const client = createDynamoClient(local.dynamodbEndpoint, local.dynamodbIdentity);
  type Handler = { handle: (request: unknown, options?: unknown) => Promise<{ response: unknown }> };
  const config = client.config as unknown as { requestHandler: Handler };
  const real = config.requestHandler;
  const wrapper: Handler = Object.assign(Object.create(real) as Handler, {
    handle: async (request: unknown, options?: unknown) => {
      fault.attempts++;
      const f = fault.fault;
      if (f && Math.random() < fault.rate) {
        fault.injected++;
        if (f.kind === 'network') {
          const error = new Error(f.message) as Error & { code?: string };
          error.name = f.name;
          if (f.code) error.code = f.code;
          throw error;
        }
        return {
          response: {
            statusCode: f.status,
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault-injection' },
            body: Readable.from([Buffer.from(JSON.stringify({ __type: f.type, message: f.message }))]),
          },
        };
      }
      return real.handle(request, options);
    },
  });
  config.requestHandler = wrapper;
  return client;
}

// ---------------------------------------------------------------------------------------------------
// A TCP proxy in front of DynamoDB Local that can pass, stall (accept and never answer) or refuse.

export type ProxyMode = 'pass' | 'stall' | 'refuse';

export interface FaultProxy {
  endpoint: string;
  mode: ProxyMode;
  /** Drops every open connection (as a restart of the network path would). */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const state = { mode: 'pass' as ProxyMode };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (state.mode === 'refuse') {
      client.destroy();
      return;
    }
    if (state.mode === 'stall') {
      client.resume(); // read and drop: the request is never forwarded nor answered
      return;
    }
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: ProxyMode) {
      state.mode = m;
    },
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Traffic

export interface Outcome {
  label: string;
  status: number;
  code: string | null;
  startedAt: number;
  endedAt: number;
}

/**
 * Runs `workers` loops until `until()` is true, each calling `next(i, n)` and recording the outcome.
 */
export async function traffic(
  workers: number,
  until: () => boolean,
  next: (worker: number, n: number) => Promise<{ label: string; res: ApiResponse }>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; !until(); n++) {
        const startedAt = performance.now();
        const { label, res } = await next(w, n);
        const code = (res.body as { error?: { code?: string } } | null)?.error?.code ?? null;
        outcomes.push({ label, status: res.status, code, startedAt, endedAt: performance.now() });
      }
    }),
  );
  return outcomes;
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
