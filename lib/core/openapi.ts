/**
 * The OpenAPI 3.1 document of the latchkey API, generated — never written by hand — from the route
 * table (every route's method, path, path parameters and what it needs, which becomes its security
 * requirement), the body schemas of schemas.ts (built from the validators' own limits), the error
 * vocabulary (one error body; every code with its status, from errors.ts and the gateway responses)
 * and the two Authorization schemes. `openApiDocument()` is what `GET /v1/openapi.json` serves and what
 * `npm run openapi` writes to docs/openapi.json. Pure: no I/O, no environment.
 */
import { ARMOR_SCHEME, NONCE_MAX_LENGTH, STRICT_NONCE_LENGTH, TIMESTAMP_SKEW_SECONDS } from './armor';
import { ERROR_STATUS } from './errors';
import { ACCESS_DENIED_CODES, GATEWAY_RESPONSES } from './gateway-responses';
import { OPERATIONS, type OperationDoc, PATH_PARAMETERS, type ResponseDoc, TAGS } from './openapi-operations';
import { type HttpMethod, READ_METHODS, ROUTES, type Route, WRITE_METHODS } from './routes';
import { type JsonSchema, ref, SCHEMAS } from './schemas';
import { BEARER_SCHEME } from './wire';

export const OPENAPI_VERSION = '3.1.0';
/** `components.securitySchemes` names. */
export const SECURITY = { bearer: 'bearer', armor: 'armorPsk' } as const;

type Json = Record<string, unknown>;

/** Every error status any route can answer with: the error codes' and API Gateway's own. */
export const ERROR_STATUSES: readonly number[] = [
  ...new Set([
    ...Object.values(ERROR_STATUS),
    ...GATEWAY_RESPONSES.flatMap((r) => (r.statusCode === null ? [] : [r.statusCode])),
  ]),
].sort((a, b) => a - b);

/** Statuses a public route (no credential) cannot answer with. */
const CREDENTIAL_STATUSES = new Set([401, 403]);

function errorDescription(status: number): string {
  const codes = new Set<string>();
  for (const [code, s] of Object.entries(ERROR_STATUS)) if (s === status) codes.add(code);
  for (const r of GATEWAY_RESPONSES) {
    if (r.statusCode !== status) continue;
    // ACCESS_DENIED carries the authorizer's reason: forbidden, or rate_limited for a key over its limit.
    const reasons = r.code === '$context.authorizer.error_code' ? ACCESS_DENIED_CODES : [r.code];
    for (const c of reasons) codes.add(c);
  }
  return `Error: ${[...codes].map((c) => `\`${c}\``).join(', ')}.`;
}

const BEARER_DOC =
  `\`Authorization: ${BEARER_SCHEME} <token>\`: an API key (\`<prefix>_<id>_<secret><checksum>\`) or ` +
  'the admin key. Scopes listed on an operation are the permission it needs (`admin`: the admin key only).';

const ARMOR_DOC =
  `A signed request with an API key: \`Authorization: ${ARMOR_SCHEME} <keyId>:<signature>:<nonce>:<timestamp>\`, ` +
  'where signature = base64(HMAC-SHA512(key = the full token, message = the canonical string)) and the ' +
  'canonical string is keyId + METHOD + path (as sent, with the stage, without the query string) + nonce + ' +
  'timestamp + bodyDigest, concatenated without separators. bodyDigest is base64(SHA-512(body)) sent as ' +
  '`Content-Digest: sha-512=:<bodyDigest>:` (one header, no parameters), or empty for an empty body. The ' +
  `nonce is 1-${NONCE_MAX_LENGTH} visible ASCII characters (0x21-0x7E: no space, no control character) ` +
  `except ':', used once per key; under the deployment's strict signing profile exactly ` +
  `${STRICT_NONCE_LENGTH} lowercase hex characters (16 random bytes in hex work under both). timestamp is ` +
  `Unix seconds in decimal, within ${TIMESTAMP_SKEW_SECONDS} seconds of the server's clock. See ` +
  'docs/protocol.md §2.';

/** `components.headers` name of the request id every Lambda answer carries. */
const REQUEST_ID_HEADER = 'RequestId';
const requestIdHeader = { 'x-request-id': { $ref: `#/components/headers/${REQUEST_ID_HEADER}` } };

/** Whether a response is JSON, which the Lambdas send with `x-request-id`. */
function isJson(doc: ResponseDoc): boolean {
  if (typeof doc === 'string') return true;
  return doc.contentType === 'application/json';
}

/** OpenAPI has no ANY: it becomes every method API Gateway routes. */
function methodsOf(route: Route): HttpMethod[] {
  return route.method === 'ANY' ? [...READ_METHODS, ...WRITE_METHODS] : [route.method];
}

