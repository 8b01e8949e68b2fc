/**
 * CORS in the template: off by default (no OPTIONS method, no Access-Control-* header anywhere); with
 * `corsAllowOrigin`, an OPTIONS mock method without the authorizer on every management resource, the
 * management function told the origin, every gateway response carrying it, cdk-nag still clean; and the
 * origin checked at synth with a sentence that says what is wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LatchkeyStack } from '#cdk/latchkey-stack';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, corsResources } from '#core/cors';
import { GATEWAY_RESPONSES } from '#core/gateway-responses';
import { ROUTES } from '#core/routes';
import { SETTINGS } from '#core/settings';
import { propsOf, resourcesOf, SYNTH_TIMEOUT, type Synthesized, synthLatchkey, testApp } from './support';

type Json = Record<string, unknown>;
const ORIGIN = 'https://app.example.com';

/** The path of every AWS::ApiGateway::Resource, by logical id, from its PathPart chain. */
function resourcePaths(synth: Synthesized): Map<string, string> {
  const resources = new Map(resourcesOf(synth.template, 'AWS::ApiGateway::Resource'));
  const pathOf = (id: string): string => {
    const p = propsOf(resources.get(id) as Json);
    const parent = (p.ParentId as { Ref?: string }).Ref;
    const prefix = parent !== undefined && resources.has(parent) ? pathOf(parent) : '';
    return `${prefix}/${String(p.PathPart)}`;
  };
  return new Map([...resources.keys()].map((id) => [id, pathOf(id)]));
}

function optionsMethods(synth: Synthesized): Json[] {
  return resourcesOf(synth.template, 'AWS::ApiGateway::Method')
    .map(([, r]) => propsOf(r))
    .filter((p) => p.HttpMethod === 'OPTIONS');
}

function gatewayResponses(synth: Synthesized): Json[] {
  return resourcesOf(synth.template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => propsOf(r));
}

function managementEnvironment(synth: Synthesized): Record<string, unknown> {
  const fn = resourcesOf(synth.template, 'AWS::Lambda::Function')
    .map(([, r]) => propsOf(r))
    .find((p) => String(p.Description).startsWith('latchkey: management API'));
  return ((fn?.Environment as Json | undefined)?.Variables ?? {}) as Record<string, unknown>;
}

describe('CORS off (the default)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthLatchkey();
  }, SYNTH_TIMEOUT.timeout);

  it('has no OPTIONS method, no Access-Control-* header, and no origin for the function', () => {
    expect(optionsMethods(synth)).toEqual([]);
    for (const response of gatewayResponses(synth)) {
      const headers = Object.keys((response.ResponseParameters ?? {}) as Json);
      expect(headers.filter((h) => h.includes('access-control'))).toEqual([]);
    }
    expect(managementEnvironment(synth)).not.toHaveProperty(SETTINGS.corsAllowOrigin.env);
  });
});

describe('CORS on', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthLatchkey({ corsAllowOrigin: ORIGIN }, { nag: true });
  }, SYNTH_TIMEOUT.timeout);

  it('answers preflights on exactly the management resources, without the authorizer, from a mock', () => {
    const paths = resourcePaths(synth);
    const methods = optionsMethods(synth);
    const expected = corsResources(ROUTES);
    expect(methods.map((m) => paths.get((m.ResourceId as { Ref: string }).Ref)).sort()).toEqual(
      expected.map((r) => r.path).sort(),
    );
    for (const method of methods) {
      const path = paths.get((method.ResourceId as { Ref: string }).Ref);
      const resource = expected.find((r) => r.path === path);
      expect(method.AuthorizationType, path).toBe('NONE');
      expect(method.AuthorizerId, path).toBeUndefined();
      const integration = method.Integration as Json;
      expect(integration.Type).toBe('MOCK');
      const [answer] = integration.IntegrationResponses as Json[];
      expect(answer?.StatusCode).toBe('204');
      expect(answer?.ResponseParameters).toEqual({
        'method.response.header.Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS.join(',')}'`,
        'method.response.header.Access-Control-Allow-Origin': `'${ORIGIN}'`,
        'method.response.header.Vary': "'Origin'",
        'method.response.header.Access-Control-Allow-Methods': `'${resource?.methods.join(',')}'`,
        'method.response.header.Access-Control-Max-Age': `'${CORS_MAX_AGE_SECONDS}'`,
      });
    }
  });

  it('leaves every other method behind the authorizer (OPTIONS of the sample route included)', () => {
    const others = resourcesOf(synth.template, 'AWS::ApiGateway::Method')
      .map(([, r]) => propsOf(r))
      .filter((p) => p.HttpMethod !== 'OPTIONS');
    const open = others.filter((p) => p.AuthorizationType === 'NONE');
    // The public documents only, as without CORS.
    expect(open).toHaveLength(ROUTES.filter((r) => r.needs === 'public').length);
  });

  it('puts the origin and the exposed headers on every gateway response, as static values', () => {
    const responses = gatewayResponses(synth);
    expect(responses).toHaveLength(GATEWAY_RESPONSES.length);
    for (const response of responses) {
      expect(response.ResponseParameters, String(response.ResponseType)).toMatchObject({
        'gatewayresponse.header.access-control-allow-origin': `'${ORIGIN}'`,
        'gatewayresponse.header.access-control-expose-headers':
          "'retry-after,ratelimit,ratelimit-policy,x-request-id'",
      });
    }
  });

  it('tells the management function the origin', () => {
    expect(managementEnvironment(synth)[SETTINGS.corsAllowOrigin.env]).toBe(ORIGIN);
  });

  it('stays cdk-nag clean: the preflight methods are acknowledged, not silenced wholesale', () => {
    const nag = synth.report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag?.violations ?? []).toEqual([]);
  });
});

describe('the origin is checked at synth', () => {
  it.each([
    ['https://app.example.com/', /corsAllowOrigin must be \* or one origin/],
    ['https://app.example.com/console', /corsAllowOrigin must be \* or one origin/],
    ['https://a.example.com,https://b.example.com', /not a list/],
    ['HTTPS://App.Example.com', /corsAllowOrigin must be \* or one origin/],
    ['app.example.com', /corsAllowOrigin must be \* or one origin/],
    ['https://app.example.com:443', /as browsers send it in Origin: "https:\/\/app.example.com"/],
    ['http://localhost:99999', /corsAllowOrigin must be \* or one origin/],
  ])('%s is refused', (origin, message) => {
    expect(() => new LatchkeyStack(testApp(), 'Latchkey', { corsAllowOrigin: origin })).toThrow(message);
  });

  it.each(['*', 'http://localhost:5173', 'https://app.example.com', 'http://[::1]:8080'])(
    '%s is accepted',
    (origin) => {
      expect(() => new LatchkeyStack(testApp(), 'Latchkey', { corsAllowOrigin: origin })).not.toThrow();
    },
  );
});
