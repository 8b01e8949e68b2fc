/**
 * `latchkey doctor`'s diagnosis, from failed steps and the authorizer's log lines alone (no network):
 * each denied IAM action names what grants it, a 404 names the stage, a refusal names the reason logged
 * for its request id; and which answers count as the refusal each API type sends.
 */
import { describe, expect, it } from 'vitest';
import { diagnose, type LogRead } from '#cli/doctor-causes';
import { STEP_NAMES, type StepResult } from '#cli/doctor-checks';
import { type Answer, refusalProblem } from '#cli/doctor-probe';
import type { DoctorTarget } from '#cli/doctor-target';
import { parseLogLine } from '#cli/log-lines';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';

const stackTarget: DoctorTarget = {
  url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  source: '--stack Latchkey',
  adminKey: 'x'.repeat(40),
  adminKeyProblem: null,
  adminKeyFrom: 'secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:LatchkeyAdminKey',
  log: { kind: 'cloudwatch', logGroup: '/aws/lambda/Latchkey-Authorizer', config: {} },
};

const step = (name: string, overrides: Partial<StepResult> = {}): StepResult => ({
  name,
  status: 'pass',
  ms: 5,
  detail: 'ok',
  failure: null,
  httpStatus: null,
  requestId: null,
  ...overrides,
});

/** Every key check failed with a 503, the admin's checks passed. */
function keyChecks503(): StepResult[] {
  return STEP_NAMES.map((name, i) =>
    [
      'bearer allowed',
      'bearer refused',
      'signed GET',
      'signed POST',
      'replay',
      'forbidden route',
      'rate limit',
      'disable',
      'revoke',
    ].includes(name)
      ? step(name, { status: 'fail', failure: 'server_error', httpStatus: 503, requestId: `r${i}` })
      : step(name),
  );
}

const logOf = (...lines: object[]): LogRead => ({
  entries: lines.map((l) => {
    const entry = parseLogLine(JSON.stringify({ level: 'ERROR', timestamp: new Date().toISOString(), ...l }));
    if (entry === null) throw new Error('not a log line');
    return entry;
  }),
  where: 'log group /aws/lambda/Latchkey-Authorizer',
  problem: null,
});

const dependencyFailure = (error: string) => ({
  message: 'authorizer dependency failure: refusing the request',
  error,
});

