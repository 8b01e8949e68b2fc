/**
 * The checks `latchkey doctor` walks, in order, against a running latchkey: the public routes (OpenAPI
 * document, console), the admin key, two short-lived test keys (named for the run, expiring in minutes),
 * a bearer call allowed and one refused, a signed GET and a signed POST with `Content-Digest`, a replayed
 * signed request, a route outside the key's permissions, the rate limit (a key allowed 2 calls a minute),
 * disable and enable, revoke, usage and audit, and last the clean-up that revokes every key the run
 * made, whatever failed before. Each check resolves to a `StepResult` with its timing; a check that cannot
 * run because an earlier one failed is skipped, saying which. Nothing here prints, and no result ever
 * holds a token or the admin key.
 */
import { randomBase62 } from '../core/base62';
import { type RouteId, routePath } from '../core/routes';
import type { ApiType } from '../core/settings';
import { formatToken, SECRET_LENGTH } from '../core/token';
import { keyIdOfToken, signRequest } from '../sdk';
import {
  type Answer,
  describeAnswer,
  isHttpApiForbidden,
  Probe,
  ProbeError,
  type ProbeRequest,
  refusalProblem,
} from './doctor-probe';
import type { DoctorTarget } from './doctor-target';

export type StepStatus = 'pass' | 'fail' | 'skip';

/**
 * What kind of failure a step met, for the diagnosis: no answer at all, an admin key that could not be
 * read or was refused, a 5xx behind the authorizer, a 404 for a route latchkey serves, anything else.
 */
export type FailureKind =
  | 'unreachable'
  | 'timeout'
  | 'admin_key_unreadable'
  | 'admin_key_refused'
  | 'server_error'
  | 'no_route'
  | 'unexpected';

export interface StepResult {
  name: string;
  status: StepStatus;
  /** Wall time of the step, in milliseconds. */
  ms: number;
  /** What was seen (pass), what was wrong (fail) or why it did not run (skip). */
  detail: string;
  failure: FailureKind | null;
  /** The HTTP status of the answer that failed the step, when there was one. */
  httpStatus: number | null;
  requestId: string | null;
}

