/**
 * `Content-Digest` read one way only, over real HTTP through the local gateway: a request that repeats
 * the header (sent as separate header lines, which `fetch` cannot do), a digest with parameters after
 * it, or whitespace that RFC 8941's serialisation never produces is refused with the one 401 of every
 * credential failure, and the authorizer logs why. The well-formed request next to each passes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { signRequest } from '#core/signer';
import { localLogFile } from '#local/constants';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-digest-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const lk = useLatchkey({ dataDir });

interface Answer {
  status: number;
  body: string;
}

/** One request whose array-valued headers go out as one header line per element. */
function send(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body = '',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${lk.local.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The authorizer's logged refusal for a request id (the answer's body names it). */
function loggedReason(answer: Answer): unknown {
  const requestId = (JSON.parse(answer.body) as { error: { request_id: string } }).error.request_id;
  const line = readFileSync(localLogFile(dataDir), 'utf8')
    .split('\n')
    .filter((l) => l.includes(requestId))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.message === 'unauthorized');
  return line?.reason;
}

function expectTheOne401(answer: Answer): void {
  expect(answer.status).toBe(401);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('unauthorized');
  expect(body.error.message).toBe(UNAUTHORIZED_MESSAGE);
}

let token = '';
const body = '{"qty":1}';
const path = '/v1/echo/orders';
const otherDigest = `sha-512=:${Buffer.alloc(64, 7).toString('base64')}:`;
const sha256 = `sha-256=:${Buffer.alloc(32, 1).toString('base64')}:`;

/** A freshly signed POST (a new nonce each time) and its Content-Digest value. */
function signed(): { authorization: string; digest: string } {
  const h = signRequest({ token, method: 'POST', path, body });
  return { authorization: h.authorization, digest: h.contentDigest as string };
}

beforeAll(async () => {
  token = (await createKey(lk.call, lk.admin)).token;
});

describe('a repeated Content-Digest header', () => {
  it.each([
    ['a wrong line, then the right one', (d: string) => [otherDigest, d]],
    ['the right line, then a wrong one', (d: string) => [d, otherDigest]],
    ['the same line twice', (d: string) => [d, d]],
    ['a sha-256 line, then the sha-512 one', (d: string) => [sha256, d]],
  ])('is refused: %s', async (_name, lines) => {
    const s = signed();
    const answer = await send(
      'POST',
      path,
      { authorization: s.authorization, 'content-digest': lines(s.digest) },
      body,
    );
    expectTheOne401(answer);
    expect(loggedReason(answer)).toBe('content_digest_repeated');
  });

  it('is refused on a bodiless signed request too; one line passes', async () => {
    const h = signRequest({ token, method: 'GET', path });
    const twice = await send('GET', path, {
      authorization: h.authorization,
      'content-digest': [otherDigest, otherDigest],
    });
    expectTheOne401(twice);
    expect(loggedReason(twice)).toBe('content_digest_repeated');
    const fresh = signRequest({ token, method: 'GET', path });
    expect((await send('GET', path, { authorization: fresh.authorization })).status).toBe(200);
  });

  it('one line, as sent by the SDK, passes', async () => {
    const s = signed();
    const answer = await send(
      'POST',
      path,
      { authorization: s.authorization, 'content-digest': s.digest },
      body,
    );
    expect(answer.status, answer.body).toBe(200);
  });
});

describe('a Content-Digest value outside RFC 8941 serialisation', () => {
  it.each([
    ['a parameter after the digest', (d: string) => `${d};x=1`],
    ['a bare parameter after the digest', (d: string) => `${d};x`],
    ['a space before the comma', (d: string) => `${sha256} , ${d}`],
    ['a tab after the comma', (d: string) => `${sha256},\t${d}`],
    ['the sha-512 member twice', (d: string) => `${d}, ${d}`],
  ])('is refused: %s', async (_name, value) => {
    const s = signed();
    const answer = await send(
      'POST',
      path,
      { authorization: s.authorization, 'content-digest': value(s.digest) },
      body,
    );
    expectTheOne401(answer);
    expect(loggedReason(answer)).toBe('bad_content_digest');
  });

  it.each([
    ['after a sha-256 member and a space', (d: string) => `${sha256}, ${d}`],
    ['after a sha-256 member, no space', (d: string) => `${sha256},${d}`],
  ])('passes %s', async (_name, value) => {
    const s = signed();
    const answer = await send(
      'POST',
      path,
      { authorization: s.authorization, 'content-digest': value(s.digest) },
      body,
    );
    expect(answer.status, answer.body).toBe(200);
  });
});
