/**
 * `POST /v1/leaks/github` end to end through the local gateway against DynamoDB Local, with a loopback
 * stand-in for GitHub's key list and P-256 key pairs made here: a signed batch disables its keys, writes
 * `key.leaked` and `key.disabled` by `github-secret-scanning` with the leak's URL, and answers GitHub's
 * feedback; a disabled key is refused from its next request; everything unsigned or badly signed is the
 * one 401 (before the body is read); an unknown key id fetches the list once more; a failed fetch is 503;
 * tokens of another prefix and junk are false positives; 500 matches are answered well inside GitHub's
 * time limit; and with the switch off the route answers like an unknown path.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import type { AuditEvent } from '#core/model';
import { formatToken, newKeyId } from '#core/token';
import { recordToItem } from '#lambda/dynamo/codec';
import { useLatchkey } from '../helpers/latchkey';
import { type Call, createKey } from '../helpers/local';
import { keyRecord } from '../helpers/records';

interface GithubKey {
  id: string;
  privateKey: KeyObject;
  pem: string;
}

function githubKey(id: string): GithubKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** The stand-in for https://api.github.com/meta/public_keys/secret_scanning. */
const keyList = { keys: [] as GithubKey[], fetches: 0, failing: false };
let server: Server;
const settings: Record<string, string> = {};

