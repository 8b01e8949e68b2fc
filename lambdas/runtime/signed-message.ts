/**
 * What an RFC 9421 request's verification reads from an API Gateway REQUEST authorizer event, either
 * payload format: the `Signature-Input` and `Signature` fields, the `Host`, the query, any covered field,
 * and whether the request has a body (the authorizer never sees the body itself). Logs nothing.
 *
 * The query: payload 2.0 carries it as sent (`rawQueryString`). A REST API (payload 1.0) gives its
 * authorizer the parameters only, decoded (`multiValueQueryStringParameters`: AWS, API Gateway developer
 * guide, "Input to an API Gateway Lambda authorizer", REQUEST type), so `@query` is rebuilt from them in
 * one canonical form (`canonicalQuery`): a REST request whose signed query was written otherwise does not
 * verify (401). The rebuilt query is made of exactly the parameters the integration then receives, so
 * what is verified is what is served. Not verified on AWS; the local gateway builds the same events.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { HttpSignatureInput } from '#core/verify-http-signature';
import { type AuthorizerEvent, isPayloadV2 } from './events';

/** RFC 3986 percent-encoding: everything but the unreserved characters, as UTF-8, upper-case hex. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The query a REST API's authorizer can rebuild from the parameters it is given: `name=value` pairs,
 * each name and value percent-encoded (`percentEncode`), joined with `&`, the parameters in the order
 * the event lists them, a repeated one's values in the order sent. '' when there is none.
 */
export function canonicalQuery(
  params: Readonly<Record<string, readonly string[] | undefined>> | null,
): string {
  const pairs: string[] = [];
  for (const [name, values] of Object.entries(params ?? {})) {
    for (const value of values ?? []) pairs.push(`${percentEncode(name)}=${percentEncode(value)}`);
  }
  return pairs.join('&');
}

/** Reads the RFC 9421 parts of an authorizer event. */
export function httpSignatureOf(event: AuthorizerEvent): HttpSignatureInput {
  const field = isPayloadV2<APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2>(event)
    ? // Payload 2.0: names lower-cased, repeated lines already joined with commas.
      (name: string) => event.headers?.[name]
    : restField(event);
  const query = isPayloadV2<APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2>(event)
    ? (event.rawQueryString ?? '')
    : canonicalQuery(
        event.multiValueQueryStringParameters ??
          Object.fromEntries(
            Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [
              k,
              v === undefined ? [] : [v],
            ]),
          ),
      );
  const length = field('content-length');
  return {
    signatureInput: field('signature-input'),
    signature: field('signature'),
    host: field('host'),
    query,
    field,
    hasBody: (length !== undefined && length.trim() !== '0') || field('transfer-encoding') !== undefined,
  };
}

/** A REST event's field lookup: names compared case-insensitively, every line (multiValueHeaders) joined. */
function restField(event: APIGatewayRequestAuthorizerEvent): (name: string) => string | undefined {
  return (name: string) => {
    const lines: string[] = [];
    const multi = Object.entries(event.multiValueHeaders ?? {}).filter(([k]) => k.toLowerCase() === name);
    if (multi.length > 0) for (const [, values] of multi) lines.push(...(values ?? []));
    else
      for (const [k, v] of Object.entries(event.headers ?? {}))
        if (k.toLowerCase() === name && v !== undefined) lines.push(v);
    return lines.length === 0 ? undefined : lines.map((l) => l.trim()).join(', ');
  };
}
