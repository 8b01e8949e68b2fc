/**
 * Checks real responses against the OpenAPI document with a real JSON Schema validator (Ajv, draft
 * 2020-12, with ajv-formats): the route is found in the route table, the status must be one the document
 * lists for that operation, the content type one it lists for that status, and a JSON body must match
 * the schema. `client()` (test/helpers/local.ts) runs every response it receives through
 * `assertDocumentedResponse`, so each integration and reliability test that talks HTTP checks the
 * document as a side effect; a response the document does not describe fails that test.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { openApiDocument, openApiPath } from '#core/openapi';
import { matchRoute, ROUTES } from '#core/routes';

type Json = Record<string, unknown>;

const DOC_ID = 'latchkey-openapi';
const document = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: { responses: Record<string, Json> };
};

// ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (
  ajv: Ajv2020,
) => void;

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** JSON Pointer escaping of one reference token. */
const token = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function validatorFor(pointer: string): ValidateFunction {
  const cached = validators.get(pointer);
  if (cached) return cached;
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(document as unknown as Json, DOC_ID);
  }
  const fn = ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
  validators.set(pointer, fn);
  return fn;
}

export interface ObservedResponse {
  method: string;
  /** The request path, without stage or query. */
  path: string;
  status: number;
  contentType: string | null;
  text: string;
}

/** Throws an error describing the mismatch when the response is not one the document describes. */
export function assertDocumentedResponse(r: ObservedResponse): void {
  const where = `${r.method} ${r.path} → ${r.status}`;
  const match = matchRoute(r.method.toUpperCase(), r.path, ROUTES);
  let pointer: string;
  if (!match) {
    // No route: API Gateway's own 404 (or an application route of the test's own).
    if (r.status !== 404) return;
    pointer = '/components/schemas/Error';
  } else {
    const path = openApiPath(match.route.path);
    const method = r.method.toLowerCase();
    const responses = document.paths[path]?.[method]?.responses;
    if (!responses) throw new Error(`OpenAPI: ${where}: no operation ${method} ${path} in the document`);
    let base = `/paths/${token(path)}/${method}/responses/${r.status}`;
    let response = responses[String(r.status)];
    if (!response) {
      throw new Error(
        `OpenAPI: ${where}: status ${r.status} is not documented (documented: ${Object.keys(responses).join(', ')})`,
      );
    }
    const $ref = response.$ref;
    if (typeof $ref === 'string') {
      const name = $ref.split('/').pop() as string;
      response = document.components.responses[name] as Json;
      base = `/components/responses/${token(name)}`;
    }
    if (method === 'head' || r.text === '') return;
    const content = (response.content ?? {}) as Record<string, Json>;
    const mediaType = (r.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!content[mediaType]) {
      throw new Error(
        `OpenAPI: ${where}: content type ${JSON.stringify(mediaType)} is not documented ` +
          `(documented: ${Object.keys(content).join(', ')})`,
      );
    }
    if (mediaType !== 'application/json') return;
    pointer = `${base}/content/${token(mediaType)}/schema`;
  }
  let body: unknown;
  try {
    body = JSON.parse(r.text);
  } catch {
    throw new Error(`OpenAPI: ${where}: the body is not JSON: ${r.text.slice(0, 200)}`);
  }
  const validate = validatorFor(pointer);
  if (!validate(body)) {
    const errors = (validate.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
      .join('; ');
    throw new Error(
      `OpenAPI: ${where}: the body does not match the document: ${errors}\n${r.text.slice(0, 500)}`,
    );
  }
}

/** A validator for one schema of `components.schemas` (refs resolved against the whole document). */
export function schemaValidator(name: string): (value: unknown) => boolean {
  return validatorFor(`/components/schemas/${token(name)}`);
}
