/**
 * The parts of the API Gateway proxy edge that log nothing: the signed-body check and the JSON response
 * (event reading is events.ts). `latchkey/integration` bundles this module and not `http.ts`, so a user's
 * integration does not carry latchkey's logger. A response of this shape answers both payload formats:
 * AWS, API Gateway developer guide, "Working with AWS Lambda proxy integrations for HTTP APIs" (format 2.0
 * takes `statusCode`, `headers`, `body`, `isBase64Encoded` as format 1.0 does).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { verifyBodyDigest } from '#core/armor';
import { API_JSON_HEADERS } from '#core/gateway-responses';
import type { BodyRefusal } from '#core/refusals';
import { verifyRfc9530Body } from '#core/rfc9530';

/**
 * Why a signed request's body must be refused (no, a wrong or a repeated Content-Digest), or null:
 * ARMOR-PSK's `sha-512` digest, or an RFC 9421 request's `sha-256`/`sha-512` digests.
 */
export function signedBodyRefusal(
  scheme: unknown,
  rawBody: Buffer | null,
  contentDigest: string | undefined,
  contentDigestRepeated = false,
): BodyRefusal | null {
  if (scheme !== 'armor' && scheme !== 'rfc9421') return null;
  if (contentDigestRepeated) return 'content_digest_repeated';
  const outcome =
    scheme === 'armor' ? verifyBodyDigest(rawBody, contentDigest) : verifyRfc9530Body(rawBody, contentDigest);
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