beforeAll(async () => {
  server = createServer((_req, res) => {
    keyList.fetches++;
    if (keyList.failing) {
      res.writeHead(500).end();
      return;
    }
    const body = JSON.stringify({
      public_keys: keyList.keys.map((k) => ({ key_identifier: k.id, key: k.pem, is_current: true })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  settings.LATCHKEY_GITHUB_KEYS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Moves local mode's clock on, past the key list's refetch interval. */
let clockOffsetMs = 0;
const lk = useLatchkey({ settings, now: () => Date.now() + clockOffsetMs });

const current = githubKey('a'.repeat(64));
keyList.keys.push(current);

function signed(body: string, key: GithubKey = current): Record<string, string> {
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': key.id,
    'github-public-key-signature': sign('sha256', Buffer.from(body), key.privateKey).toString('base64'),
  };
}

type Feedback = { token_hash: string; token_type: string; label: string }[];
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const report = (call: Call, body: string, headers: Record<string, string>) =>
  call<Feedback>('POST', '/v1/leaks/github', { rawBody: body, headers });
const match = (token: string, url = 'https://github.com/octo/repo/blob/abc/config.js') => ({
  token,
  type: 'lk_api_key',
  url,
  source: 'content',
});

describe('a signed batch', () => {
  it('disables the leaked keys, audits them with the URL, answers the feedback, and the key is refused next', async () => {
    const leaked = await createKey(lk.call, lk.admin, { org_id: 'leaky' });
    const safe = await createKey(lk.call, lk.admin, { org_id: 'leaky' });
    expect((await lk.call('GET', '/v1/whoami', { token: leaked.token })).status).toBe(200);
    const url = 'https://github.com/octo/repo/blob/abc/.env';
    const forged = `${leaked.token.slice(0, -10)}AAAAAAAAAA`;
    const body = JSON.stringify([match(leaked.token, url), match(forged), match('not a token at all')]);

    const res = await report(lk.call, body, signed(body));

    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { token_hash: sha256(leaked.token), token_type: 'lk_api_key', label: 'true_positive' },
      { token_hash: sha256(forged), token_type: 'lk_api_key', label: 'false_positive' },
      { token_hash: sha256('not a token at all'), token_type: 'lk_api_key', label: 'false_positive' },
    ]);
    expect(res.text).not.toContain(leaked.token);
    expect((await lk.call('GET', '/v1/whoami', { token: leaked.token })).status).toBe(401);
    expect((await lk.call('GET', '/v1/whoami', { token: safe.token })).status).toBe(200);
    const key = await lk.call<{ key: { status: string } }>('GET', `/v1/keys/${leaked.id}`, {
      token: lk.admin,
    });
    expect(key.body.key.status).toBe('disabled');

    const trail = await lk.call<{ events: AuditEvent[] }>('GET', `/v1/audit?key_id=${leaked.id}`, {
      token: lk.admin,
    });
    const [disabled, leak] = trail.body.events;
    expect(leak).toMatchObject({
      type: 'key.leaked',
      actor: 'github-secret-scanning',
      changes: { leak_url: { old: null, new: url }, action: { old: null, new: 'disable' } },
    });
    expect(disabled).toMatchObject({
      type: 'key.disabled',
      actor: 'github-secret-scanning',
      changes: { enabled: { old: true, new: false } },
    });
    expect(leak?.request_id).toBe(res.headers.get('x-request-id'));

    // Reported again (GitHub retries): still a true positive, one more key.leaked, no second disable.
    const again = await report(lk.call, body, signed(body));
    expect(again.body[0]?.label).toBe('true_positive');
    const after = await lk.call<{ events: AuditEvent[] }>('GET', `/v1/audit?key_id=${leaked.id}`, {
      token: lk.admin,
    });
    expect(after.body.events.map((e) => e.type)).toEqual([
      'key.leaked',
      'key.disabled',
      'key.leaked',
      'key.created',
    ]);
  });

  it('tokens of another prefix, with a good checksum, are false positives and touch nothing', async () => {
    const mine = await createKey(lk.call, lk.admin);
    const other = formatToken('acme', mine.id, mine.token.slice(4 + 16, 4 + 16 + 43));
    const body = JSON.stringify([match(other)]);
    const res = await report(lk.call, body, signed(body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { token_hash: sha256(other), token_type: 'lk_api_key', label: 'false_positive' },
    ]);
    expect((await lk.call('GET', '/v1/whoami', { token: mine.token })).status).toBe(200);
  });

  it('answers 500 matches (250 keys, each twice) well inside GitHub’s time limit', async () => {
    // Key items written straight to the table (250 creates through the API would only time the setup).
    const keys = Array.from({ length: 250 }, () => {
      const token = formatToken('lk', newKeyId(), randomBase62(43));
      const id = token.slice(3, 3 + 16);
      return { id, token, record: keyRecord({ id, org_id: 'bulk', key_hash: sha256(token) }) };
    });
    for (let i = 0; i < keys.length; i += 25) {
      await lk.local.runtime.dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [lk.local.tableName]: keys
              .slice(i, i + 25)
              .map((k) => ({ PutRequest: { Item: recordToItem(k.record) } })),
          },
        }),
      );
    }
    const body = JSON.stringify([...keys, ...keys].map((k) => match(k.token)));
    const started = performance.now();
    const res = await report(lk.call, body, signed(body));
    const elapsedMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(500);
    expect(res.body.every((f) => f.label === 'true_positive')).toBe(true);
    // A bound with a wide margin on this shared 2-core machine (DynamoDB Local, 250 transactions).
    expect(elapsedMs).toBeLessThan(10_000);
    for (const k of keys) {
      const key = await lk.call<{ key: { status: string } }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
      expect(key.body.key.status, k.id).toBe('disabled');
    }
  });

  it('a signed body that is not a batch is 400', async () => {
    const body = '{"token":"x"}';
    expect((await report(lk.call, body, signed(body))).status).toBe(400);
  });
});