describe('diagnose', () => {
  it.each([
    ['dynamodb:GetItem', 'ReadKeyItems'],
    ['dynamodb:UpdateItem', 'CountOnKeyItems'],
    ['dynamodb:PutItem', 'PutReplayItems'],
  ])('an AccessDeniedException (%s) names the %s statement of grantVerify', (action, statement) => {
    const [cause] = diagnose(
      keyChecks503(),
      stackTarget,
      logOf(dependencyFailure(`DynamoDB request failed: AccessDeniedException (${action})`)),
    );
    expect(cause?.cause).toMatch(
      new RegExp(
        `^the authorizer's role may not call ${action}: the ${statement} statement that grantVerify adds \\(lib/cdk/key-store\\.ts\\)`,
      ),
    );
    expect(cause?.cause).toContain('every check with a key through the authorizer answered 5xx');
    expect(cause?.look).toContain('latchkey logs tail --stack Latchkey --since 15m --no-follow');
    expect(cause?.steps).toHaveLength(9);
  });

  it("a denied secret read names the authorizer's secret grants; an action it does not know, the role", () => {
    const secret = diagnose(
      keyChecks503(),
      stackTarget,
      logOf(
        dependencyFailure(
          'Secrets Manager request failed: AccessDeniedException (secretsmanager:GetSecretValue)',
        ),
      ),
    );
    expect(secret[0]?.cause).toMatch(
      /^the authorizer's role may not call secretsmanager:GetSecretValue: grantVerify's read of the signing secret/,
    );
    const bare = diagnose(
      keyChecks503(),
      stackTarget,
      logOf(dependencyFailure('DynamoDB request failed: AccessDeniedException')),
    );
    expect(bare[0]?.cause).toMatch(
      /^the authorizer's role is denied a call it needs: compare its policy with what grantVerify grants/,
    );
  });

  it('a 5xx with no log line to explain it says so, and where the log is', () => {
    const causes = diagnose(keyChecks503(), stackTarget, {
      entries: [],
      where: null,
      problem: 'logs tail --log-group needs @aws-sdk/client-cloudwatch-logs',
    });
    expect(causes).toHaveLength(1);
    expect(causes[0]?.cause).toMatch(
      /^every check with a key through the authorizer answered 5xx: a dependency .* \(the log could not be read: logs tail --log-group needs/,
    );
    expect(causes[0]?.look).toBe('latchkey logs tail --stack Latchkey --since 15m --no-follow');
  });

  it('a 404 on a route latchkey serves names the stage', () => {
    const steps = [step('openapi', { status: 'fail', failure: 'no_route', httpStatus: 404 })];
    expect(diagnose(steps, stackTarget, logOf())[0]?.cause).toMatch(/the base URL must include the stage/);
  });

  it('any other failure names the reason the authorizer logged for its request, and how to see it', () => {
    const steps = [
      step('bearer allowed', {
        status: 'fail',
        failure: 'unexpected',
        httpStatus: 401,
        requestId: 'req-1',
        detail: 'GET /v1/whoami (Bearer): expected 200, got 401 unauthorized',
      }),
    ];
    const log = logOf({
      level: 'WARN',
      message: 'unauthorized',
      reason: 'key_mismatch',
      key_id: 'k',
      request_id: 'req-1',
    });
    const [cause] = diagnose(steps, stackTarget, log);
    expect(cause?.cause).toMatch(/^bearer allowed: the authorizer logged key_mismatch — /);
    expect(cause?.look).toBe('latchkey logs tail --stack Latchkey --request-id req-1 --no-follow');
  });

  it('names no cause when nothing failed', () => {
    expect(
      diagnose(
        STEP_NAMES.map((n) => step(n)),
        stackTarget,
        logOf(),
      ),
    ).toEqual([]);
  });
});

describe('refusalProblem', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
    status,
    headers: new Headers(headers),
    text: JSON.stringify(body),
    body,
    code: (body as { error?: { code?: string } }).error?.code ?? null,
    requestId: null,
  });
  const error = (code: string, message = 'm') => ({ error: { code, message, request_id: 'r' } });

  it('a REST API: the one 401 body, 403 forbidden, 403 rate_limited with a Retry-After', () => {
    expect(
      refusalProblem(answer(401, error('unauthorized', UNAUTHORIZED_MESSAGE)), 'credential', 'rest'),
    ).toBeNull();
    expect(refusalProblem(answer(401, error('unauthorized', 'other')), 'credential', 'rest')).toMatch(
      /^expected 401 unauthorized with latchkey's body/,
    );
    expect(refusalProblem(answer(403, error('forbidden')), 'forbidden', 'rest')).toBeNull();
    expect(
      refusalProblem(answer(403, error('rate_limited'), { 'retry-after': '12' }), 'rate_limited', 'rest'),
    ).toBeNull();
    expect(refusalProblem(answer(403, error('rate_limited')), 'rate_limited', 'rest')).toBe(
      'expected a Retry-After header with the 403 rate_limited',
    );
    expect(refusalProblem(answer(503, error('service_unavailable')), 'forbidden', 'rest')).toBe(
      'expected 403 forbidden, got 503 service_unavailable',
    );
  });

  it('an HTTP API: its own 403 Forbidden for every refusal, and nothing else', () => {
    for (const kind of ['credential', 'forbidden', 'rate_limited'] as const) {
      expect(refusalProblem(answer(403, { message: 'Forbidden' }), kind, 'http')).toBeNull();
      expect(refusalProblem(answer(401, error('unauthorized', UNAUTHORIZED_MESSAGE)), kind, 'http')).toMatch(
        /^expected the HTTP API's 403 Forbidden, got 401 unauthorized/,
      );
    }
  });
});