/** The names of the steps, in the order they run. */
export const STEP_NAMES = [
  'openapi',
  'console',
  'admin key',
  'create keys',
  'bearer allowed',
  'bearer refused',
  'signed GET',
  'signed POST',
  'replay',
  'forbidden route',
  'rate limit',
  'disable',
  'revoke',
  'usage',
  'audit',
  'cleanup',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** The steps that send a test key through the authorizer. */
export const KEY_STEPS: ReadonlySet<string> = new Set<StepName>([
  'bearer allowed',
  'bearer refused',
  'signed GET',
  'signed POST',
  'replay',
  'forbidden route',
  'rate limit',
  'disable',
  'revoke',
]);

/** The steps that pass through the authorizer (all but the public routes). */
export const AUTHORIZER_STEPS: ReadonlySet<string> = new Set(
  STEP_NAMES.filter((n) => n !== 'openapi' && n !== 'console'),
);

/** How long the test keys live if the clean-up never runs. */
export const TEST_KEY_LIFETIME_MS = 10 * 60_000;
/** The rate limit of the rate-limit check's key: its third call in a minute is refused. */
export const TEST_RATE_LIMIT = 2;
/** How long a change (disable, revoke) or a count may take to show: bounded mode's bound is at most 10 s. */
const SETTLE_MS = 12_000;
const POLL_MS = 250;

interface TestKey {
  id: string;
  token: string;
}

interface RunState {
  probe: Probe;
  target: DoctorTarget;
  runId: string;
  apiType: ApiType;
  /** Whether `apiType` was learnt from an answer (the bearer-refused check), not assumed. */
  apiTypeKnown: boolean;
  /** The role the test keys get: one granting api:read and api:write. */
  role: string | null;
  /** Whether that role grants keys:read (then the forbidden-route check uses an admin-only route). */
  roleReadsKeys: boolean;
  main: TestKey | null;
  limited: TestKey | null;
  /** Every key the run created, for the clean-up. */
  created: string[];
  revoked: Set<string>;
  /** The audit events the run's changes to the main key must have left. */
  events: string[];
  /** Requests with the main key the API answered 200 to: usage must count at least these. */
  mainAllowed: number;
  /** No answer at all: the remaining checks are skipped. */
  unreachable: boolean;
  adminFailed: boolean;
}

/** A check's failure: what was wrong, and the answer that showed it. */
class CheckFailed extends Error {
  constructor(
    message: string,
    readonly answer: Answer | null = null,
    readonly kind: FailureKind | null = null,
  ) {
    super(message);
  }
}

/** A check that cannot run (an earlier one failed, or the deployment has no such route). */
class CheckSkipped extends Error {}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

type Check = (state: RunState) => Promise<string>;

/** Runs every check in order; `onStep` sees each result as it is known. */
export async function runChecks(
  target: DoctorTarget,
  onStep: (result: StepResult) => void = () => undefined,
  options: { timeoutMs?: number } = {},
): Promise<{ steps: StepResult[]; apiType: ApiType | null }> {
  const state: RunState = {
    probe: new Probe(target.url, options.timeoutMs),
    target,
    runId: randomBase62(8),
    apiType: 'rest',
    apiTypeKnown: false,
    role: null,
    roleReadsKeys: false,
    main: null,
    limited: null,
    created: [],
    revoked: new Set(),
    events: [],
    mainAllowed: 0,
    unreachable: false,
    adminFailed: false,
  };
  const steps: StepResult[] = [];
  for (const name of STEP_NAMES) {
    const result = await runStep(name, CHECKS[name], state);
    steps.push(result);
    onStep(result);
  }
  return { steps, apiType: state.apiTypeKnown ? state.apiType : null };
}

async function runStep(name: StepName, check: Check, state: RunState): Promise<StepResult> {
  const started = performance.now();
  const result = (
    status: StepStatus,
    detail: string,
    failure: FailureKind | null = null,
    answer: Answer | null = null,
  ): StepResult => ({
    name,
    status,
    ms: Math.round(performance.now() - started),
    detail,
    failure,
    httpStatus: answer?.status ?? null,
    requestId: answer?.requestId ?? null,
  });
  // The clean-up runs whatever happened; every other check needs an API that answers.
  if (state.unreachable && name !== 'cleanup') return result('skip', 'the API did not answer');
  try {
    return result('pass', await check(state));
  } catch (error) {
    if (error instanceof CheckSkipped) return result('skip', error.message);
    if (error instanceof ProbeError) {
      state.unreachable = true;
      return result('fail', error.message, error.kind);
    }
    if (error instanceof CheckFailed) {
      return result('fail', error.message, error.kind ?? kindOf(error.answer), error.answer);
    }
    return result('fail', error instanceof Error ? error.message : String(error), 'unexpected');
  }
}

/** The kind of failure an unexpected answer shows. */
function kindOf(answer: Answer | null): FailureKind {
  if (answer === null) return 'unexpected';
  if (answer.status >= 500) return 'server_error';
  if (answer.status === 404 && answer.code === 'not_found') return 'no_route';
  return 'unexpected';
}

/** Fails unless the answer has this status. */
function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status)
    throw new CheckFailed(`${what}: expected ${status}, got ${describeAnswer(answer)}`, answer);
}

/** Fails unless the answer is the refusal expected of this API type. */
function expectRefusal(answer: Answer, kind: Parameters<typeof refusalProblem>[1], state: RunState): void {
  const problem = refusalProblem(answer, kind, state.apiType);
  if (problem !== null) throw new CheckFailed(problem, answer);
}

const needMain = (state: RunState): TestKey => {
  if (state.main === null) throw new CheckSkipped('no test key (create keys did not pass)');
  return state.main;
};

const needAdmin = (state: RunState): string => {
  if (state.target.adminKey === null || state.adminFailed)
    throw new CheckSkipped('no working admin key (admin key did not pass)');
  return state.target.adminKey;
};

