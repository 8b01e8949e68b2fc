/**
 * The management API's Lambda: finds the route in the route table, checks a signed request's body
 * against its Content-Digest, validates the input, calls the management core with the principal the
 * authorizer established, and maps the result or error to one JSON response. Storage is the DynamoDB
 * key repository (`lambdas/dynamo/keys.ts`). It answers a REST API's and an HTTP API's proxy events
 * alike (`lambdas/runtime/events.ts`). The same function runs the daily usage roll-up
 * when the stack's schedule invokes it with `USAGE_ROLL_UP_EVENT`.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { corsAnswerHeaders } from '#core/cors';
import { validateAddCredits } from '#core/credits-validation';
import { ApiError, UNAUTHORIZED_MESSAGE } from '#core/errors';
import { ManagementService } from '#core/management';
import type { Principal } from '#core/principal';
import { type ManagementRouteId, ROUTE_NOT_FOUND_MESSAGE, routeFor } from '#core/routes';
import { USAGE_ROLL_UP_EVENT } from '#core/usage';
import {
  parseJsonObject,
  validateCreateKey,
  validateListAudit,
  validateListKeys,
  validateListOrgs,
  validateOrgId,
  validateOrgUpdate,
  validateRotateKey,
  validateUpdateKey,
  validateUsageQuery,
} from '#core/validation';
import { DynamoKeyRepository } from '../dynamo/keys';
import { DynamoUsageHistory } from '../dynamo/usage-history';
import type { ProxyEvent } from '../runtime/events';
import {
  type ApiRequest,
  assertBodyIntegrity,
  errorResponse,
  fromProxyEvent,
  jsonResponse,
} from '../runtime/http';
import { initAtColdStart } from '../runtime/init';
import { audit, logger } from '../runtime/logger';
import { countDependencyFailure, type MetricsWriter, metricsWriterFor } from '../runtime/metrics';
import { defaultRuntime, type Runtime } from '../runtime/runtime';

type Action = (
  service: ManagementService,
  principal: Principal,
  request: ApiRequest,
  nowMs: number,
) => Promise<{ status: number; body: unknown }>;

const param = (request: ApiRequest, name: string): string => request.pathParameters[name] ?? '';

/**
 * route id → what it does. Every management route in the route table has exactly one entry, and
 * nothing else has one: the compiler checks both against the table.
 */
export const ACTIONS: Record<ManagementRouteId, Action> = {
  createKey: async (svc, p, req, now) => ({
    status: 201,
    body: await svc.createKey(p, validateCreateKey(parseJsonObject(req.body), now)),
  }),
  listKeys: async (svc, p, req) => ({
    status: 200,
    body: await svc.listKeys(p, validateListKeys(req.query)),
  }),
  getKey: async (svc, p, req) => ({ status: 200, body: await svc.getKey(p, param(req, 'id')) }),
  updateKey: async (svc, p, req, now) => ({
    status: 200,
    body: await svc.updateKey(p, param(req, 'id'), validateUpdateKey(parseJsonObject(req.body), now)),
  }),
  revokeKey: async (svc, p, req) => ({ status: 200, body: await svc.revokeKey(p, param(req, 'id')) }),
  rotateKey: async (svc, p, req) => ({
    status: 201,
    body: await svc.rotateKey(p, param(req, 'id'), validateRotateKey(parseJsonObject(req.body))),
  }),
  addCredits: async (svc, p, req) => ({
    status: 200,
    body: await svc.addCredits(p, param(req, 'id'), validateAddCredits(parseJsonObject(req.body))),
  }),
  listOrgs: async (svc, p, req) => ({
    status: 200,
    body: await svc.listOrgs(p, validateListOrgs(req.query)),
  }),
  getOrg: async (svc, p, req) => ({
    status: 200,
    body: await svc.getOrg(p, validateOrgId(param(req, 'org_id'))),
  }),
  putOrg: async (svc, p, req) => ({
    status: 200,
    body: await svc.putOrg(
      p,
      validateOrgId(param(req, 'org_id')),
      validateOrgUpdate(parseJsonObject(req.body)),
    ),
  }),
  whoami: async (svc, p) => ({ status: 200, body: await svc.whoami(p) }),
  listAudit: async (svc, p, req) => ({
    status: 200,
    body: await svc.listAudit(p, validateListAudit(req.query)),
  }),
  getKeyUsage: async (svc, p, req) => ({
    status: 200,
    body: await svc.getUsage(p, param(req, 'id'), validateUsageQuery(req.query).days),
  }),
  listRoles: async (svc) => ({ status: 200, body: svc.listRoles() }),
  listPlans: async (svc, p) => ({ status: 200, body: svc.listPlans(p) }),
};

