import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PRINCIPAL, principalContext } from '#core/principal';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { checkSignedBody } from '#lambda/integration';
import type { LocalMode } from '#local/local-mode';
import { startTestLatchkey } from '../helpers/local';

/**
 * The Lambda handlers fed with a real API Gateway REST proxy event (checked-in sample from a
 * deployed API, with the stage in requestContext.path and a numeric integrationLatency next to the
 * authorizer's context), against DynamoDB Local.
 */
const sample = JSON.parse(
  readFileSync(new URL('../fixtures/apigw-rest/proxy-event.json', import.meta.url), 'utf8'),
) as APIGatewayProxyEvent;

function proxyEvent(
  method: string,
  resource: string,
  path: string,
  authorizer: Record<string, unknown> | null,
  body: string | null = null,
  pathParameters: Record<string, string> | null = null,
): APIGatewayProxyEvent {
  return {
    ...sample,
    httpMethod: method,
    resource,
    path,
    body,
    pathParameters,
    requestContext: {
      ...sample.requestContext,
      httpMethod: method,
      resourcePath: resource,
      path: `/prod${path}`,
      authorizer: authorizer === null ? sample.requestContext.authorizer : authorizer,
    },
  } as APIGatewayProxyEvent;
}

let local: LocalMode;
let management: ReturnType<typeof createManagementHandler>;
beforeAll(async () => {
  local = await startTestLatchkey();
  management = createManagementHandler(local.runtime);
});
afterAll(() => local.stop());

const adminContext = { ...principalContext(ADMIN_PRINCIPAL), principalId: 'admin', integrationLatency: 12 };

describe('management handler on a real proxy event', () => {
  it('creates a key and reads it back', async () => {
    const created = await management(
      proxyEvent('POST', '/v1/keys', '/v1/keys', adminContext, JSON.stringify({ name: 'from fixture' })),
    );
    expect(created.statusCode).toBe(201);
    expect(created.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    const { key } = JSON.parse(created.body) as { key: { id: string } };
    const got = await management(
      proxyEvent('GET', '/v1/keys/{id}', `/v1/keys/${key.id}`, adminContext, null, { id: key.id }),
    );
    expect(got.statusCode).toBe(200);
    expect(JSON.parse(got.body).key.name).toBe('from fixture');
  });

  it('decodes a base64-encoded body as API Gateway sends binary-typed payloads', async () => {
    const event = proxyEvent(
      'POST',
      '/v1/keys',
      '/v1/keys',
      adminContext,
      Buffer.from('{"name":"b64"}').toString('base64'),
    );
    event.isBase64Encoded = true;
    const res = await management(event);
    expect(res.statusCode).toBe(201);
  });

  it('refuses an event whose authorizer context names no latchkey principal (the sample’s own context)', async () => {
    const res = await management(proxyEvent('GET', '/v1/whoami', '/v1/whoami', null));
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        code: 'unauthorized',
        message: 'A valid API key or admin key is required.',
        request_id: sample.requestContext.requestId,
      },
    });
  });

  it('answers 404 for a resource it does not serve', async () => {
    const res = await management(proxyEvent('GET', '/lambda-token', '/lambda-token', adminContext));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe('not_found');
  });
});

describe('echo handler on a real proxy event', () => {
  it('echoes the path as the client sent it, including the stage', async () => {
    const context = {
      principal: 'key',
      key_id: 'AAAAAAAAAAAAAAAA',
      org_id: 'acme',
      permissions: 'api:read',
      principalId: 'AAAAAAAAAAAAAAAA',
    };
    const res = await echo(
      proxyEvent('GET', '/v1/echo/{proxy+}', '/v1/echo/a/b', context, null, { proxy: 'a/b' }),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      method: 'GET',
      path: '/prod/v1/echo/a/b',
      proxy: 'a/b',
      principal: { type: 'key', key_id: 'AAAAAAAAAAAAAAAA', org_id: 'acme' },
    });
  });
});

describe('checkSignedBody (the helper for your own integrations) on a real proxy event', () => {
  const body = '{"sku":"A-1"}';
  const digest = `sha-512=:${createHash('sha512').update(body).digest('base64')}:`;
  const signed = {
    principal: 'key',
    key_id: 'AAAAAAAAAAAAAAAA',
    org_id: 'acme',
    permissions: 'api:write',
    auth_scheme: 'armor',
  };
  const withHeaders = (event: APIGatewayProxyEvent, headers: Record<string, string>) => ({
    ...event,
    headers: { ...event.headers, ...headers },
  });

  it('lets a signed body through only when it matches Content-Digest', () => {
    const event = proxyEvent('POST', '/orders', '/orders', signed, body);
    expect(checkSignedBody(withHeaders(event, { 'Content-Digest': digest }))).toBeNull();
    const missing = checkSignedBody(event);
    expect(missing?.statusCode).toBe(401);
    expect(JSON.parse(missing?.body ?? '{}').error.code).toBe('unauthorized');
    const tampered = proxyEvent('POST', '/orders', '/orders', signed, '{"sku":"B-2"}');
    expect(checkSignedBody(withHeaders(tampered, { 'content-digest': digest }))?.statusCode).toBe(401);
  });

  it('refuses a signed body whose Content-Digest header came more than once', () => {
    const event = withHeaders(proxyEvent('POST', '/orders', '/orders', signed, body), {
      'Content-Digest': digest,
    });
    const repeated = {
      ...event,
      multiValueHeaders: { ...event.multiValueHeaders, 'Content-Digest': [digest, digest] },
    };
    const refused = checkSignedBody(repeated);
    expect(refused?.statusCode).toBe(401);
    expect(JSON.parse(refused?.body ?? '{}').error.code).toBe('unauthorized');
    const once = { ...event, multiValueHeaders: { ...event.multiValueHeaders, 'Content-Digest': [digest] } };
    expect(checkSignedBody(once)).toBeNull();
  });

  it('has nothing to check for bearer requests or empty signed bodies', () => {
    expect(
      checkSignedBody(proxyEvent('POST', '/orders', '/orders', { ...signed, auth_scheme: 'bearer' }, body)),
    ).toBeNull();
    expect(checkSignedBody(proxyEvent('GET', '/orders', '/orders', signed, null))).toBeNull();
  });
});