/** Asks until `done` says the answer is the one awaited, or SETTLE_MS pass; returns the last answer. */
async function settle(ask: () => Promise<Answer>, done: (answer: Answer) => boolean): Promise<Answer> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const answer = await ask();
    if (done(answer) || Date.now() >= deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A signed request's headers (ARMOR-PSK), over the path as sent: stage included. */
function signed(state: RunState, token: string, method: string, path: string, body?: string): ProbeRequest {
  const signature = signRequest({
    token,
    method,
    path: `${state.probe.basePath}${path}`,
    ...(body === undefined ? {} : { body }),
  });
  const headers: Record<string, string> = { ...signature.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method, headers, ...(body === undefined ? {} : { body }) };
}

const whoamiPath = routePath('whoami');

/** GET /v1/whoami with a key: 200 naming that key, counted as an allowed call of the main key. */
async function whoamiAllowed(state: RunState, key: TestKey, request: ProbeRequest, what: string) {
  const answer = await state.probe.send(whoamiPath, request);
  expectStatus(answer, 200, what);
  const me = answer.body as { principal?: unknown; key?: { id?: unknown } } | null;
  if (me?.principal !== 'key' || me.key?.id !== key.id)
    throw new CheckFailed(`${what}: 200 but not as the test key`, answer);
  if (key === state.main) state.mainAllowed++;
  return answer;
}

const CHECKS: Readonly<Record<StepName, Check>> = {
  async openapi(state) {
    const answer = await state.probe.send(routePath('getOpenApi'));
    expectStatus(answer, 200, 'GET /v1/openapi.json');
    const type = answer.headers.get('content-type') ?? '';
    if (!type.startsWith('application/json'))
      throw new CheckFailed(
        `GET /v1/openapi.json: content type ${type || 'none'}, not application/json`,
        answer,
      );
    const version = (answer.body as { openapi?: unknown } | null)?.openapi;
    if (typeof version !== 'string' || !version.startsWith('3.'))
      throw new CheckFailed('GET /v1/openapi.json: 200 but not an OpenAPI document', answer);
    return `200 application/json, OpenAPI ${version}`;
  },

  async console(state) {
    const answer = await state.probe.send(routePath('console'));
    expectStatus(answer, 200, 'GET /console');
    const type = answer.headers.get('content-type') ?? '';
    if (!type.startsWith('text/html'))
      throw new CheckFailed(`GET /console: content type ${type || 'none'}, not text/html`, answer);
    return '200 text/html';
  },

  async 'admin key'(state) {
    const { target } = state;
    if (target.adminKey === null) {
      state.adminFailed = true;
      throw new CheckFailed(target.adminKeyProblem ?? 'no admin key', null, 'admin_key_unreadable');
    }
    const answer = await state.probe.send(whoamiPath, { headers: bearer(target.adminKey) });
    if (answer.status === 401 || isHttpApiForbidden(answer)) {
      state.adminFailed = true;
      throw new CheckFailed(
        `GET /v1/whoami with the admin key (from ${target.adminKeyFrom}): ${describeAnswer(answer)}`,
        answer,
        'admin_key_refused',
      );
    }
    if (answer.status !== 200) state.adminFailed = true;
    expectStatus(answer, 200, 'GET /v1/whoami with the admin key');
    if ((answer.body as { principal?: unknown } | null)?.principal !== 'admin') {
      state.adminFailed = true;
      throw new CheckFailed('GET /v1/whoami with the admin key: 200 but not as the admin', answer);
    }
    return `200 as admin (key from ${target.adminKeyFrom})`;
  },

  async 'create keys'(state) {
    const admin = needAdmin(state);
    const roles = await state.probe.send(routePath('listRoles'), { headers: bearer(admin) });
    expectStatus(roles, 200, 'GET /v1/roles');
    const { roles: matrix = {}, default_role: defaultRole } = (roles.body ?? {}) as {
      roles?: Record<string, string[]>;
      default_role?: string;
    };
    const usable = (role: string) =>
      matrix[role]?.includes('api:read') === true && matrix[role]?.includes('api:write') === true;
    const role =
      defaultRole !== undefined && usable(defaultRole) ? defaultRole : Object.keys(matrix).find(usable);
    if (role === undefined)
      throw new CheckFailed('no role in the role matrix grants api:read and api:write', roles);
    state.role = role;
    state.roleReadsKeys = matrix[role]?.includes('keys:read') === true;
    const expiresAt = new Date(Date.now() + TEST_KEY_LIFETIME_MS).toISOString();
    const create = async (label: string, extra: Record<string, unknown>): Promise<TestKey> => {
      const answer = await state.probe.send(routePath('createKey'), {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `latchkey doctor ${state.runId} ${label}`,
          description: `Temporary key of latchkey doctor run ${state.runId}: it checks this deployment and revokes the key when done (it expires at ${expiresAt} in any case).`,
          roles: [role],
          expires_at: expiresAt,
          metadata: { doctor_run: state.runId },
          ...extra,
        }),
      });
      expectStatus(answer, 201, 'POST /v1/keys');
      const made = answer.body as { key?: { id?: unknown }; raw_key?: unknown } | null;
      const id = made?.key?.id;
      const token = made?.raw_key;
      if (typeof id !== 'string' || typeof token !== 'string' || keyIdOfToken(token) !== id)
        throw new CheckFailed('POST /v1/keys: 201 without a key id and token', answer);
      state.created.push(id);
      return { id, token };
    };
    state.main = await create('main', {});
    state.events.push('key.created');
    state.limited = await create('rate-limit', { rate_limit_per_minute: TEST_RATE_LIMIT });
    return `${state.main.id} and ${state.limited.id} (role ${role}, expire in ${TEST_KEY_LIFETIME_MS / 60_000} min)`;
  },

  async 'bearer allowed'(state) {
    const main = needMain(state);
    await whoamiAllowed(state, main, { headers: bearer(main.token) }, 'GET /v1/whoami (Bearer)');
    return '200 as the test key';
  },

  async 'bearer refused'(state) {
    const main = needMain(state);
    const prefix = main.token.split('_')[0] ?? '';
    // The key's id with a secret that is not its own: refused as wrong_secret.
    const wrong = formatToken(prefix, main.id, randomBase62(SECRET_LENGTH));
    const answer = await state.probe.send(whoamiPath, { headers: bearer(wrong) });
    if (isHttpApiForbidden(answer)) {
      state.apiType = 'http';
      state.apiTypeKnown = true;
      return "403 Forbidden: an HTTP API (API Gateway's own answer to every refusal)";
    }
    expectRefusal(answer, 'credential', state);
    state.apiTypeKnown = true;
    return '401 unauthorized (REST API)';
  },

  async 'signed GET'(state) {
    const main = needMain(state);
    await whoamiAllowed(state, main, signed(state, main.token, 'GET', whoamiPath), 'signed GET /v1/whoami');
    return '200 ARMOR-PSK';
  },

  async 'signed POST'(state) {
    const main = needMain(state);
    const path = routePath('echo', { proxy: 'doctor' });
    const body = JSON.stringify({ doctor: state.runId });
    const answer = await state.probe.send(path, signed(state, main.token, 'POST', path, body));
    if (answer.status === 404 && answer.code === 'not_found')
      throw new CheckSkipped('the sample route /v1/echo is not deployed (sampleRoute: false)');
    expectStatus(answer, 200, 'signed POST /v1/echo/doctor');
    state.mainAllowed++;
    if ((answer.body as { body?: unknown } | null)?.body !== body)
      throw new CheckFailed('signed POST /v1/echo/doctor: 200 but the body did not arrive unchanged', answer);
    return '200 ARMOR-PSK with Content-Digest, body echoed';
  },

  async replay(state) {
    const main = needMain(state);
    const request = signed(state, main.token, 'GET', whoamiPath);
    await whoamiAllowed(state, main, request, 'first send of a signed GET');
    const again = await state.probe.send(whoamiPath, request);
    expectRefusal(again, 'credential', state);
    return `first 200, the same request again ${describeAnswer(again)}`;
  },

  async 'forbidden route'(state) {
    const main = needMain(state);
    // A route the test key's permissions do not cover: the key list if its role cannot read keys,
    // else the organizations, which only the admin key may read.
    const id: RouteId = state.roleReadsKeys ? 'listOrgs' : 'listKeys';
    const path = routePath(id);
    const answer = await state.probe.send(path, { headers: bearer(main.token) });
    expectRefusal(answer, 'forbidden', state);
    return `GET ${path} ${describeAnswer(answer)}`;
  },

  async 'rate limit'(state) {
    const key = state.limited;
    if (key === null) throw new CheckSkipped('no test key (create keys did not pass)');
    // Two calls in a minute are allowed, the third refused; a minute's end between them lets up to two
    // more through, so a few more are tried.
    let allowed = 0;
    for (let call = 1; call <= TEST_RATE_LIMIT * 2 + 1; call++) {
      const answer = await state.probe.send(whoamiPath, { headers: bearer(key.token) });
      if (answer.status === 200) {
        allowed++;
        continue;
      }
      expectRefusal(answer, 'rate_limited', state);
      if (allowed < TEST_RATE_LIMIT)
        throw new CheckFailed(
          `call ${call} refused after only ${allowed} allowed (limit ${TEST_RATE_LIMIT}/min)`,
          answer,
        );
      const retryAfter = answer.headers.get('retry-after');
      return `call ${call} ${describeAnswer(answer)}${retryAfter === null ? '' : `, Retry-After ${retryAfter} s`}`;
    }
    throw new CheckFailed(`${allowed} calls allowed with a limit of ${TEST_RATE_LIMIT}/min`);
  },

  async disable(state) {
    const main = needMain(state);
    const admin = needAdmin(state);
    const path = routePath('updateKey', { id: main.id });
    const patch = (enabled: boolean) =>
      state.probe.send(path, {
        method: 'PATCH',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        body: JSON.stringify({ enabled }),
      });
    expectStatus(await patch(false), 200, 'PATCH /v1/keys/{id} {"enabled": false}');
    state.events.push('key.disabled');
    const refused = await settle(
      () => state.probe.send(whoamiPath, { headers: bearer(main.token) }),
      (a) => a.status !== 200,
    );
    if (refused.status === 200) state.mainAllowed++;
    expectRefusal(refused, 'credential', state);
    expectStatus(await patch(true), 200, 'PATCH /v1/keys/{id} {"enabled": true}');
    state.events.push('key.enabled');
    const back = await settle(
      () => state.probe.send(whoamiPath, { headers: bearer(main.token) }),
      (a) => a.status === 200,
    );
    expectStatus(back, 200, 'the key enabled again');
    state.mainAllowed++;
    return `disabled: ${describeAnswer(refused)}; enabled again: 200`;
  },

  async revoke(state) {
    const main = needMain(state);
    const admin = needAdmin(state);
    const answer = await state.probe.send(routePath('revokeKey', { id: main.id }), {
      method: 'DELETE',
      headers: bearer(admin),
    });
    expectStatus(answer, 200, 'DELETE /v1/keys/{id}');
    state.revoked.add(main.id);
    state.events.push('key.revoked');
    const refused = await settle(
      () => state.probe.send(whoamiPath, { headers: bearer(main.token) }),
      (a) => a.status !== 200,
    );
    if (refused.status === 200) state.mainAllowed++;
    expectRefusal(refused, 'credential', state);
    return `revoked: ${describeAnswer(refused)}`;
  },

  async usage(state) {
    const main = needMain(state);
    const admin = needAdmin(state);
    const path = `${routePath('getKeyUsage', { id: main.id })}?days=2`;
    const calls = (a: Answer) =>
      ((a.body as { days?: Array<{ calls?: unknown }> } | null)?.days ?? []).reduce(
        (sum, day) => sum + (typeof day.calls === 'number' ? day.calls : 0),
        0,
      );
    const answer = await settle(
      () => state.probe.send(path, { headers: bearer(admin) }),
      (a) => a.status !== 200 || calls(a) >= state.mainAllowed,
    );
    expectStatus(answer, 200, 'GET /v1/keys/{id}/usage');
    if (calls(answer) < state.mainAllowed)
      throw new CheckFailed(
        `usage shows ${calls(answer)} calls, the test key made ${state.mainAllowed}`,
        answer,
      );
    return `${calls(answer)} calls counted (${state.mainAllowed} answered 200)`;
  },

  async audit(state) {
    const main = needMain(state);
    const admin = needAdmin(state);
    const answer = await state.probe.send(`${routePath('listAudit')}?key_id=${main.id}`, {
      headers: bearer(admin),
    });
    expectStatus(answer, 200, 'GET /v1/audit');
    const types = new Set(
      ((answer.body as { events?: Array<{ type?: unknown }> } | null)?.events ?? []).map((e) => e.type),
    );
    const wanted = state.events;
    const missing = wanted.filter((t) => !types.has(t));
    if (missing.length > 0)
      throw new CheckFailed(`the audit trail lacks ${missing.join(', ')} for the test key`, answer);
    return wanted.join(', ');
  },

  async cleanup(state) {
    const left = state.created.filter((id) => !state.revoked.has(id));
    if (state.created.length === 0) throw new CheckSkipped('no key to clean up');
    const admin = state.target.adminKey;
    if (admin === null) throw new CheckFailed(`cannot revoke ${left.join(', ')}: no admin key`);
    const failed: string[] = [];
    for (const id of left) {
      try {
        const answer = await state.probe.send(routePath('revokeKey', { id }), {
          method: 'DELETE',
          headers: bearer(admin),
        });
        if (answer.status === 200) state.revoked.add(id);
        else failed.push(`${id} (${describeAnswer(answer)})`);
      } catch (error) {
        failed.push(`${id} (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (failed.length > 0)
      throw new CheckFailed(
        `could not revoke ${failed.join(', ')}: they expire on their own within ${TEST_KEY_LIFETIME_MS / 60_000} min`,
      );
    return `revoked ${state.created.join(', ')}`;
  },
};
