/**
 * What the OpenAPI document says about each route of the route table, by route id: a summary, its
 * tag, its query parameters, request body and success responses (schema names from schemas.ts). The
 * method, path, path parameters, security and error responses come from the route table and the
 * error vocabulary in openapi.ts; a route without an entry here fails the document's generation.
 */

import type { JsonSchema, SchemaName } from './schemas';
import { KEY_ID_RE } from './token';
import { USAGE_DAYS } from './usage';
import { KEY_STATUSES, LIST_PAGE_SIZE, NAME_LENGTH, ORG_ID_RE } from './validation';

/** A JSON body (a schema name), or another media type with its schema. */
export type ResponseDoc = SchemaName | { contentType: string | readonly string[]; schema: JsonSchema };

export interface QueryDoc {
  description: string;
  schema: JsonSchema;
}

export type Tag = 'keys' | 'audit' | 'orgs' | 'identity' | 'leaks' | 'application' | 'documents';

/** The tags, in the document's order, with what each groups. */
export const TAGS: Readonly<Record<Tag, string>> = {
  keys: 'Create, list, edit, rotate and revoke API keys, and read their daily usage.',
  audit: 'Who changed which key, and how.',
  orgs: "Organizations' key limits and plans (admin key).",
  identity: "The caller's own identity, and the deployment's roles.",
  leaks: "Leaked tokens reported by GitHub secret scanning (GitHub's signature, not a latchkey credential).",
  application: 'Your own routes behind the authorizer; the sample echo route stands for them.',
  documents: 'This document and the web console, served without a credential.',
};

export interface OperationDoc {
  summary: string;
  description?: string;
  tag: Tag;
  /** Query parameters, all optional; anything else is refused with 400. */
  query?: Record<string, QueryDoc>;
  /** The request body of its write methods: a JSON body (a schema name), or other media types. */
  body?: ResponseDoc;
  /** Whether the body must be present (an empty body counts as `{}` where it may be absent). */
  bodyRequired?: boolean;
  /** Success (and other non-error) responses by status. */
  responses: Record<number, { description: string; body: ResponseDoc }>;
}

const TEXT: JsonSchema = { type: 'string' };

/** GitHub's secret-scanning report: the matches of one or more pushes. */
const LEAK_REPORT: JsonSchema = {
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['token', 'type'],
    properties: {
      token: { type: 'string' },
      type: { type: 'string' },
      url: { type: 'string' },
      source: { type: 'string' },
    },
  },
};

/** The feedback GitHub reads back: the token's SHA-256 (hex), its type, and whether it is real. */
const LEAK_FEEDBACK: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['token_hash', 'token_type', 'label'],
    additionalProperties: false,
    properties: {
      token_hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      token_type: { type: 'string' },
      label: { type: 'string', enum: ['true_positive', 'false_positive'] },
    },
  },
};

/** Path parameters that are checked (400 when a value does not match), by name; others are strings. */
export const PATH_PARAMETERS: Readonly<Record<string, JsonSchema>> = {
  org_id: { type: 'string', pattern: ORG_ID_RE.source },
};

/** The shape of an OpenAPI 3.1 document, as far as this API's own one goes. */
const OPENAPI_DOCUMENT: JsonSchema = {
  type: 'object',
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: {
      type: 'object',
      properties: { title: { type: 'string' }, version: { type: 'string' } },
      required: ['title', 'version'],
    },
    servers: { type: 'array', items: { type: 'object', properties: { url: { type: 'string' } } } },
    security: { type: 'array', items: { type: 'object' } },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    paths: { type: 'object', additionalProperties: { type: 'object' } },
    components: { type: 'object' },
  },
  required: ['openapi', 'info', 'paths'],
};
const consoleResponses: OperationDoc['responses'] = {
  200: {
    description: 'The page or asset.',
    body: { contentType: ['text/html', 'text/javascript', 'text/css'], schema: TEXT },
  },
  404: { description: 'No such asset.', body: { contentType: 'text/plain', schema: TEXT } },
};

const listKeysLimit: QueryDoc = {
  description: 'Page size.',
  schema: {
    type: 'integer',
    minimum: LIST_PAGE_SIZE.min,
    maximum: LIST_PAGE_SIZE.max,
    default: LIST_PAGE_SIZE.default,
  },
};

