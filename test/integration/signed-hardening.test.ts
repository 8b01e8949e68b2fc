import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import type { LocalMode } from '#local/local-mode';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { API_TYPES, expectRefusal, REFUSALS } from '../helpers/refusals';

/**
 * Hardening of signed requests through the local gateway against DynamoDB Local: a signature refused
 * after it verified (rate limit, revoked, expired) is consumed all the same, so a byte-for-byte copy
 * never succeeds later. Run against both API types: a credential refusal is a 401 from a REST API and
 * a 403 from an HTTP API (test/helpers/refusals.ts). The clock of this instance can be moved forward to cross rate-limit windows.
 */
describe.each(API_TYPES)('%s API', (apiType) => {
  const refused = REFUSALS[apiType].bad_credential.status;
  let local: LocalMode;
  let call: Call;
  let offsetMs = 0;
  let ddbCalls: string[] = [];

  beforeAll(async () => {
    local = await startTestLatchkey({ apiType, now: () => Date.now() + offsetMs });
    call = client(local.url, { apiType });
    onDynamoCommand(local.runtime.dynamo, (name) => ddbCalls.push(name));
  });
  afterAll(async () => {
    await local.stop();
  });

  /** Moves the clock to the start of the next rate-limit window (the signed timestamps stay valid). */
  function nextMinute(): void {
    const now = Date.now() + offsetMs;
    offsetMs += 60_000 - (now % 60_000) + 50;
  }

  describe('a verified signature is consumed even when the request is refused', () => {
    it('refused for its rate limit: the copy is refused in the next minute window too', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey, { rate_limit_per_minute: 1 });
      const first = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/one' });
      const second = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/two' });
      // If the first lands in the last second of a minute, the second may be in a fresh window.
      const headroom = 60_000 - ((Date.now() + offsetMs) % 60_000);
      if (headroom < 5_000) nextMinute();
      expect((await call('GET', '/v1/echo/one', { authorization: first.authorization })).status).toBe(200);
      ddbCalls = [];
      const limited = await call('GET', '/v1/echo/two', {
        authorization: second.authorization,
      });
      expectRefusal(limited, apiType, 'rate_limited');
      // One read, the refused transaction and the write that consumes the nonce and the signature. The
      // refusal's count (usage by outcome) is one more write, or, for a key this instance already keeps in
      // `bounded` mode, counted in memory and written with its next interval write (protocol §5.6).
      expect(ddbCalls.slice(0, 3)).toEqual([
        'GetItemCommand',
        'TransactWriteItemsCommand',
        'TransactWriteItemsCommand',
      ]);
      expect(ddbCalls.slice(3)).toEqual(ddbCalls.length > 3 ? ['UpdateItemCommand'] : []);

      nextMinute();
      const copy = await call('GET', '/v1/echo/two', { authorization: second.authorization });
      expect(copy.status).toBe(refused);
      // The key itself works in the new window.
      const fresh = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/three' });
      expect((await call('GET', '/v1/echo/three', { authorization: fresh.authorization })).status).toBe(200);
    });

    it('refused because the key is revoked: one read, the replay write and the refusal counted', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      expect((await call('DELETE', `/v1/keys/${k.id}`, { token: local.adminKey })).status).toBe(200);
      const headers = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/revoked' });
      ddbCalls = [];
      expect((await call('GET', '/v1/echo/revoked', { authorization: headers.authorization })).status).toBe(
        refused,
      );
      expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
    });

    it('an unverified signature writes nothing', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      const headers = signRequest({ token: k.token, method: 'GET', path: '/v1/echo/a' });
      ddbCalls = [];
      expect((await call('GET', '/v1/echo/b', { authorization: headers.authorization })).status).toBe(
        refused,
      );
      expect(ddbCalls).toEqual(['GetItemCommand']);
      // And the genuine request still goes through.
      expect((await call('GET', '/v1/echo/a', { authorization: headers.authorization })).status).toBe(200);
    });
  });

  /**
   * The boundary-shift attack: a DELETE signed for `/v1/echo/orders/123` with nonce N is delivered first
   * as `DELETE /v1/echo/orders/12` with nonce `3` + N. The canonical strings are the same, so the
   * signature verifies wherever the longer nonce is accepted.
   */
  function shifted(authorization: string, nonce: string): string {
    return authorization.replace(`:${nonce}:`, `:3${nonce}:`);
  }

  describe('the path/nonce boundary', () => {
    const nonce = '0123456789abcdef0123456789abcdef';

    it('strict profile: the shifted copy is refused before any DynamoDB call, the genuine request passes', async () => {
      const strict = await startTestLatchkey({ apiType, settings: { LATCHKEY_SIGNING_PROFILE: 'strict' } });
      try {
        const strictCall = client(strict.url, { apiType });
        const k = await createKey(strictCall, strict.adminKey);
        const headers = signRequest({ token: k.token, method: 'DELETE', path: '/v1/echo/orders/123', nonce });
        const attack = await strictCall('DELETE', '/v1/echo/orders/12', {
          authorization: shifted(headers.authorization, nonce),
        });
        expect(attack.status).toBe(refused);
        const genuine = await strictCall('DELETE', '/v1/echo/orders/123', {
          authorization: headers.authorization,
        });
        expect(genuine.status).toBe(200);
        // A third-party nonce outside the profile (here 24 characters) is refused too.
        const other = signRequest({ token: k.token, method: 'GET', path: '/v1/whoami' });
        const short = other.authorization.replace(`:${other.nonce}:`, `:${other.nonce.slice(8)}:`);
        expect((await strictCall('GET', '/v1/whoami', { authorization: short })).status).toBe(refused);
      } finally {
        await strict.stop();
      }
    });

    it('compatible profile (the default): whichever copy arrives first is the only one accepted', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      const headers = signRequest({ token: k.token, method: 'DELETE', path: '/v1/echo/orders/123', nonce });
      // The residual risk of the compatible profile (docs/protocol.md §2.6): the shifted copy runs.
      const attack = await call('DELETE', '/v1/echo/orders/12', {
        authorization: shifted(headers.authorization, nonce),
      });
      expect(attack.status).toBe(200);
      // The signature record then refuses the genuine request, and any further copy.
      expect(
        (await call('DELETE', '/v1/echo/orders/123', { authorization: headers.authorization })).status,
      ).toBe(refused);
    });
  });

  /**
   * The nonces Armor's published example clients send: Python's `uuid.uuid4()`, `uuidgen` in their shell
   * scripts (upper case on macOS), the knowledge base's "the nonce must equal the timestamp", and a
   * community Go client's 10 random letters and digits. None is 32 lowercase hex characters, which is
   * why `compatible` stays the default (docs/protocol.md §2.6).
   */
  describe("Armor's published clients' nonces", () => {
    const armorNonces = (timestamp: number): [string, string][] => [
      ['uuid4', '6f1c2a3e-9b4d-4c8e-a1f0-3d2b5c7e9a10'],
      ['uuidgen on macOS', '6F1C2A3E-9B4D-4C8E-A1F0-3D2B5C7E9A10'],
      ['the timestamp itself', String(timestamp)],
      ['10 letters and digits', 'aZ3kQ9pL0x'],
    ];

    /** Signed as those clients sign: HMAC-SHA512 over the plain concatenation, keyed with the token. */
    const armorSigned = (
      key: { id: string; token: string },
      path: string,
      nonce: string,
      timestamp: number,
    ) => {
      const mac = createHmac('sha512', key.token)
        .update(`${key.id}GET${path}${nonce}${timestamp}`)
        .digest('base64');
      return `ARMOR-PSK ${key.id}:${mac}:${nonce}:${timestamp}`;
    };

    it('the default profile accepts every one; strict refuses every one', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      const strict = await startTestLatchkey({ apiType, settings: { LATCHKEY_SIGNING_PROFILE: 'strict' } });
      try {
        const strictCall = client(strict.url, { apiType });
        const ks = await createKey(strictCall, strict.adminKey);
        const timestamp = Math.floor(Date.now() / 1000);
        for (const [name, nonce] of armorNonces(timestamp)) {
          const byDefault = armorSigned(k, '/v1/whoami', nonce, timestamp);
          expect((await call('GET', '/v1/whoami', { authorization: byDefault })).status, name).toBe(200);
          const underStrict = armorSigned(ks, '/v1/whoami', nonce, timestamp);
          expect((await strictCall('GET', '/v1/whoami', { authorization: underStrict })).status, name).toBe(
            refused,
          );
        }
      } finally {
        await strict.stop();
      }
    });
  });

  describe('headers parsed to the RFCs', () => {
    it('`Bearer` followed by a no-break space is refused with no DynamoDB call; a space works', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      ddbCalls = [];
      const nbsp = await call('GET', '/v1/whoami', { authorization: `Bearer\u00a0${k.token}` });
      expect(nbsp.status).toBe(refused);
      expect(ddbCalls).toEqual([]);
      expect((await call('GET', '/v1/whoami', { authorization: `Bearer ${k.token}` })).status).toBe(200);
    });

    it('a Content-Digest key in upper case (`SHA-512=`) is refused; `sha-512=` is accepted', async () => {
      offsetMs = 0;
      const k = await createKey(call, local.adminKey);
      const body = '{"qty":1}';
      const upper = signRequest({ token: k.token, method: 'POST', path: '/v1/echo/digest', body });
      const res = await call('POST', '/v1/echo/digest', {
        authorization: upper.authorization,
        headers: { 'content-digest': (upper.contentDigest as string).replace('sha-512', 'SHA-512') },
        rawBody: body,
      });
      expect(res.status).toBe(refused);
      const lower = signRequest({ token: k.token, method: 'POST', path: '/v1/echo/digest', body });
      const ok = await call('POST', '/v1/echo/digest', {
        authorization: lower.authorization,
        headers: { 'content-digest': lower.contentDigest as string },
        rawBody: body,
      });
      expect(ok.status).toBe(200);
    });
  });
});
