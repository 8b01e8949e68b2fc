import { describe, expect, it } from 'vitest';
import {
  corsAnswerHeaders,
  corsGatewayHeaders,
  corsOriginProblem,
  corsPreflightHeaders,
  corsResources,
} from '#core/cors';
import { gatewayResponseHeaders, gatewayResponseSpec, renderGatewayResponse } from '#core/gateway-responses';
import { ROUTES } from '#core/routes';
import { checkSetting } from '#core/settings';

const ORIGIN = 'https://app.example.com';
const EXPOSE = 'retry-after,ratelimit,ratelimit-policy,x-request-id';

describe('the corsAllowOrigin setting', () => {
  it.each(['*', ORIGIN, 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000'])(
    'accepts %s',
    (origin) => {
      expect(checkSetting('corsAllowOrigin', origin)).toBeNull();
      expect(corsOriginProblem(origin)).toBeNull();
    },
  );

  it.each([
    `${ORIGIN}/`,
    `${ORIGIN}/path`,
    `${ORIGIN}?q=1`,
    'HTTPS://APP.EXAMPLE.COM',
    'app.example.com',
    'ftp://app.example.com',
    'null',
    `${ORIGIN},https://b.example.com`,
    `${ORIGIN} https://b.example.com`,
    'https://user@app.example.com',
  ])('refuses %s with the rule', (origin) => {
    expect(checkSetting('corsAllowOrigin', origin)).toMatch(
      /^corsAllowOrigin must be \* or one origin as browsers send it, .*not a list: gateway responses take one static value/,
    );
  });

  it.each([
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://app.example.com:80', 'http://app.example.com'],
  ])('refuses %s, naming how a browser sends it', (origin, sent) => {
    expect(checkSetting('corsAllowOrigin', origin)).toBeNull();
    expect(corsOriginProblem(origin)).toBe(
      `corsAllowOrigin must be written as browsers send it in Origin: "${sent}", not "${origin}"`,
    );
  });
});

describe('corsResources', () => {
  it('lists every management resource once, with its methods and OPTIONS; nothing else', () => {
    const resources = corsResources(ROUTES);
    const managementPaths = new Set(ROUTES.filter((r) => r.handler === 'management').map((r) => r.path));
    expect(resources.map((r) => r.path).sort()).toEqual([...managementPaths].sort());
    expect(resources.find((r) => r.path === '/v1/keys/{id}')?.methods).toEqual([
      'GET',
      'PATCH',
      'DELETE',
      'OPTIONS',
    ]);
    expect(resources.some((r) => r.path.startsWith('/v1/echo') || r.path.startsWith('/console'))).toBe(false);
  });
});

describe('headers', () => {
  it('a preflight: the static set, Vary: Origin unless *', () => {
    expect(corsPreflightHeaders(ORIGIN, ['GET', 'OPTIONS'])).toEqual({
      'access-control-allow-headers': 'Authorization,Content-Type,Content-Digest',
      'access-control-allow-origin': ORIGIN,
      vary: 'Origin',
      'access-control-allow-methods': 'GET,OPTIONS',
      'access-control-max-age': '600',
    });
    expect(corsPreflightHeaders('*', ['GET'])).not.toHaveProperty('vary');
  });

  it('an answer: the origin only to itself, Vary: Origin always; * to anyone; nothing when off', () => {
    expect(corsAnswerHeaders(ORIGIN, ORIGIN)).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': ORIGIN,
      'access-control-expose-headers': EXPOSE,
    });
    expect(corsAnswerHeaders(ORIGIN, 'https://evil.example.net')).toEqual({ vary: 'Origin' });
    expect(corsAnswerHeaders(ORIGIN, undefined)).toEqual({ vary: 'Origin' });
    expect(corsAnswerHeaders('*', 'https://any.example.net')).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSE,
    });
    expect(corsAnswerHeaders(undefined, ORIGIN)).toEqual({});
    expect(corsGatewayHeaders(undefined)).toEqual({});
  });

  it('a gateway response: static parameters when on, deployed and rendered alike', () => {
    const spec = gatewayResponseSpec('UNAUTHORIZED');
    expect(gatewayResponseHeaders(spec, { corsAllowOrigin: ORIGIN })).toEqual({
      'x-content-type-options': "'nosniff'",
      'access-control-allow-origin': `'${ORIGIN}'`,
      'access-control-expose-headers': `'${EXPOSE}'`,
    });
    expect(gatewayResponseHeaders(spec)).toEqual({ 'x-content-type-options': "'nosniff'" });
    const rendered = renderGatewayResponse('THROTTLED', 'r-1', {}, undefined, { corsAllowOrigin: ORIGIN });
    expect(rendered.statusCode).toBe(429);
    expect(rendered.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-expose-headers': EXPOSE,
    });
  });
});