export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  createKey: {
    summary: 'Create a key',
    description:
      'The secret (`raw_key`) is returned in this response only. With `public_key` the key is a public-key ' +
      'key: it has no secret, and the answer is the key alone.',
    tag: 'keys',
    body: 'CreateKeyRequest',
    bodyRequired: true,
    responses: { 201: { description: 'Created.', body: 'CreatedKeyResponse' } },
  },
  listKeys: {
    summary: "List the organization's keys, newest first",
    tag: 'keys',
    query: {
      limit: listKeysLimit,
      cursor: { description: "The previous page's next_cursor.", schema: { type: 'string' } },
      status: {
        description:
          'Only keys with this status (`rotating`: rotated, in its grace period; `rotated`: rotated, grace over).',
        schema: { enum: [...KEY_STATUSES] },
      },
      name: {
        description:
          'Only keys whose name contains this text, case-sensitively. With a filter (this or `status`) a page ' +
          'may hold fewer than `limit` keys, even none: follow next_cursor until it is null.',
        schema: { type: 'string', minLength: 1, maxLength: NAME_LENGTH.max },
      },
      org_id: {
        description: 'Admin key only: the organization to list.',
        schema: { type: 'string', pattern: ORG_ID_RE.source },
      },
    },
    responses: { 200: { description: 'One page.', body: 'ListKeysResponse' } },
  },
  getKey: {
    summary: 'Get a key',
    tag: 'keys',
    responses: { 200: { description: 'The key.', body: 'KeyResponse' } },
  },
  updateKey: {
    summary: 'Edit, disable or enable a key',
    description:
      'Other organization → 404; a key cannot change itself (409 cannot_modify_self); a revoked, rotating, ' +
      'rotated or expired key → 409 conflict; more than the caller holds → 403. A disabled key keeps its slot.',
    tag: 'keys',
    body: 'UpdateKeyRequest',
    bodyRequired: true,
    responses: { 200: { description: 'The key after the change.', body: 'KeyResponse' } },
  },
  listAudit: {
    summary: 'The audit trail, newest first',
    description: "The caller's organization; the admin key any (org_id), or one key's events across them.",
    tag: 'audit',
    query: {
      key_id: {
        description: "Only this key's events.",
        schema: { type: 'string', pattern: KEY_ID_RE.source },
      },
      limit: listKeysLimit,
      cursor: { description: "The previous page's next_cursor.", schema: { type: 'string' } },
      org_id: {
        description: 'Admin key only: the organization.',
        schema: { type: 'string', pattern: ORG_ID_RE.source },
      },
    },
    responses: { 200: { description: 'One page.', body: 'AuditPage' } },
  },
  revokeKey: {
    summary: 'Revoke a key',
    description: 'Immediate and permanent; harmless to repeat. A key cannot revoke itself.',
    tag: 'keys',
    responses: { 200: { description: 'Revoked.', body: 'RevokeResponse' } },
  },
  rotateKey: {
    summary: 'Rotate a key',
    description:
      'A new key with the same settings; the old one works for the grace period. A public-key key is ' +
      'rotated to the new `public_key` the body names (400 without one).',
    tag: 'keys',
    body: 'RotateKeyRequest',
    responses: { 201: { description: 'The new key.', body: 'CreatedKeyResponse' } },
  },
  addCredits: {
    summary: "Add credits to a key's balance",
    description:
      'Adds `add` to the balance in one atomic write, so concurrent calls and top-ups all count; a ' +
      '`key.credits_added` audit event is written in the same transaction. 409 for a key without credits ' +
      '(unlimited: set them with PATCH) or one revoked, rotated or expired.',
    tag: 'keys',
    body: 'AddCreditsRequest',
    responses: { 200: { description: 'The key after the top-up.', body: 'KeyResponse' } },
  },
  listOrgs: {
    summary: 'List organizations, by org id',
    description:
      'Every organization that has keys or a limit or plan of its own; active_keys as last counted ' +
      '(expired keys are released when the organization is read with GET /v1/orgs/{org_id}).',
    tag: 'orgs',
    query: {
      limit: listKeysLimit,
      cursor: { description: "The previous page's next_cursor.", schema: { type: 'string' } },
    },
    responses: { 200: { description: 'One page.', body: 'ListOrgsResponse' } },
  },
  getOrg: {
    summary: "Get an organization's key limit",
    tag: 'orgs',
    responses: { 200: { description: 'The organization.', body: 'Org' } },
  },
  getKeyUsage: {
    summary: "A key's calls per day, and its refusals by outcome",
    description:
      'Allowed requests and refused ones by outcome per UTC day, exactly `days` entries ending today; same visibility as GET.',
    tag: 'keys',
    query: {
      days: {
        description: 'How many days, ending today (UTC).',
        schema: {
          type: 'integer',
          minimum: USAGE_DAYS.min,
          maximum: USAGE_DAYS.max,
          default: USAGE_DAYS.default,
        },
      },
    },
    responses: { 200: { description: 'The daily series.', body: 'KeyUsageResponse' } },
  },
  listRoles: {
    summary: "The deployment's roles",
    tag: 'identity',
    responses: { 200: { description: 'Role → permissions, and the default role.', body: 'RolesResponse' } },
  },
  listPlans: {
    summary: "The deployment's plans",
    description: 'The plans `PUT /v1/orgs/{org_id}` `{plan}` accepts, from the `plans` setting (admin key).',
    tag: 'orgs',
    responses: { 200: { description: 'Plan → key limit.', body: 'PlansResponse' } },
  },
  putOrg: {
    summary: "Set an organization's key limit or plan",
    description: 'Either {max_keys} or {plan} (a plan of the deployment), not both.',
    tag: 'orgs',
    body: 'OrgUpdateRequest',
    bodyRequired: true,
    responses: { 200: { description: 'The organization.', body: 'Org' } },
  },
  whoami: {
    summary: 'Who the credential is',
    tag: 'identity',
    responses: { 200: { description: 'The caller.', body: 'Whoami' } },
  },
  echo: {
    summary: 'Sample application route',
    description:
      'Echoes what your own integration would receive behind the authorizer. Writes take any body; a ' +
      'signed request with a body must send its Content-Digest.',
    tag: 'application',
    body: { contentType: '*/*', schema: {} },
    responses: { 200: { description: 'What was received.', body: 'EchoResponse' } },
  },
  reportGithubLeaks: {
    summary: 'Report leaked tokens (GitHub secret scanning)',
    description:
      "Called by GitHub only: the body must be signed with one of GitHub's published ECDSA P-256 keys " +
      '(`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`), or the answer is 401 whatever the ' +
      "body holds. Each token of this deployment that matches a live key applies the deployment's " +
      '`leakAction` (disable, revoke or notify) and writes `key.leaked` to its audit trail. No latchkey ' +
      'credential; the route is absent when `githubSecretScanning` is off.',
    tag: 'leaks',
    body: { contentType: 'application/json', schema: LEAK_REPORT },
    bodyRequired: true,
    responses: {
      200: {
        description: "GitHub's feedback: one entry per reported token, in order.",
        body: { contentType: 'application/json', schema: LEAK_FEEDBACK },
      },
      401: {
        description: 'Not signed by GitHub (missing, unknown key id, or a bad signature).',
        body: 'Error',
      },
    },
  },
  getOpenApi: {
    summary: 'This document',
    description: 'OpenAPI 3.1, generated from the route table and the validators. No credential needed.',
    tag: 'documents',
    responses: {
      200: {
        description: 'The document.',
        body: { contentType: 'application/json', schema: OPENAPI_DOCUMENT },
      },
    },
  },
  console: {
    summary: 'The web console',
    description: 'The page; it calls this API with the credential you give it. No credential needed.',
    tag: 'documents',
    responses: consoleResponses,
  },
  consoleAsset: {
    summary: "The web console's scripts and styles",
    description: '`/console/` redirects (308) to `../console`.',
    tag: 'documents',
    responses: {
      ...consoleResponses,
      308: { description: 'Redirect to the page.', body: { contentType: 'text/plain', schema: TEXT } },
    },
  },
};
