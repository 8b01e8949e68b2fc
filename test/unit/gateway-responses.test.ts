import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, UNAUTHORIZED_MESSAGE } from '#core/errors';
import {
  GATEWAY_RESPONSES,
  type GatewayResponseType,
  gatewayResponseHeaders,
  gatewayResponseSpec,
  gatewayResponseTemplate,
  renderGatewayResponse,
} from '#core/gateway-responses';
import { FORBIDDEN_MESSAGE, principalContext } from '#core/principal';

const REQUEST_ID = '141d6671-99b4-40ca-9997-7a22f01eac74';
const TYPES = GATEWAY_RESPONSES.map((r) => r.type);

interface Body {
  error: { code: string; message: string; request_id: string };
}

function parse(body: string): Body {
  const parsed = JSON.parse(body) as Body;
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'request_id']);
  return parsed;
}

describe('GATEWAY_RESPONSES', () => {
  it('lists each response type once', () => {
    expect(new Set(TYPES).size).toBe(TYPES.length);
  });

  it.each(TYPES)('%s renders with X-Content-Type-Options: nosniff', (type) => {
    const rendered = renderGatewayResponse(type, REQUEST_ID, {}, { statusCode: 415, message: 'x' });
    expect(rendered.headers).toEqual({ 'x-content-type-options': 'nosniff' });
  });

  it("installs the headers as API Gateway's static header values, in single quotes", () => {
    expect(gatewayResponseHeaders()).toEqual({ 'x-content-type-options': "'nosniff'" });
  });

  it.each([
    ['UNAUTHORIZED', 401, 'unauthorized'],
    ['MISSING_AUTHENTICATION_TOKEN', 404, 'not_found'],
    ['AUTHORIZER_FAILURE', 503, 'service_unavailable'],
    ['AUTHORIZER_CONFIGURATION_ERROR', 500, 'internal_error'],
    ['REQUEST_TOO_LARGE', 413, 'payload_too_large'],
    ['THROTTLED', 429, 'rate_limited'],
    ['WAF_FILTERED', 403, 'forbidden'],
    ['QUOTA_EXCEEDED', 429, 'rate_limited'],
    ['RESOURCE_NOT_FOUND', 404, 'not_found'],
    ['DEFAULT_4XX', null, 'invalid_request'],
    ['DEFAULT_5XX', null, 'internal_error'],
  ] as const)('%s → %s %s', (type, status, code) => {
    const spec = gatewayResponseSpec(type);
    expect(spec.statusCode).toBe(status);
    expect(spec.code).toBe(code);
  });

  it('answers every credential failure with the one unauthorized message', () => {
    expect(gatewayResponseSpec('UNAUTHORIZED').message).toBe(UNAUTHORIZED_MESSAGE);
  });

  it('uses only known error codes (or the authorizer’s)', () => {
    for (const spec of GATEWAY_RESPONSES) {
      if (spec.type === 'ACCESS_DENIED') expect(spec.code).toBe('$context.authorizer.error_code');
      else expect(Object.keys(ERROR_STATUS)).toContain(spec.code);
    }
  });

  it('throws for an unknown type', () => {
    expect(() => gatewayResponseSpec('NOPE' as GatewayResponseType)).toThrow(/NOPE/);
  });
});

describe('gatewayResponseTemplate', () => {
  it.each(TYPES)(
    '%s is valid JSON as installed, $context.error.messageString being a JSON string',
    (type) => {
      const template = gatewayResponseTemplate(gatewayResponseSpec(type));
      const body = parse(template.replace('$context.error.messageString', '"Forbidden"'));
      expect(body.error.request_id).toBe('$context.requestId');
    },
  );

  it('takes ACCESS_DENIED’s code and message from the authorizer context', () => {
    expect(parse(gatewayResponseTemplate(gatewayResponseSpec('ACCESS_DENIED'))).error).toEqual({
      code: '$context.authorizer.error_code',
      message: '$context.authorizer.error_message',
      request_id: '$context.requestId',
    });
  });
});

