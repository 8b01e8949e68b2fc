/**
 * What every benchmark section shares: latchkey in local mode on its own in-memory DynamoDB Local,
 * keys made through the management API, real API Gateway REQUEST events, and a per-command counter
 * of the SDK's DynamoDB calls.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { newDynamoDbCredential } from '#local/dynamodb/credential';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/dynamodb/process';
import { type LocalMode, startLocalMode } from '#local/local-mode';
import { onDynamoCommand } from '../helpers/dynamo-commands';

export interface BenchKey {
  id: string;
  token: string;
}

export interface Bench {
  ddb: DynamoDbLocal;
  local: LocalMode;
  /** DynamoDB commands sent by the local-mode runtime (the authorizer's client), by command name. */
  ddbCalls: Map<string, number>;
  createKey(body?: Record<string, unknown>): Promise<BenchKey>;
  stop(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  // One credential for DynamoDB Local and the secrets endpoint: the cold-start section runs the
  // bundled authorizer, which (like a Lambda function) has one AWS identity, from its environment.
  const credential = newDynamoDbCredential();
  const ddb = await startDynamoDbLocal({ dataDir: null, credential });
  let local: LocalMode;
  try {
    local = await startLocalMode({
      dataDir: null,
      dynamodbEndpoint: ddb.endpoint,
      dynamodbCredential: credential,
      secretsCredential: credential,
      tableName: 'latchkey-bench',
      // One key per gateway connection: room for any BENCH_GATEWAY_CONCURRENCY.
      // Exact verification: the per-request path is what these sections measure (the hot_key section
      // runs both modes on its own simulated instances).
      settings: { LATCHKEY_DEFAULT_MAX_KEYS: '100000', LATCHKEY_VERIFY_MODE: 'exact' },
    });
  } catch (error) {
    await ddb.stop();
    throw error;
  }
  const ddbCalls = new Map<string, number>();
  onDynamoCommand(local.runtime.dynamo, (name) => ddbCalls.set(name, (ddbCalls.get(name) ?? 0) + 1));
  const createKey = async (body: Record<string, unknown> = {}): Promise<BenchKey> => {
    const res = await fetch(`${local.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', rate_limit_per_minute: 100_000, ...body }),
    });
    const json = (await res.json()) as { key: { id: string }; raw_key: string };
    if (res.status !== 201) throw new Error(`creating a bench key failed: ${res.status}`);
    return { id: json.key.id, token: json.raw_key };
  };
  return {
    ddb,
    local,
    ddbCalls,
    createKey,
    stop: async () => {
      await local.stop();
      await ddb.stop();
    },
  };
}

export function totalCalls(calls: Map<string, number>): number {
  let sum = 0;
  for (const n of calls.values()) sum += n;
  return sum;
}

const sample = JSON.parse(
  readFileSync(new URL('../fixtures/apigw-rest/authorizer-request.json', import.meta.url), 'utf8'),
) as APIGatewayRequestAuthorizerEvent;

export const STAGE = 'prod';

/**
 * A real REQUEST authorizer event (checked-in sample) for `method resourcePath` on the `prod` stage,
 * as the execute-api URL delivers it: `requestContext.path` carries the stage, as clients sign it.
 */
export function authorizerEvent(
  authorization: string,
  method: string,
  path: string,
  extraHeaders: Record<string, string> = {},
): APIGatewayRequestAuthorizerEvent {
  const stageArn = `${sample.methodArn.split('/')[0]}/${STAGE}`;
  const headers: Record<string, string | undefined> = { ...(sample.headers ?? {}) };
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
  headers.Authorization = authorization;
  Object.assign(headers, extraHeaders);
  return {
    ...sample,
    httpMethod: method,
    path,
    resource: '/v1/echo/{proxy+}',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v ?? '']])),
    methodArn: `${stageArn}/${method}${path}`,
    requestContext: { ...sample.requestContext, httpMethod: method, path: `/${STAGE}${path}` },
  } as APIGatewayRequestAuthorizerEvent;
}

/** The path a client signs for `path` on the execute-api URL (with the stage). */
export const signedPath = (path: string) => `/${STAGE}${path}`;
