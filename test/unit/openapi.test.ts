/**
 * The OpenAPI document: generated from the route table (every route, every method, its security), kept
 * in sync with the committed docs/openapi.json, every schema compiles under a real 2020-12 validator,
 * and the response checker the HTTP test client uses refuses what the document does not describe.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '#core/errors';
import { toApiKey } from '#core/model';
import { ERROR_STATUSES, openApiDocument, openApiJson, openApiPath, SECURITY } from '#core/openapi';
import { READ_METHODS, ROUTES, WRITE_METHODS } from '#core/routes';
import { SCHEMAS } from '#core/schemas';
import { KEY_ID_RE } from '#core/token';
import { ORG_ID_RE } from '#core/validation';
import { assertDocumentedResponse, schemaValidator } from '../helpers/openapi';
import { keyRecord } from '../helpers/records';

type Json = Record<string, unknown>;
const doc = openApiDocument() as {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { responses: Record<string, Json>; securitySchemes: Record<string, Json> };
};

describe('the OpenAPI document', () => {
  it('is committed as docs/openapi.json exactly as generated (npm run openapi rewrites it)', () => {
    expect(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')).toBe(openApiJson());
  });

  it('is OpenAPI 3.1 with both security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes[SECURITY.bearer]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes[SECURITY.armor]).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
    });
    expect(doc.components.securitySchemes[SECURITY.armor]?.description).toMatch(/canonical string/);
  });

  it('has every route of the route table, each method, and nothing else', () => {
    const expected = ROUTES.flatMap((r) =>
      (r.method === 'ANY' ? [...READ_METHODS, ...WRITE_METHODS] : [r.method]).map(
        (m) => `${m.toLowerCase()} ${openApiPath(r.path)}`,
      ),
    ).sort();
    const actual = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`))
      .sort();
    expect(actual).toEqual(expected);
  });

  it('needs no credential exactly on the public routes, and the route’s permission elsewhere', () => {
    for (const route of ROUTES) {
      const methods = route.method === 'ANY' ? [...READ_METHODS, ...WRITE_METHODS] : [route.method];
      for (const method of methods) {
        const op = doc.paths[openApiPath(route.path)]?.[method.toLowerCase()] as Json;
        const security = op.security as Json[];
        if (route.needs === 'public') {
          expect(security, route.id).toEqual([]);
          // The leak report authenticates GitHub's signature itself, and refuses anything else with 401.
          if (route.handler === 'leaks') expect(Object.keys(op.responses as Json)).toContain('401');
          else expect(Object.keys(op.responses as Json), route.id).not.toContain('401');
        } else {
          expect(security.length, route.id).toBeGreaterThan(0);
          expect(Object.keys(op.responses as Json), route.id).toContain('401');
        }
        if (typeof route.needs === 'string' && route.needs.includes(':')) {
          expect(security).toContainEqual({ [SECURITY.bearer]: [route.needs] });
        }
      }
    }
  });

  it('documents every error code with its status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(ERROR_STATUSES).toContain(status);
      expect(doc.components.responses[`Error${status}`]?.description).toContain(`\`${code}\``);
    }
  });

  it('every schema compiles and every $ref resolves under a 2020-12 validator', () => {
    for (const name of Object.keys(SCHEMAS)) expect(() => schemaValidator(name), name).not.toThrow();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const status of Object.keys(op.responses as Json)) {
          const call = { method, path: path.replace(/\{[^}]+\}/g, 'x'), status: Number(status) };
          // Compiles the response schema (an empty body skips the body check).
          expect(() => assertDocumentedResponse({ ...call, contentType: null, text: '' })).not.toThrow();
        }
      }
    }
  });
});

describe('what the document says, as the API behaves', () => {
  const full = doc as unknown as Json & {
    paths: Record<string, Record<string, Json & { parameters?: Json[]; requestBody?: Json }>>;
    components: { headers: Record<string, Json>; schemas: Record<string, Json> };
  };
  const param = (path: string, method: string, name: string) =>
    full.paths[path]?.[method]?.parameters?.find((p) => p.name === name) as { schema: Json } | undefined;

  it('has no jsonSchemaDialect (it only restated the default, and made Prism skip body validation)', () => {
    expect(full).not.toHaveProperty('jsonSchemaDialect');
  });

  it("declares a body on the echo route's writes, none on its reads", () => {
    const echo = full.paths['/v1/echo/{proxy}'] as Record<string, Json & { requestBody?: Json }>;
    for (const method of WRITE_METHODS.map((m) => m.toLowerCase())) {
      expect(echo[method]?.requestBody, method).toEqual({
        required: false,
        content: { '*/*': { schema: {} } },
      });
    }
    for (const method of READ_METHODS.map((m) => m.toLowerCase())) {
      expect(echo[method]?.requestBody, method).toBeUndefined();
    }
  });

  it('gives org_id (path) and the audit key_id (query) the patterns the API checks', () => {
    for (const method of ['get', 'put']) {
      expect(param('/v1/orgs/{org_id}', method, 'org_id')?.schema).toEqual({
        type: 'string',
        pattern: ORG_ID_RE.source,
      });
    }
    expect(param('/v1/audit', 'get', 'key_id')?.schema).toEqual({
      type: 'string',
      pattern: KEY_ID_RE.source,
    });
    const pattern = new RegExp(param('/v1/orgs/{org_id}', 'get', 'org_id')?.schema.pattern as string);
    expect(pattern.test('acme')).toBe(true);
    expect(pattern.test('-acme')).toBe(false);
  });

  it('declares x-request-id on every JSON answer and every error', () => {
    expect(full.components.headers.RequestId).toMatchObject({ schema: { type: 'string' } });
    const ref = { $ref: '#/components/headers/RequestId' };
    for (const response of Object.values(doc.components.responses)) {
      expect(response.headers).toEqual({ 'x-request-id': ref });
    }
    const created = full.paths['/v1/keys']?.post?.responses as Record<string, Json>;
    expect(created['201']?.headers).toEqual({ 'x-request-id': ref });
    const page = full.paths['/console']?.get?.responses as Record<string, Json>;
    expect(page['200']?.headers).toBeUndefined();
  });

  it('describes GET /v1/openapi.json by a schema the document itself passes, and a broken one fails', () => {
    const responses = full.paths['/v1/openapi.json']?.get?.responses as Record<string, Json>;
    const ok200 = responses['200'] as { content: Record<string, { schema: Json }> };
    const schema = ok200.content['application/json']?.schema as Json;
    expect(Object.keys(schema.properties as Json)).toEqual(
      expect.arrayContaining(['openapi', 'info', 'paths']),
    );
    const ok = { method: 'GET', path: '/v1/openapi.json', status: 200, contentType: 'application/json' };
    expect(() => assertDocumentedResponse({ ...ok, text: openApiJson() })).not.toThrow();
    expect(() => assertDocumentedResponse({ ...ok, text: JSON.stringify({ openapi: '3.1.0' }) })).toThrow();
  });

  it('states that rate_limited is 403 for the per-key limit and 429 for API Gateway throttling', () => {
    expect(full.components.schemas.ErrorCode?.description).toContain('rate_limited (403 or 429)');
  });

  it('words the nonce as the API checks it: no space, and the strict profile', () => {
    const armor = doc.components.securitySchemes[SECURITY.armor] as { description: string };
    expect(armor.description).toContain('0x21-0x7E');
    expect(armor.description).toContain('32 lowercase hex');
  });
});

