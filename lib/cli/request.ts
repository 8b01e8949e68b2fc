/**
 * `latchkey request METHOD PATH`: a signing curl. Sends one request to any route behind the authorizer
 * with the key as a bearer token, or signed with ARMOR-PSK (`--sign`), and prints the response body; a
 * non-2xx answer is an error naming the server's code (exit 1).
 */
import { LatchkeyError } from '../sdk';
import { defineCommand } from './command';
import { usage } from './errors';
import { clean } from './format';
import { readData } from './input';
import { flag, list, text } from './options';

/** `--header "Name: value"`… as Headers; Authorization is the key's and cannot be set here. */
function requestHeaders(given: readonly string[]): Headers {
  const headers = new Headers();
  for (const header of given) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw usage(`--header must look like "Name: value", got "${clean(header)}"`);
    const name = header.slice(0, colon).trim();
    if (name.toLowerCase() === 'authorization') throw usage('--header cannot set Authorization; use --key');
    try {
      headers.append(name, header.slice(colon + 1).trim());
    } catch {
      throw usage(`--header "${clean(name)}" is not a valid header`);
    }
  }
  return headers;
}

export const request = defineCommand({
  name: 'request',
  summary: 'call any route with the key, signed with --sign (a signing curl)',
  usage:
    'latchkey request METHOD PATH [--data JSON|@file|@-] [--header "Name: value"]… [--sign [armor|rfc9421]] [--private-key FILE --key-id ID] [--include]',
  description:
    'Sends one request to PATH (relative to the base URL, query string allowed) with the key as a bearer\n' +
    'token, or signed with ARMOR-PSK (fresh nonce, timestamp and Content-Digest) with --sign, or with\n' +
    'RFC 9421 HTTP Message Signatures with --sign rfc9421 (HMAC with the token; Ed25519 with --private-key\n' +
    'FILE and --key-id ID for a public-key key, which always signs with RFC 9421). Prints the\n' +
    'response body; a non-2xx status is an error (exit 1). --data sends a body (Content-Type defaults to\n' +
    'application/json): text, @file to read a file, or @- to read stdin.',
  args: ['METHOD', 'PATH'],
  api: true,
  options: {
    data: text('BODY', 'request body: text, @file or @-', 'd'),
    header: list('"Name: value"', 'extra header', 'H'),
    include: flag('print the status line and headers too', 'i'),
  },
  examples: [
    'latchkey request GET /v1/whoami',
    `latchkey request POST /v1/echo/orders --data '{"sku": "A-1", "qty": 2}' --sign`,
    'latchkey request PUT /v1/echo/config --data @config.json --sign',
    'latchkey request GET "/v1/echo/orders?page=2" --sign rfc9421',
    'latchkey request POST /v1/echo/orders --data @order.json --private-key signer.pem --key-id 3hQx9TmP2wLk8ZrA',
  ],
  async run(ctx) {
    const [rawMethod, path] = ctx.args;
    const method = rawMethod.toUpperCase();
    if (!/^[A-Z]+$/.test(method))
      throw usage(`METHOD must be an HTTP method such as GET or POST, got "${clean(rawMethod)}"`);
    if (!path.startsWith('/')) throw usage(`PATH must start with "/", e.g. /v1/whoami`);
    const headers = requestHeaders(ctx.values.header ?? []);
    let body: string | undefined;
    if (ctx.values.data !== undefined) {
      if (method === 'GET' || method === 'HEAD') throw usage(`a ${method} request cannot have --data`);
      body = readData(ctx.values.data, ctx.readStdin);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const res = await ctx
      .client()
      .fetch(path, { method, headers, body: body ?? null })
      .catch((error: unknown) => {
        // The client refuses a path that would leave the base URL before sending anything.
        if (error instanceof TypeError) throw usage(`PATH ${error.message}`);
        throw error;
      });
    const answer = await res.text();
    if (ctx.values.include) {
      const head = [`HTTP ${res.status} ${res.statusText}`];
      res.headers.forEach((value, name) => {
        head.push(`${name}: ${value}`);
      });
      ctx.out(`${head.join('\n')}\n`);
    }
    if (!res.ok) {
      if (ctx.values.include) ctx.out(answer);
      throw LatchkeyError.fromBody(res.status, res.statusText, res.headers, answer, { method, path });
    }
    if (answer !== '') ctx.out(answer.endsWith('\n') ? answer.slice(0, -1) : answer);
  },
});
