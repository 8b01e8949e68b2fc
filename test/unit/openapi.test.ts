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
          expect(Object.keys(op.responses as Json), route.id).not.toContain('401');
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
