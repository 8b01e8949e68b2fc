import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { ApiType } from '#core/settings';
import { type LocalMode, type LocalModeOptions, startLocalMode } from '#local/local-mode';
import { assertDocumentedResponse } from './openapi';
import { isHttpApiAnswer } from './refusals';

/**
 * latchkey in local mode on the suite's shared DynamoDB Local (the run's database), with a table of its
 * own; `apiType` picks the API Gateway API its gateway answers as (default `rest`).
 */
export function startTestLatchkey(options: Partial<LocalModeOptions> = {}): Promise<LocalMode> {
  return startLocalMode({
    dataDir: null,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    dynamodbCredential: inject('dynamodbCredential'),
    tableName: `latchkey-test-${randomBytes(6).toString('hex')}`,
    ...options,
  });
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string | null;
  authorization?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * A small HTTP client for the local gateway. Every response is checked against the OpenAPI document
 * (test/helpers/openapi.ts): one it does not describe fails the test — except, with `apiType: 'http'`,
 * the HTTP API's own fixed refusals, which are API Gateway's and not latchkey's (test/helpers/refusals.ts).
 */
export function client(baseUrl: string, api: { apiType?: ApiType } = {}) {
  return async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (api.apiType !== 'http' || !isHttpApiAnswer(res.status, text))
      assertDocumentedResponse({
        method,
        path: path.split('?')[0] as string,
        status: res.status,
        contentType: res.headers.get('content-type'),
        text,
      });
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

export type Call = ReturnType<typeof client>;

/** Creates a key with the admin key and returns its id and token. */
export async function createKey(
  call: Call,
  adminKey: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; token: string; key: Record<string, unknown> }> {
  const res = await call<{ key: { id: string }; raw_key: string }>('POST', '/v1/keys', {
    token: adminKey,
    body: { name: 'test key', ...body },
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return {
    id: res.body.key.id,
    token: res.body.raw_key,
    key: res.body.key as unknown as Record<string, unknown>,
  };
}
