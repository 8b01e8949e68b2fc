/**
 * The parts of the API Gateway proxy edge that log nothing: header and body reading, the signed-body
 * check and the JSON response. `latchkey/integration` bundles this module and not `http.ts`, so a user's
 * integration does not carry latchkey's logger.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { verifyBodyDigest } from '#core/armor';
import { API_JSON_HEADERS } from '#core/gateway-responses';
import type { BodyRefusal } from '#core/refusals';

export function lowerCaseHeaders(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string> {
  // Null prototype: a header named `__proto__` or `toString` is only a name.
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

type HeaderLines = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * How many lines of a header (name compared case-insensitively) the request carried. In REST API
 * events, proxy and REQUEST authorizer alike, `headers` holds one value per name (the last, as
 * `queryStringParameters` holds the last of a repeated parameter) and `multiValueHeaders` every line:
 * AWS, API Gateway developer guide, "Set up Lambda proxy integrations in API Gateway" (input format,
 * multi-value headers) and "Input to an API Gateway Lambda authorizer" (REQUEST type). Repeated
 * request headers are not verified on AWS; the local gateway builds both fields the same way.
 */
export function headerLineCount(
  event: {
    headers?: Readonly<Record<string, string | undefined>> | null;
    multiValueHeaders?: HeaderLines | null;
  },
  name: string,
): number {
  const wanted = name.toLowerCase();
  const matching = (input: object | null | undefined) =>
    Object.entries(input ?? {}).filter(([key, value]) => key.toLowerCase() === wanted && value !== undefined);
  const multi = matching(event.multiValueHeaders);
  if (multi.length > 0) return multi.reduce((n, [, lines]) => n + (lines as readonly string[]).length, 0);
  return matching(event.headers).length;
}

/** The defined entries of an event map (parameters, query), in a null-prototype object. */
export function definedValues(
  input: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(input ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

export function rawBodyOf(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer | null {
  if (event.body === null || event.body === undefined) return null;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Why a signed request's body must be refused (no, a wrong or a repeated Content-Digest), or null. */
export function signedBodyRefusal(
  scheme: unknown,
  rawBody: Buffer | null,
  contentDigest: string | undefined,
  contentDigestRepeated = false,
): BodyRefusal | null {
  if (scheme !== 'armor') return null;
  if (contentDigestRepeated) return 'content_digest_repeated';
  const outcome = verifyBodyDigest(rawBody, contentDigest);
  return outcome === 'missing' || outcome === 'mismatch' ? `content_digest_${outcome}` : null;
}

export function jsonResponse(statusCode: number, body: unknown, requestId: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      ...API_JSON_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': requestId,
    },
    body: JSON.stringify(body),
  };
}
