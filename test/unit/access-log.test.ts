/**
 * Local mode's access line (lib/local/access-log.ts): its fields and their order, the reason and key id
 * taken from the handlers' log lines by request id, and nothing secret or raw reaching the terminal.
 */
import { describe, expect, it } from 'vitest';
import { createAccessLog, formatAccessLine, printablePath } from '#local/access-log';

const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 'WARN', ...fields });

describe('formatAccessLine', () => {
  it('is method, path, status, reason, key id and latency; absent fields are left out', () => {
    expect(
      formatAccessLine({
        method: 'GET',
        url: '/v1/echo/x',
        status: 403,
        reason: 'rate_limited',
        keyId: '3hQx9TmP2wLk8ZrA',
        ms: 2.6,
      }),
    ).toBe('GET /v1/echo/x 403 rate_limited 3hQx9TmP2wLk8ZrA 3 ms');
    expect(
      formatAccessLine({ method: 'GET', url: '/v1/x', status: 404, reason: null, keyId: null, ms: 0.2 }),
    ).toBe('GET /v1/x 404 0 ms');
  });

  it('drops the query string, masks a token in the path and control characters', () => {
    const token = `lk_3hQx9TmP2wLk8ZrA_${'a'.repeat(49)}`;
    expect(printablePath(`/v1/echo/${token}/x?key=${token}`)).toBe('/v1/echo/<token>/x');
    expect(printablePath('/v1/echo/\u001b[2Jx#frag')).toBe('/v1/echo/?[2Jx');
  });
});

describe('createAccessLog', () => {
  it('matches handler lines to the response by request id, merging what several lines say', () => {
    const log = createAccessLog();
    log.handlerLine(line({ message: 'unauthorized', reason: 'revoked', key_id: 'K1', request_id: 'r-1' }));
    log.handlerLine(line({ message: 'allow', key_id: 'K2', request_id: 'r-2' }));
    log.handlerLine(line({ message: 'audit', request_id: 'r-2' }));
    log.handlerLine('not json');
    const done = (requestId: string | null, status: number) =>
      log.finished({ method: 'GET', url: '/v1/whoami', status, requestId, ms: 1 });
    expect(done('r-1', 401)).toBe('GET /v1/whoami 401 revoked K1 1 ms');
    expect(done('r-2', 200)).toBe('GET /v1/whoami 200 K2 1 ms');
    // Used up once printed, and unknown ids print without them.
    expect(done('r-1', 401)).toBe('GET /v1/whoami 401 1 ms');
    expect(done(null, 400)).toBe('GET /v1/whoami 400 1 ms');
  });
});
