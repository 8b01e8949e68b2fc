/**
 * AWS Signature Version 4, verified the way AWS verifies it, for the local Secrets Manager endpoint:
 * parse `Authorization: AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/secretsmanager/aws4_request,
 * SignedHeaders=…, Signature=…` (host, x-amz-date, x-amz-target and content-type must be signed), check the key id against this
 * run's credential, the service, the X-Amz-Date (±5 minutes of now, the same day as the scope), then
 * rebuild the canonical request (method, URI, query, signed headers, SHA-256 of the body as received)
 * and compare signatures in constant time. A refusal is a value carrying the error type and message AWS
 * answers with (all 400 in the JSON protocol); nothing here logs the secret or a signature.
 * `signSigV4` is the client side, from the same canonical request, for `latchkey admin-key --local`,
 * which then needs no AWS SDK.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { LocalSecretsCredential } from './credential';

export interface SignedRequest {
  method: string;
  /** The request target as received: path and query, still percent-encoded. */
  url: string;
  /** Node's `rawHeaders`: name, value, name, value… */
  rawHeaders: string[];
  body: Buffer;
}

export type SigV4Result = { valid: true } | { valid: false; type: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'secretsmanager';
const MAX_SKEW_MS = 5 * 60_000;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/**
 * Headers every signature must cover. AWS: "You must include the host header and any x-amz-* headers
 * in the signature" (IAM User Guide, "Create a signed AWS API request"). X-Amz-Target names the
 * operation and Content-Type the protocol: unsigned, a signature made for DescribeSecret could be
 * replayed as GetSecretValue. The AWS SDKs and the AWS CLI sign all four.
 */
const REQUIRED_SIGNED_HEADERS = ['content-type', 'host', 'x-amz-date', 'x-amz-target'] as const;

const refuse = (type: string, message: string): SigV4Result => ({ valid: false, type, message });
const incomplete = (message: string) => refuse('IncompleteSignatureException', message);
const invalidSignature = (message: string) => refuse('InvalidSignatureException', message);

export function verifySigV4(
  req: SignedRequest,
  credential: LocalSecretsCredential,
  now: number,
): SigV4Result {
  const headers = headerValues(req.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined)
    return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    return incomplete(`Authorization header requires the ${ALGORITHM} algorithm.`);
  }
  const params = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = params.get('Credential')?.split('/') ?? [];
  const signed = params.get('SignedHeaders')?.split(';') ?? [];
  const signature = params.get('Signature') ?? '';
  const [keyId, day, region, service, terminal] = scope;
  if (scope.length !== 5 || !keyId || !/^\d{8}$/.test(day ?? '') || !region || terminal !== 'aws4_request') {
    return incomplete(
      'Authorization header requires a Credential of the form AKID/yyyymmdd/region/service/aws4_request.',
    );
  }
  if (!REQUIRED_SIGNED_HEADERS.every((name) => signed.includes(name)) || !/^[0-9a-f]{64}$/.test(signature)) {
    return incomplete(
      `Authorization header requires SignedHeaders with ${REQUIRED_SIGNED_HEADERS.join(', ')}, and a Signature.`,
    );
  }
  const amzDate = headers.get('x-amz-date') ?? '';
  const parts = AMZ_DATE_RE.exec(amzDate);
  if (!parts) return incomplete('X-Amz-Date must be an ISO 8601 basic date (yyyymmddThhmmssZ).');
  if (!sameText(keyId, credential.accessKeyId)) {
    return refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (service !== SERVICE)
    return invalidSignature(`Credential should be scoped to correct service: '${SERVICE}'.`);
  const [, y, mo, d, h, mi, s] = parts.map(Number);
  const signedAt = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  if (now - signedAt > MAX_SKEW_MS) {
    return invalidSignature(
      `Signature expired: ${amzDate} is now earlier than ${basic(now - MAX_SKEW_MS)} (${basic(now)} - 5 min.)`,
    );
  }
  if (signedAt - now > MAX_SKEW_MS) {
    return invalidSignature(
      `Signature not yet current: ${amzDate} is still later than ${basic(now + MAX_SKEW_MS)} (${basic(now)} + 5 min.)`,
    );
  }
  if (amzDate.slice(0, 8) !== day) {
    return invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  // The body as received, hashed here: an x-amz-content-sha256 header cannot vouch for other bytes.
  const expected = Buffer.from(
    signatureOf(req, headers, signed, amzDate, { region, service }, credential.secretAccessKey),
  );
  if (!timingSafeEqual(expected, Buffer.from(signature))) {
    return invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return { valid: true };
}

/** SigV4's signature (hex) of a request over `signed` headers, from its canonical request. */
function signatureOf(
  req: { method: string; url: string; body: Buffer },
  headers: Map<string, string>,
  signed: readonly string[],
  amzDate: string,
  scope: { region: string; service: string },
  secretAccessKey: string,
): string {
  const day = amzDate.slice(0, 8);
  const canonicalHeaders = signed.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
  const [path = '', query = ''] = splitTarget(req.url);
  const canonicalRequest = [
    req.method,
    canonicalUri(path),
    canonicalQuery(query),
    canonicalHeaders,
    signed.join(';'),
    sha256(req.body),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, day);
  for (const step of [scope.region, scope.service, 'aws4_request']) key = hmac(key, step);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

export interface SigV4SignInput {
  method: string;
  /** The request target: path and query, percent-encoded as sent. */
  url: string;
  /** Every header to sign (host among them), by lower-case name. */
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  now: number;
}

/**
 * The `X-Amz-Date` and `Authorization` headers that sign a request with `credential` (every header
 * given is signed). Verified by `verifySigV4` and, being SigV4, by AWS's own signers' rules.
 */
export function signSigV4(
  input: SigV4SignInput,
  credential: LocalSecretsCredential,
): { 'x-amz-date': string; authorization: string } {
  const amzDate = basic(input.now);
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers)) {
    headers.set(name.toLowerCase(), value.trim().replace(/ +/g, ' '));
  }
  headers.set('x-amz-date', amzDate);
  const signed = [...headers.keys()].sort();
  const signature = signatureOf(
    { method: input.method, url: input.url, body: Buffer.from(input.body) },
    headers,
    signed,
    amzDate,
    input,
    credential.secretAccessKey,
  );
  const scope = `${amzDate.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  return {
    'x-amz-date': amzDate,
    authorization: `${ALGORITHM} Credential=${credential.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
  };
}

/** Header values by lower-case name, repeated headers joined with commas, spaces collapsed (SigV4's rule). */
function headerValues(raw: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = (raw[i + 1] as string).trim().replace(/ +/g, ' ');
    const previous = out.get(name);
    out.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return out;
}

function splitTarget(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

/** Each path segment URI-encoded once more, as AWS's signers do for every service but S3. */
function canonicalUri(path: string): string {
  return path === '' ? '/' : path.split('/').map(encode).join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [encode(decode(k)), encode(decode(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** yyyymmddThhmmssZ */
function basic(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