describe('renderGatewayResponse', () => {
  it('keeps the status API Gateway chose for a DEFAULT_* response, with its message', () => {
    const media = renderGatewayResponse(
      'DEFAULT_4XX',
      REQUEST_ID,
      {},
      {
        statusCode: 415,
        message: 'Unsupported "Media" Type',
      },
    );
    expect(media.statusCode).toBe(415);
    expect(parse(media.body).error).toEqual({
      code: 'invalid_request',
      message: 'Unsupported "Media" Type',
      request_id: REQUEST_ID,
    });
    expect(
      renderGatewayResponse('DEFAULT_5XX', REQUEST_ID, {}, { statusCode: 502, message: 'x' }).statusCode,
    ).toBe(502);
    expect(() => renderGatewayResponse('DEFAULT_4XX', REQUEST_ID)).toThrow(/status/);
  });

  it.each(TYPES)('%s renders {error:{code,message,request_id}}', (type) => {
    const { statusCode, body } = renderGatewayResponse(
      type,
      REQUEST_ID,
      principalContext({
        type: 'admin',
        permissions: [],
      }),
      { statusCode: 418, message: 'Teapot' },
    );
    const spec = gatewayResponseSpec(type);
    expect(statusCode).toBe(spec.statusCode ?? 418);
    const parsed = parse(body);
    expect(parsed.error.request_id).toBe(REQUEST_ID);
    expect(parsed.error.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(parsed.error.message.length).toBeGreaterThan(0);
    expect(body).not.toContain('$context');
  });

  it('renders ACCESS_DENIED with the authorizer’s forbidden reason by default', () => {
    const context = principalContext({ type: 'key', keyId: 'K1', orgId: 'acme', permissions: ['api:read'] });
    const { statusCode, body } = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, context);
    expect(statusCode).toBe(403);
    expect(parse(body).error).toEqual({
      code: 'forbidden',
      message: FORBIDDEN_MESSAGE,
      request_id: REQUEST_ID,
    });
  });

  it('carries retry_after as Retry-After on ACCESS_DENIED, and no Retry-After when it is empty', () => {
    const limited = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'rate_limited',
      retry_after: '12',
    });
    expect(limited.headers['retry-after']).toBe('12');
    const forbidden = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'forbidden',
      retry_after: '',
    });
    expect(forbidden.headers).not.toHaveProperty('retry-after');
    expect(
      renderGatewayResponse('UNAUTHORIZED', REQUEST_ID, { retry_after: '9' }).headers,
    ).not.toHaveProperty('retry-after');
  });

  it('carries the RateLimit fields on ACCESS_DENIED as the authorizer wrote them, none when empty', () => {
    const limited = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'rate_limited',
      retry_after: '12',
      ratelimit: '"key";r=0;t=12',
      ratelimit_policy: '"key";q=60;w=60',
    });
    expect(limited.headers).toMatchObject({
      ratelimit: '"key";r=0;t=12',
      'ratelimit-policy': '"key";q=60;w=60',
    });
    const forbidden = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'forbidden',
      ratelimit: '',
      ratelimit_policy: '',
    });
    expect(forbidden.headers).not.toHaveProperty('ratelimit');
    expect(forbidden.headers).not.toHaveProperty('ratelimit-policy');
  });

  it('maps Retry-After and the RateLimit fields from the authorizer context on the deployed ACCESS_DENIED response', () => {
    expect(gatewayResponseHeaders(gatewayResponseSpec('ACCESS_DENIED'))).toEqual({
      'x-content-type-options': "'nosniff'",
      'retry-after': 'context.authorizer.retry_after',
      ratelimit: 'context.authorizer.ratelimit',
      'ratelimit-policy': 'context.authorizer.ratelimit_policy',
    });
  });

  it('renders ACCESS_DENIED with the authorizer’s rate-limit reason', () => {
    const { body } = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'rate_limited',
      error_message: 'Rate limit exceeded for this key. Retry after 12 seconds.',
      retry_after: '12',
    });
    expect(parse(body).error).toEqual({
      code: 'rate_limited',
      message: 'Rate limit exceeded for this key. Retry after 12 seconds.',
      request_id: REQUEST_ID,
    });
  });

  it.each([
    ['double quotes', 'say "hi"'],
    ['backslashes', 'C:\\path\\to'],
    ['newlines and tabs', 'line 1\nline 2\tend\r'],
    ['a closing brace and quote', '"}},"injected":{"x":"'],
    ['control characters', '\u0000\u001f'],
    ['non-ASCII', 'Zugriff verweigert — ✓ 🔑'],
    ['an HTML tag', '</script><script>alert(1)</script>'],
  ])('JSON-escapes context values with %s', (_, message) => {
    const { body } = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID, {
      error_code: 'forbidden',
      error_message: message,
    });
    const parsed = parse(body);
    expect(parsed.error.message).toBe(message);
    expect(parsed.error.code).toBe('forbidden');
  });

  it('JSON-escapes the request id', () => {
    const { body } = renderGatewayResponse('UNAUTHORIZED', 'id"with\\odd\nchars');
    expect(parse(body).error.request_id).toBe('id"with\\odd\nchars');
  });

  it('renders a missing context value as an empty string, still valid JSON', () => {
    const { body } = renderGatewayResponse('ACCESS_DENIED', REQUEST_ID);
    expect(parse(body).error).toEqual({ code: '', message: '', request_id: REQUEST_ID });
  });
});

describe('substitution is one pass', () => {
  it('does not treat $ patterns in the request id as replacement patterns', () => {
    expect(JSON.parse(renderGatewayResponse('UNAUTHORIZED', "a$&b$'c").body).error.request_id).toBe(
      "a$&b$'c",
    );
  });
  it('does not re-read a substituted context value as a template', () => {
    const body = renderGatewayResponse('ACCESS_DENIED', 'r1', {
      error_code: 'forbidden',
      error_message: 'see $context.requestId',
    }).body;
    expect(JSON.parse(body).error.message).toBe('see $context.requestId');
  });
});