/** `{proxy+}` (API Gateway's greedy parameter) is written `{proxy}` in OpenAPI. */
export function openApiPath(resourcePath: string): string {
  return resourcePath.replace(/\{([A-Za-z0-9_]+)\+\}/g, '{$1}');
}

function security(route: Route, method: HttpMethod): Json[] {
  const both = (scopes: string[]) => [{ [SECURITY.bearer]: scopes }, { [SECURITY.armor]: scopes }];
  switch (route.needs) {
    case 'public':
      return [];
    case 'admin':
      return [{ [SECURITY.bearer]: ['admin'] }];
    case 'authenticated':
      return both([]);
    case 'application':
      return both([READ_METHODS.includes(method) ? 'api:read' : 'api:write']);
    default:
      return both([route.needs]);
  }
}

function content(doc: ResponseDoc): Json {
  if (typeof doc === 'string') return { 'application/json': { schema: ref(doc) } };
  const types = typeof doc.contentType === 'string' ? [doc.contentType] : doc.contentType;
  return Object.fromEntries(types.map((type) => [type, { schema: doc.schema }]));
}

function operation(route: Route, method: HttpMethod, doc: OperationDoc, multi: boolean): Json {
  const parameters: Json[] = [];
  for (const m of route.path.matchAll(/\{([A-Za-z0-9_]+)(\+?)\}/g)) {
    const name = m[1] as string;
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: PATH_PARAMETERS[name] ?? { type: 'string' },
      ...(m[2] === '+' ? { description: 'One or more path segments.' } : {}),
    });
  }
  for (const [name, q] of Object.entries(doc.query ?? {})) {
    parameters.push({ name, in: 'query', required: false, description: q.description, schema: q.schema });
  }
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    responses[status] = {
      description: r.description,
      ...(isJson(r.body) ? { headers: requestIdHeader } : {}),
      content: content(r.body),
    };
  }
  for (const status of ERROR_STATUSES) {
    if (route.needs === 'public' && CREDENTIAL_STATUSES.has(status)) continue;
    if (responses[status] === undefined)
      responses[status] = { $ref: `#/components/responses/Error${status}` };
  }
  return {
    operationId: multi ? `${route.id}${method[0]}${method.slice(1).toLowerCase()}` : route.id,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: security(route, method),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body && !READ_METHODS.includes(method)
      ? {
          requestBody: { required: doc.bodyRequired ?? false, content: content(doc.body) },
        }
      : {}),
    responses,
  };
}

/** The document. Throws if a route of the table has no entry in OPERATIONS (the tests call it). */
export function openApiDocument(routes: readonly Route[] = ROUTES): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const doc = OPERATIONS[route.id];
    if (!doc)
      throw new Error(`route ${route.id} has no entry in OPERATIONS (lib/core/openapi-operations.ts)`);
    const path = openApiPath(route.path);
    const item = paths[path] ?? {};
    paths[path] = item;
    const methods = methodsOf(route);
    for (const method of methods)
      item[method.toLowerCase()] = operation(route, method, doc, methods.length > 1);
  }
  const responses: Record<string, Json> = {};
  for (const status of ERROR_STATUSES) {
    responses[`Error${status}`] = {
      description: errorDescription(status),
      headers: requestIdHeader,
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  const schemas: Record<string, JsonSchema> = { ...SCHEMAS };
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'latchkey',
      version: '1',
      summary: 'Self-hosted API keys for AWS: hashed bearer keys and HMAC-signed requests.',
      description:
        'Generated from the route table and the validators (lib/core/openapi.ts). Every error has ' +
        'the one body `Error`; every credential failure is the same 401. See docs/protocol.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative to this document (`<stage>/v1/openapi.json`): the stage's base URL.
    servers: [{ url: '..', description: 'The API stage this document was served from.' }],
    security: [{ [SECURITY.bearer]: [] }, { [SECURITY.armor]: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas,
      responses,
      headers: {
        [REQUEST_ID_HEADER]: {
          description:
            "The request's id, the `request_id` of an error body and of the audit events it caused. Sent " +
            "with every answer of latchkey's Lambdas; API Gateway's own answers (a 401 or 403 from the " +
            'authorizer, a throttled request) carry it only in the error body.',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        [SECURITY.bearer]: { type: 'http', scheme: 'bearer', description: BEARER_DOC },
        [SECURITY.armor]: { type: 'apiKey', in: 'header', name: 'Authorization', description: ARMOR_DOC },
      },
    },
  };
}

/** The document as served and committed: two-space JSON with a final newline. */
export function openApiJson(routes: readonly Route[] = ROUTES): string {
  return `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
}
