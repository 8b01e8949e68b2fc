/**
 * The CLI's error lines add what to do where the API's message alone does not say it: a gateway 404
 * for a route latchkey serves (the base URL lacks the stage on AWS), a 403 from a route (the permission
 * it needs), and the AWS SDK's "Region is missing" (how to set it).
 */
import { describe, expect, it } from 'vitest';
import { errorJson, errorLine } from '#cli/errors';
import { LatchkeyError } from '#sdk/index';

const apiError = (status: number, code: string, message: string, method: string, path: string) =>
  new LatchkeyError({ kind: 'http', status, code, message, method, path, requestId: 'r-1' });

describe('CLI error hints', () => {
  it('a gateway 404 on a latchkey route says the base URL must include the stage', () => {
    const line = errorLine(
      apiError(404, 'not_found', 'No route matches this method and path.', 'GET', '/v1/keys'),
    );
    expect(line).toMatch(
      /^latchkey: not_found: No route matches .*; hint: .*includes the stage.* \(request_id r-1\)$/,
    );
  });

  it('a 404 for a missing key gets no stage hint', () => {
    const line = errorLine(
      apiError(404, 'not_found', 'No key with id abc.', 'GET', '/v1/keys/abcdefghijklmnop'),
    );
    expect(line).not.toContain('hint');
  });

  it('a 403 names the permission the route needs', () => {
    expect(errorLine(apiError(403, 'forbidden', 'Not allowed.', 'POST', '/v1/keys'))).toMatch(
      /; this route needs keys:write \(request_id r-1\)$/,
    );
    expect(errorLine(apiError(403, 'forbidden', 'Not allowed.', 'DELETE', '/v1/echo/x'))).toMatch(
      /; this route needs api:write \(request_id r-1\)$/,
    );
    expect(errorLine(apiError(403, 'forbidden', 'Not allowed.', 'GET', '/v1/orgs/acme'))).toMatch(
      /; this route needs the admin key \(request_id r-1\)$/,
    );
  });

  it('a 401 and a rate-limited 403 name the logs tail command that tells why, in one sentence', () => {
    const refused = apiError(
      401,
      'unauthorized',
      'A valid API key or admin key is required.',
      'GET',
      '/v1/keys',
    );
    expect(errorLine(refused)).toBe(
      'latchkey: unauthorized: A valid API key or admin key is required; ' +
        'see why: latchkey logs tail --request-id r-1 --no-follow (request_id r-1)',
    );
    const limited = apiError(403, 'rate_limited', 'Rate limit exceeded.', 'GET', '/v1/echo/x');
    expect(errorLine(limited)).toContain('; see why: latchkey logs tail --request-id r-1 --no-follow');
    // Without a request id there is nothing to look up.
    const noId = new LatchkeyError({ kind: 'http', status: 401, code: 'unauthorized', message: 'No.' });
    expect(errorLine(noId)).toBe('latchkey: unauthorized: No.');
  });

  it('under --json an error is one line of JSON: code, message, hint and request id', () => {
    const refused = apiError(
      401,
      'unauthorized',
      'A valid API key or admin key is required.',
      'GET',
      '/v1/keys',
    );
    expect(JSON.parse(errorJson(refused))).toEqual({
      error: {
        code: 'unauthorized',
        message: 'A valid API key or admin key is required.',
        hint: 'see why: latchkey logs tail --request-id r-1 --no-follow',
        request_id: 'r-1',
      },
    });
    expect(errorJson(new Error('boom')).split('\n')).toHaveLength(1);
  });

  it('"Region is missing" says how to set it', () => {
    expect(errorLine(new Error('Region is missing'))).toBe(
      'latchkey: usage_error: Region is missing: pass --region or set AWS_REGION (e.g. AWS_REGION=eu-west-1)',
    );
  });
});
