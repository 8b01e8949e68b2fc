/**
 * The SDK names the management routes through the route table (`routePath`): each client method sends
 * the method and path of the route it is documented for, with path parameters URL-encoded, so a
 * change to a route's path reaches the SDK without a second edit.
 */
import { describe, expect, it } from 'vitest';
import { matchRoute, routePath } from '#core/routes';
import { LatchkeyClient } from '#sdk/index';

/** A client whose fetch records each request and answers 200 `{}`. */
function recordingClient() {
  const sent: Array<{ method: string; path: string }> = [];
  const client = new LatchkeyClient({
    baseUrl: 'http://127.0.0.1:9/prod',
    key: 'abcdefabcdefabcdefabcdefabcdefab',
    retries: 0,
    fetch: async (input, init) => {
      const url = new URL(String(input));
      sent.push({ method: init?.method ?? 'GET', path: `${url.pathname}${url.search}` });
      return new Response(JSON.stringify({ keys: [], next_cursor: null }), { status: 200 });
    },
  });
  return { client, sent };
}

describe('routePath', () => {
  it('fills and encodes path parameters; refuses unknown routes and missing parameters', () => {
    expect(routePath('createKey')).toBe('/v1/keys');
    expect(routePath('rotateKey', { id: 'a/b c' })).toBe('/v1/keys/a%2Fb%20c/rotate');
    expect(routePath('putOrg', { org_id: 'acme' })).toBe('/v1/orgs/acme');
    // @ts-expect-error: an id outside the route table does not compile
    expect(() => routePath('noSuchRoute')).toThrow('no route with id noSuchRoute');
    expect(() => routePath('getKey')).toThrow('needs the path parameter id');
  });
});

describe('the SDK', () => {
  it('sends each management call to the route the table names', async () => {
    const { client, sent } = recordingClient();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['createKey', () => client.createKey({ name: 'x' })],
      ['listKeys', () => client.listKeys({ limit: 2, status: 'active' })],
      ['getKey', () => client.getKey('3hQx9TmP2wLk8ZrA')],
      ['revokeKey', () => client.revokeKey('3hQx9TmP2wLk8ZrA')],
      ['rotateKey', () => client.rotateKey('3hQx9TmP2wLk8ZrA', { grace_period_seconds: 5 })],
      ['whoami', () => client.whoami()],
      ['getOrg', () => client.getOrg('acme')],
      ['putOrg', () => client.setOrgLimit('acme', 3)],
    ];
    for (const [routeId, call] of calls) {
      await call();
      const request = sent.at(-1);
      const path = request?.path.replace(/^\/prod/, '').split('?')[0] ?? '';
      expect(matchRoute(request?.method ?? '', path)?.route.id, routeId).toBe(routeId);
    }
    expect(sent[1]?.path).toBe('/prod/v1/keys?limit=2&status=active');
  });

  it('refuses an empty path parameter before sending anything', () => {
    const { client, sent } = recordingClient();
    expect(() => client.getKey('')).toThrow('id must be a non-empty string');
    expect(() => client.getOrg('')).toThrow('orgId must be a non-empty string');
    expect(sent).toEqual([]);
  });
});
