/**
 * `POST /v1/leaks/github`: GitHub secret scanning's reports of this deployment's tokens found in
 * public. No authorizer runs in front of it (the route is `public`); this function authenticates the
 * request itself: GitHub's ECDSA signature over the raw body, with the key the
 * `Github-Public-Key-Identifier` header names from GitHub's published list, is checked before the body
 * is read as JSON, and anything else gets the one 401 — so nobody but GitHub learns whether a token
 * exists. A signed batch is checked offline (shape, checksum), its keys read in batches, each token's
 * hash compared in constant time, and each leaked key disabled, revoked or only reported (the
 * `leakAction` setting), with `key.leaked` and the change's own event in its audit trail, written by
 * actor `github-secret-scanning`. The answer is GitHub's feedback array. Its data access: key items
 * (read, edit, revoke, releasing the organization's slot) and audit items; no secret.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, DependencyError, UNAUTHORIZED_MESSAGE } from '#core/errors';
import {
  assessLeaks,
  type ConfirmedLeak,
  GITHUB_KEY_ID_HEADER,
  GITHUB_LEAK_ACTOR,
  GITHUB_SIGNATURE_HEADER,
  GithubKeyList,
  leakChange,
  leakKeyIds,
  parseLeakBatch,
  verifyGithubSignature,
} from '#core/github-leaks';
import { ROUTE_NOT_FOUND_MESSAGE, routeFor } from '#core/routes';
import { type LeakAction, parseSetting, SETTINGS, throwProblems } from '#core/settings';
import { splitPrefixes } from '#core/token';
import { createDynamoClient } from '../aws/clients';
import { DynamoKeyRepository } from '../dynamo/keys';
import { batchGetKeys } from '../dynamo/leaks';
import { type ProxyEvent, proxyRequestOf } from '../runtime/events';
import { errorResponse, jsonResponse } from '../runtime/http';
import { audit, logger } from '../runtime/logger';

export interface LeaksHandlerOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  /** The token prefixes this deployment accepts. */
  tokenPrefixes: readonly string[];
  action: LeakAction;
  auditRetentionSeconds: number;
  /** Where GitHub's key list is fetched from (the `githubKeysUrl` setting). */
  keysUrl: string;
  now?: () => number;
  /** How often, at most, an unknown key id fetches the list again. @default 10_000 */
  refetchIntervalMs?: number;
}

/** Key ids are hex digests; anything else is refused without a fetch. */
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
/** Leaked keys changed at once, at most. */
const WRITE_CONCURRENCY = 32;
/** GitHub's key list must answer in this time or the report is refused (GitHub sends it again). */
const KEY_LIST_TIMEOUT_MS = 3_000;

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(KEY_LIST_TIMEOUT_MS),
  });
  if (!response.ok) throw new DependencyError(`GitHub key list answered ${response.status}`);
  return response.json();
}

