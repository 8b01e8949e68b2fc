/**
 * Changing a deployment's token prefix through the local gateway, on DynamoDB Local: the same table and
 * secrets restarted with `LATCHKEY_TOKEN_PREFIX` set to `lk`, then `acme,lk`, then `acme`. A key issued
 * under `lk` keeps working (bearer and ARMOR-PSK) while `lk` is listed; new keys get `acme_`; once `lk` is
 * dropped its keys get the very 401 any other bad credential gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED_MESSAGE } from '#core/errors';
import { SETTINGS } from '#core/settings';
import { signRequest } from '#core/signer';
import type { LocalMode } from '#local/local-mode';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';
import { localVerifier } from '../helpers/verify';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-prefixes-'));
const tableName = `latchkey-prefixes-${process.pid}-${Date.now()}`;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** One deployment's table and secrets (the data folder keeps the signing secret), under `prefixes`. */
function deployment(prefixes: string) {
  const handle = {} as { local: LocalMode; call: Call; admin: string };
  beforeAll(async () => {
    handle.local = await startTestLatchkey({
      dataDir,
      tableName,
      settings: { [SETTINGS.tokenPrefix.env]: prefixes },
    });
    handle.call = client(handle.local.url);
    handle.admin = handle.local.adminKey;
  });
  afterAll(() => handle.local?.stop());
  return handle;
}

const bearer = (call: Call, token: string) => call('GET', '/v1/whoami', { token });

function signed(call: Call, token: string) {
  const headers = signRequest({ token, method: 'GET', path: '/v1/whoami' });
  return call('GET', '/v1/whoami', { authorization: headers.authorization });
}

/** The refusal without its request id: the same for every credential failure. */
function refusal(res: { status: number; body: unknown }) {
  const { request_id: _, ...error } = (res.body as { error: Record<string, unknown> }).error;
  return { status: res.status, error };
}

const UNAUTHORIZED = { status: 401, error: { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE } };

let lkKey: { id: string; token: string };
let lkSpare: { id: string; token: string };
let acmeKey: { id: string; token: string };

describe('issued under lk', () => {
  const d = deployment('lk');

  it('a new key gets lk_ and works', async () => {
    lkKey = await createKey(d.call, d.admin);
    lkSpare = await createKey(d.call, d.admin);
    expect(lkKey.token.startsWith(`lk_${lkKey.id}_`)).toBe(true);
    expect((await bearer(d.call, lkKey.token)).status).toBe(200);
  });
});

describe('LATCHKEY_TOKEN_PREFIX=acme,lk', () => {
  const d = deployment('acme,lk');

  it('the lk key keeps working, bearer and signed', async () => {
    expect((await bearer(d.call, lkKey.token)).body).toMatchObject({ key: { id: lkKey.id } });
    expect((await signed(d.call, lkKey.token)).body).toMatchObject({ key: { id: lkKey.id } });
  });

  it('new keys get acme_ and work, bearer and signed', async () => {
    acmeKey = await createKey(d.call, d.admin);
    expect(acmeKey.token.startsWith(`acme_${acmeKey.id}_`)).toBe(true);
    expect((await bearer(d.call, acmeKey.token)).body).toMatchObject({ key: { id: acmeKey.id } });
    expect((await signed(d.call, acmeKey.token)).body).toMatchObject({ key: { id: acmeKey.id } });
  });

  it('the management API shows each key with the prefix it was issued under', async () => {
    const shown = async (id: string) =>
      (await d.call<{ key: { key_prefix: string } }>('GET', `/v1/keys/${id}`, { token: d.admin })).body.key
        .key_prefix;
    expect(await shown(lkKey.id)).toBe(`lk_${lkKey.id}`);
    expect(await shown(acmeKey.id)).toBe(`acme_${acmeKey.id}`);
    const listed = await d.call<{ keys: { id: string; key_prefix: string }[] }>('GET', '/v1/keys', {
      token: d.admin,
    });
    const byId = new Map(listed.body.keys.map((k) => [k.id, k.key_prefix]));
    expect(byId.get(lkKey.id)).toBe(`lk_${lkKey.id}`);
    expect(byId.get(acmeKey.id)).toBe(`acme_${acmeKey.id}`);
  });

  it('rotating the lk key gives a successor under acme', async () => {
    expect(lkSpare.token.startsWith('lk_')).toBe(true);
    const res = await d.call<{ raw_key: string }>('POST', `/v1/keys/${lkSpare.id}/rotate`, {
      token: d.admin,
      body: {},
    });
    expect(res.status).toBe(201);
    expect(res.body.raw_key.startsWith('acme_')).toBe(true);
    expect((await bearer(d.call, res.body.raw_key)).status).toBe(200);
  });

  it('a token of the new key under the other listed prefix is refused (the prefix is part of the key)', async () => {
    const swapped = `lk${acmeKey.token.slice('acme'.length)}`;
    expect(refusal(await bearer(d.call, swapped))).toEqual(UNAUTHORIZED);
  });
});

/** latchkey/verify on the same table, reading `prefixes`: the caller's key id, or the refusal's status. */
async function embedded(local: LocalMode, prefixes: string, token: string) {
  const verifier = localVerifier(local, { env: { [SETTINGS.tokenPrefix.env]: prefixes } });
  try {
    const body = '{"sku":"A-1"}';
    const headers = signRequest({ token, method: 'POST', path: '/orders', body });
    const signedHeaders = { authorization: headers.authorization, 'content-digest': headers.contentDigest };
    const results = [
      await verifier.verify({
        method: 'GET',
        path: '/orders',
        headers: { authorization: `Bearer ${token}` },
      }),
      await verifier.verify({ method: 'POST', path: '/orders', headers: signedHeaders, body }),
    ];
    return results.map((r) => (r.allowed ? r.caller.keyId : r.status));
  } finally {
    verifier.close();
  }
}

describe('latchkey/verify reads the same list', () => {
  const d = deployment('acme,lk');

  it('acme,lk: the lk and acme keys pass, bearer and signed; acme alone: the lk key gets 401', async () => {
    expect(await embedded(d.local, 'acme,lk', lkKey.token)).toEqual([lkKey.id, lkKey.id]);
    expect(await embedded(d.local, 'acme,lk', acmeKey.token)).toEqual([acmeKey.id, acmeKey.id]);
    expect(await embedded(d.local, 'acme', lkKey.token)).toEqual([401, 401]);
  });
});

describe('LATCHKEY_TOKEN_PREFIX=acme (lk dropped)', () => {
  const d = deployment('acme');

  it('the lk key is refused with the same 401 as any bad credential, bearer and signed', async () => {
    const wrong = await bearer(d.call, `acme_${'A'.repeat(16)}_${'B'.repeat(49)}`);
    expect(refusal(wrong)).toEqual(UNAUTHORIZED);
    expect(refusal(await bearer(d.call, lkKey.token))).toEqual(UNAUTHORIZED);
    expect(refusal(await signed(d.call, lkKey.token))).toEqual(UNAUTHORIZED);
  });

  it('the acme key still works', async () => {
    expect((await bearer(d.call, acmeKey.token)).status).toBe(200);
    expect((await signed(d.call, acmeKey.token)).status).toBe(200);
  });
});