describe('the response checker used by the test client', () => {
  const key = toApiKey(keyRecord(), 'lk', Date.parse('2025-06-01T00:00:00Z'));
  const ok = (path: string, status: number, body: unknown, method = 'GET') =>
    assertDocumentedResponse({
      method,
      path,
      status,
      contentType: 'application/json; charset=utf-8',
      text: JSON.stringify(body),
    });

  it('passes a documented response', () => {
    expect(() => ok('/v1/keys/K1', 200, { key })).not.toThrow();
    expect(() =>
      ok('/v1/keys/K1', 404, { error: { code: 'not_found', message: 'No such key.', request_id: 'r' } }),
    ).not.toThrow();
  });

  it('fails a body that does not match, naming the field', () => {
    expect(() => ok('/v1/keys/K1', 200, { key: { ...key, status: 'paused' } })).toThrow(/status/);
    expect(() => ok('/v1/keys/K1', 200, { key: { ...key, secret: 'x' } })).toThrow(/additional/);
    expect(() => ok('/v1/keys/K1', 404, { error: { code: 'nope', message: 'm', request_id: 'r' } })).toThrow(
      /code/,
    );
  });

  it('fails an undocumented status or content type', () => {
    expect(() => ok('/v1/keys/K1', 201, { key })).toThrow(/not documented/);
    expect(() =>
      assertDocumentedResponse({
        method: 'GET',
        path: '/v1/keys',
        status: 200,
        contentType: 'text/html',
        text: '<p>',
      }),
    ).toThrow(/content type/);
  });
});