/** Runs `work` on each item, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

export function createLeaksHandler(options: LeaksHandlerOptions) {
  const now = options.now ?? Date.now;
  const keys = new GithubKeyList({
    fetchKeys: async () => {
      try {
        return await fetchJson(options.keysUrl);
      } catch (error) {
        if (error instanceof DependencyError) throw error;
        throw new DependencyError('GitHub key list unavailable', { cause: error });
      }
    },
    now,
    ...(options.refetchIntervalMs === undefined ? {} : { refetchIntervalMs: options.refetchIntervalMs }),
  });
  const repo = new DynamoKeyRepository({
    client: options.dynamo,
    tableName: options.tableName,
    defaultMaxKeys: SETTINGS.defaultMaxKeys.default,
    retentionSeconds: SETTINGS.keyRetentionDays.default * 86_400,
    auditRetentionSeconds: options.auditRetentionSeconds,
  });

  /** Applies the action to one leaked key; a key changed meanwhile is read again once. */
  const act = async (leak: ConfirmedLeak, requestId: string): Promise<boolean> => {
    let current: ConfirmedLeak | null = leak;
    for (let attempt = 0; attempt < 2 && current !== null; attempt++) {
      const nowMs = now();
      const change = leakChange(current, options.action, { actor: GITHUB_LEAK_ACTOR, requestId, nowMs });
      if (change.kind === 'none') return false;
      const written =
        change.kind === 'revoke'
          ? await repo.revokeKey(current.record, change.next, nowMs, change.events)
          : await repo.updateKey(current.record, change.next, nowMs, change.events);
      if (written) {
        for (const event of change.events) audit(event);
        return true;
      }
      const fresh = await repo.getKey(leak.record.id);
      current = fresh === null ? null : { ...leak, record: fresh };
    }
    return false;
  };

  const answer = async (event: ProxyEvent): Promise<APIGatewayProxyResult> => {
    const request = proxyRequestOf(event);
    const requestId = request.requestId;
    try {
      if (!routeFor('leaks', request.resource, request.method))
        throw new ApiError('not_found', ROUTE_NOT_FOUND_MESSAGE);
      const keyId = request.headers[GITHUB_KEY_ID_HEADER] ?? '';
      const signature = request.headers[GITHUB_SIGNATURE_HEADER] ?? '';
      const body = request.rawBody;
      if (!KEY_ID_RE.test(keyId) || signature === '' || body === null)
        throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
      const key = await keys.keyFor(keyId);
      if (key === null || !verifyGithubSignature(body, signature, key))
        throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
      // Signed by GitHub: only now is the body read.
      const matches = parseLeakBatch(body.toString('utf8'));
      if (matches === null)
        throw new ApiError('invalid_request', 'The body must be a JSON array of {token, type, url}.');
      const records = await batchGetKeys(
        options.dynamo,
        options.tableName,
        leakKeyIds(matches, options.tokenPrefixes),
      );
      const { feedback, confirmed } = assessLeaks(matches, options.tokenPrefixes, records);
      let changed = 0;
      await eachLimited(confirmed, WRITE_CONCURRENCY, async (leak) => {
        if (await act(leak, requestId)) changed++;
      });
      logger.info('github leak report', {
        request_id: requestId,
        matches: matches.length,
        confirmed: confirmed.length,
        changed,
        action: options.action,
      });
      return jsonResponse(200, feedback, requestId);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return answer;
}

/** The settings this function reads, as its environment (or local mode's settings) gives them. */
export type LeakSettings = Pick<
  LeaksHandlerOptions,
  'tokenPrefixes' | 'action' | 'keysUrl' | 'auditRetentionSeconds'
>;

/** Reads and checks the function's settings against the settings table; one error names every problem. */
export function leakSettingsFrom(env: Readonly<Record<string, string | undefined>>): LeakSettings {
  const problems: string[] = [];
  const read = <N extends 'leakAction' | 'githubKeysUrl' | 'tokenPrefix' | 'auditRetentionDays'>(name: N) => {
    const row = SETTINGS[name];
    const raw = env[row.env];
    if (raw === undefined || raw === '') return row.default;
    const parsed = parseSetting(name, raw, { as: row.env });
    if (parsed.ok) return parsed.value;
    problems.push(parsed.problem);
    return row.default;
  };
  const settings: LeakSettings = {
    // Every accepted prefix: a leaked token of a prefix still accepted is a live credential.
    tokenPrefixes: splitPrefixes(read('tokenPrefix') as string),
    action: read('leakAction') as LeakAction,
    keysUrl: read('githubKeysUrl') as string,
    auditRetentionSeconds: (read('auditRetentionDays') as number) * 86_400,
  };
  throwProblems('configuration', problems);
  return settings;
}

function optionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LeaksHandlerOptions {
  const tableName = env[SETTINGS.tableName.env] ?? '';
  if (tableName === '') throw new Error(`configuration: ${SETTINGS.tableName.env} must be set`);
  return {
    ...leakSettingsFrom(env),
    dynamo: createDynamoClient(env[SETTINGS.dynamodbEndpoint.env] || undefined),
    tableName,
  };
}

let instance: ReturnType<typeof createLeaksHandler> | undefined;

export function handler(event: ProxyEvent): Promise<APIGatewayProxyResult> {
  instance ??= createLeaksHandler(optionsFromEnv());
  return instance(event);
}