export function createManagementHandler(
  runtime: Runtime,
  metrics: MetricsWriter = metricsWriterFor('management'),
) {
  let coldStart = true;
  const deps = {
    repo: new DynamoKeyRepository({
      client: runtime.dynamo,
      tableName: runtime.config.tableName,
      defaultMaxKeys: runtime.config.defaultMaxKeys,
      retentionSeconds: runtime.config.retentionSeconds,
      auditRetentionSeconds: runtime.config.auditRetentionSeconds,
      plans: runtime.config.plans,
    }),
    tokenPrefix: runtime.config.tokenPrefix,
    tokenPrefixes: runtime.config.tokenPrefixes,
    defaultRateLimit: runtime.config.defaultRateLimit,
    roleMatrix: runtime.config.roleMatrix,
    defaultRole: runtime.config.defaultRole,
    plans: runtime.config.plans,
    signingSecret: runtime.signingSecret.get,
    now: runtime.now,
    audit,
  };
  const answer = async (request: ApiRequest): Promise<APIGatewayProxyResult> => {
    try {
      const route = routeFor('management', request.resource, request.method);
      if (!route) throw new ApiError('not_found', ROUTE_NOT_FOUND_MESSAGE);
      const action = ACTIONS[route.id];
      if (!request.principal) throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
      assertBodyIntegrity(request);
      // One service per request: its audit events carry this request's id.
      const service = new ManagementService({ ...deps, requestId: request.requestId });
      const result = await action(service, request.principal, request, runtime.now());
      return jsonResponse(result.status, result.body, request.requestId);
    } catch (error) {
      countDependencyFailure(metrics, error);
      return errorResponse(error, request.requestId);
    }
  };
  return async (event: ProxyEvent): Promise<APIGatewayProxyResult> => {
    if (coldStart) metrics.count('coldStarts');
    coldStart = false;
    const request = fromProxyEvent(event);
    const response = await answer(request).finally(() => metrics.flush());
    // Every answer, errors included, so that a page of the allowed origin can read them.
    const cors = corsAnswerHeaders(runtime.config.corsAllowOrigin, request.headers.origin);
    return { ...response, headers: { ...response.headers, ...cors } };
  };
}

/**
 * The daily schedule's job (`USAGE_ROLL_UP_EVENT`, sent by the stack's EventBridge rule): move every
 * key's past-day usage counters into usage history. Local mode needs no schedule (reads merge).
 */
export function createUsageRollUpHandler(runtime: Runtime) {
  const history = new DynamoUsageHistory({
    client: runtime.dynamo,
    tableName: runtime.config.tableName,
    retentionSeconds: runtime.config.retentionSeconds,
  });
  return async (): Promise<{ rolled_up_keys: number }> => {
    const { keys } = await history.rollUpAll(runtime.now());
    logger.info('usage roll-up', { rolled_up_keys: keys });
    return { rolled_up_keys: keys };
  };
}

function isUsageRollUpEvent(event: unknown): boolean {
  const e = event as Record<string, unknown> | null;
  return typeof e === 'object' && e !== null && e.latchkey === USAGE_ROLL_UP_EVENT.latchkey;
}

// INIT, in a Lambda: runtime built, secret fetched, DynamoDB connection open before the handler is exported.
const initialized = await initAtColdStart();
let instance: ReturnType<typeof createManagementHandler> | undefined = initialized
  ? createManagementHandler(initialized)
  : undefined;
let rollUp: ReturnType<typeof createUsageRollUpHandler> | undefined;

export function handler(event: ProxyEvent): Promise<APIGatewayProxyResult>;
export function handler(event: typeof USAGE_ROLL_UP_EVENT): Promise<{ rolled_up_keys: number }>;
export function handler(
  event: ProxyEvent | typeof USAGE_ROLL_UP_EVENT,
): Promise<APIGatewayProxyResult | { rolled_up_keys: number }> {
  if (isUsageRollUpEvent(event)) {
    rollUp ??= createUsageRollUpHandler(defaultRuntime());
    return rollUp();
  }
  instance ??= createManagementHandler(defaultRuntime());
  return instance(event as ProxyEvent);
}