describe('anything not signed by GitHub is the one 401, before the body is read', () => {
  it('no headers, a bad signature, another key’s signature, a replayed body under another signature', async () => {
    const victim = await createKey(lk.call, lk.admin);
    const body = JSON.stringify([match(victim.token)]);
    const good = signed(body);
    const stranger = githubKey('b'.repeat(64));
    const otherBody = JSON.stringify([match('lk_something_else')]);
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      { ...good, 'github-public-key-signature': Buffer.from('forged').toString('base64') },
      { ...signed(body, stranger), 'github-public-key-identifier': current.id },
      // The signature of another body, replayed with this one.
      { ...good, 'github-public-key-signature': signed(otherBody)['github-public-key-signature'] as string },
      { ...good, 'github-public-key-identifier': '../../etc' },
    ];
    for (const headers of attempts) {
      const res = await report(lk.call, body, headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    // Junk that is not JSON, unsigned: the same 401, not a 400.
    expect((await report(lk.call, '}{ not json', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await lk.call('GET', '/v1/whoami', { token: victim.token })).status).toBe(200);
  });

  it('an unknown key id fetches the list once more: GitHub’s new key is found, a stranger is not', async () => {
    const body = JSON.stringify([match('lk_unknown')]);
    // Past the interval, an id the list lacks fetches it again (and is still refused): the list is fresh.
    clockOffsetMs += 11_000;
    const before = keyList.fetches;
    expect((await report(lk.call, body, signed(body, githubKey('f'.repeat(64))))).status).toBe(401);
    expect(keyList.fetches).toBe(before + 1);
    const rotated = githubKey('c'.repeat(64));
    keyList.keys.push(rotated);
    const loaded = keyList.fetches;

    // Within the refetch interval an unknown id fetches nothing: unsigned traffic cannot hammer GitHub.
    expect((await report(lk.call, body, signed(body, rotated))).status).toBe(401);
    expect(keyList.fetches).toBe(loaded);

    clockOffsetMs += 11_000;
    expect((await report(lk.call, body, signed(body, rotated))).status).toBe(200);
    expect(keyList.fetches).toBe(loaded + 1);
    // Known now: no further fetch; a stranger's id right after is refused without one.
    expect((await report(lk.call, body, signed(body, rotated))).status).toBe(200);
    expect((await report(lk.call, body, signed(body, githubKey('d'.repeat(64))))).status).toBe(401);
    expect(keyList.fetches).toBe(loaded + 1);
  });

  it('a key list that cannot be fetched refuses the report (503), and nothing is cached from it', async () => {
    const victim = await createKey(lk.call, lk.admin);
    const fresh = githubKey('e'.repeat(64));
    const body = JSON.stringify([match(victim.token)]);
    keyList.failing = true;
    clockOffsetMs += 11_000;
    try {
      const res = await report(lk.call, body, signed(body, fresh));
      expect(res.status).toBe(503);
      expect(res.text).not.toContain(victim.token);
    } finally {
      keyList.failing = false;
    }
    expect((await lk.call('GET', '/v1/whoami', { token: victim.token })).status).toBe(200);
  });
});

describe('switched off (githubSecretScanning false)', () => {
  const off = useLatchkey({ settings, githubSecretScanning: false });

  it('the route answers exactly as an unknown path does', async () => {
    const body = JSON.stringify([match('lk_x')]);
    const res = await off.call('POST', '/v1/leaks/github', { rawBody: body, headers: signed(body) });
    const unknown = await off.call('POST', '/v1/leaks/elsewhere', { rawBody: body, headers: signed(body) });
    expect(res.status).toBe(unknown.status);
    expect(res.status).toBe(404);
  });
});

describe('as an HTTP API (payload format 2.0)', () => {
  const http = useLatchkey({ settings, apiType: 'http' });

  it('a signed report disables the key; an unsigned one is the one 401', async () => {
    const leaked = await createKey(http.call, http.admin);
    const body = JSON.stringify([match(leaked.token)]);
    expect((await report(http.call, body, { 'content-type': 'application/json' })).status).toBe(401);
    const res = await report(http.call, body, signed(body));
    expect(res.status).toBe(200);
    expect(res.body[0]?.label).toBe('true_positive');
    // An HTTP API answers every authorizer refusal 403 (docs/deploy.md, HTTP API mode).
    expect((await http.call('GET', '/v1/whoami', { token: leaked.token })).status).toBe(403);
  });
});
