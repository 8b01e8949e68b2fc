/**
 * `PATCH /v1/keys/{id}` end to end through the local gateway against DynamoDB Local: the edit rules
 * (400 naming the field, 404 for another organization, 409 for itself and for unusable keys, 403 for a
 * later expiry or a higher rate limit than the caller's own — on create and rotate too), disabling and
 * enabling (the same 401 from the very next bearer and signed request, within the same one and two
 * DynamoDB calls; the organization slot kept), metadata (limits, returned on the key, passed to the
 * echo integration), and the text rules for names, descriptions and metadata values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signer';
import { onDynamoCommand } from '../helpers/dynamo-commands';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const lk = useLatchkey();
let ddbCalls: string[] = [];

beforeAll(() => {
  onDynamoCommand(lk.local.runtime.dynamo, (name) => ddbCalls.push(name));
});

type Key = Record<string, unknown> & { id: string };
type ErrorBody = { error: { code: string; message: string; request_id: string } };

const patch = (id: string, body: unknown, token = lk.admin) =>
  lk.call<{ key: Key } & ErrorBody>('PATCH', `/v1/keys/${id}`, { token, body });

async function signedGet(token: string, path: string) {
  const headers = signRequest({ token, method: 'GET', path });
  return lk.call<Record<string, unknown>>('GET', path, { authorization: headers.authorization });
}

/** The 401 body without its request id: the same for every credential failure. */
const unauthorizedShape = (res: { status: number; body: unknown }) => {
  const error = (res.body as ErrorBody).error;
  return { status: res.status, code: error?.code, message: error?.message };
};

describe('PATCH /v1/keys/{id}: edits', () => {
  it('changes name, description, rate limit, expiry and metadata; 200 {key}', async () => {
    const k = await createKey(lk.call, lk.admin, { description: 'before', metadata: { plan: 'free' } });
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const res = await patch(k.id, {
      name: 'renamed',
      description: null,
      rate_limit_per_minute: 7,
      expires_at: expires,
      metadata: { plan: 'pro', customer: 'c_42' },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['key']);
    expect(res.body.key).toMatchObject({
      id: k.id,
      name: 'renamed',
      description: null,
      rate_limit_per_minute: 7,
      expires_at: expires,
      metadata: { plan: 'pro', customer: 'c_42' },
      enabled: true,
      status: 'active',
    });
    const again = await lk.call<{ key: Key }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(again.body.key).toEqual(res.body.key);
    const cleared = await patch(k.id, { expires_at: null, metadata: null });
    expect(cleared.body.key).toMatchObject({ expires_at: null, metadata: {} });
  });

  it.each([
    [{}, 'body'],
    [{ nickname: 'x' }, 'nickname'],
    [{ roles: ['admin'] }, 'roles'],
    [{ name: '' }, 'name'],
    [{ name: null }, 'name'],
    [{ rate_limit_per_minute: null }, 'rate_limit_per_minute'],
    [{ rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
    [{ expires_at: '2000-01-01T00:00:00Z' }, 'expires_at'],
    [{ enabled: 'no' }, 'enabled'],
    [{ metadata: ['a'] }, 'metadata'],
  ])('400 invalid_request naming the field: %j', async (body, field) => {
    const k = await createKey(lk.call, lk.admin);
    const res = await patch(k.id, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('another organization’s key is 404; the key itself is 409 cannot_modify_self', async () => {
    const caller = await createKey(lk.call, lk.admin, { roles: ['admin'], org_id: 'edit-a' });
    const foreign = await createKey(lk.call, lk.admin, { org_id: 'edit-b' });
    expect((await patch(foreign.id, { name: 'x' }, caller.token)).status).toBe(404);
    const self = await patch(caller.id, { enabled: false }, caller.token);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('cannot_modify_self');
    expect((await signedGet(caller.token, '/v1/whoami')).status).toBe(200);
  });

  it('a revoked or rotated key cannot be edited: 409 conflict', async () => {
    const revoked = await createKey(lk.call, lk.admin);
    await lk.call('DELETE', `/v1/keys/${revoked.id}`, { token: lk.admin });
    const rotated = await createKey(lk.call, lk.admin);
    await lk.call('POST', `/v1/keys/${rotated.id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 60 },
    });
    for (const id of [revoked.id, rotated.id]) {
      const res = await patch(id, { enabled: true });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
    }
  });
});

describe('a key cannot hand on more than it holds (the admin key is exempt)', () => {
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const inADay = () => new Date(Date.now() + 86_400_000).toISOString();

  it('an expiring 20/min admin-role key cannot create a never-expiring or 100000/min key', async () => {
    const parent = await createKey(lk.call, lk.admin, {
      roles: ['admin'],
      rate_limit_per_minute: 20,
      expires_at: inAnHour(),
      org_id: 'ceiling',
    });
    const create = (body: Record<string, unknown>) =>
      lk.call<{ key: Key } & ErrorBody>('POST', '/v1/keys', {
        token: parent.token,
        body: { name: 'c', ...body },
      });
    for (const body of [{ rate_limit_per_minute: 100_000 }, { expires_at: inADay() }]) {
      const res = await create(body);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    const child = await create({});
    expect(child.status).toBe(201);
    expect(child.body.key).toMatchObject({ rate_limit_per_minute: 20, expires_at: parent.key.expires_at });

    const longLived = await createKey(lk.call, lk.admin, { org_id: 'ceiling' });
    const rotate = await lk.call<ErrorBody>('POST', `/v1/keys/${longLived.id}/rotate`, {
      token: parent.token,
      body: {},
    });
    expect(rotate.status).toBe(403);
    for (const body of [{ expires_at: null }, { expires_at: inADay() }, { rate_limit_per_minute: 21 }]) {
      const res = await patch(child.body.key.id, body, parent.token);
      expect(res.status).toBe(403);
    }
    expect((await patch(child.body.key.id, { rate_limit_per_minute: 4 }, parent.token)).status).toBe(200);
    expect(
      (await patch(child.body.key.id, { rate_limit_per_minute: 100_000, expires_at: null })).status,
    ).toBe(200);
  });
});

describe('disable and enable', () => {
  it('enabled:false refuses the very next bearer and signed request with the same 401; enabled:true restores it', async () => {
    const k = await createKey(lk.call, lk.admin);
    const unknown = unauthorizedShape(
      await lk.call('GET', '/v1/echo/x', { token: `lk_${'A'.repeat(16)}_${'b'.repeat(49)}` }),
    );
    expect((await lk.call('GET', '/v1/echo/x', { token: k.token })).status).toBe(200);

    const off = await patch(k.id, { enabled: false });
    expect(off.body.key).toMatchObject({ enabled: false, status: 'disabled' });

    ddbCalls = [];
    const bearer = await lk.call('GET', '/v1/echo/x', { token: k.token });
    expect(unauthorizedShape(bearer)).toEqual(unknown);
    // The refused use-write, then the refusal counted as `disabled` (usage by outcome, protocol §5.6).
    expect(ddbCalls).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    ddbCalls = [];
    const signed = await signedGet(k.token, '/v1/echo/x');
    expect(unauthorizedShape(signed)).toEqual(unknown);
    // The read shows it disabled; the write that consumes the nonce and the refusal's count follow.
    expect(ddbCalls[0]).toBe('GetItemCommand');
    expect(ddbCalls.length).toBeLessThanOrEqual(3);

    const listed = await lk.call<{ keys: Key[] }>('GET', '/v1/keys?status=disabled&limit=100', {
      token: lk.admin,
    });
    expect(listed.body.keys.map((key) => key.id)).toContain(k.id);
    const active = await lk.call<{ keys: Key[] }>('GET', '/v1/keys?status=active&limit=100', {
      token: lk.admin,
    });
    expect(active.body.keys.map((key) => key.id)).not.toContain(k.id);

    expect((await patch(k.id, { enabled: true })).body.key).toMatchObject({
      enabled: true,
      status: 'active',
    });
    ddbCalls = [];
    expect((await lk.call('GET', '/v1/echo/x', { token: k.token })).status).toBe(200);
    expect(ddbCalls).toEqual(['UpdateItemCommand']);
    ddbCalls = [];
    expect((await signedGet(k.token, '/v1/echo/x')).status).toBe(200);
    expect(ddbCalls).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
  });

  it('a key disabled between the signed path’s read and its write is refused by the write’s condition', async () => {
    const k = await createKey(lk.call, lk.admin);
    let disabled = false;
    lk.local.runtime.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (!disabled && context.commandName === 'GetItemCommand') {
          disabled = true;
          await patch(k.id, { enabled: false });
        }
        return out;
      },
      { step: 'initialize', name: 'disableBetweenReadAndWrite' },
    );
    try {
      const res = await signedGet(k.token, '/v1/echo/race');
      expect(res.status).toBe(401);
    } finally {
      lk.local.runtime.dynamo.middlewareStack.remove('disableBetweenReadAndWrite');
    }
    const key = await lk.call<{ key: Key }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(key.body.key.calls).toBe(0);
  });

  it('a disabled key keeps its organization slot', async () => {
    await lk.call('PUT', '/v1/orgs/slots', { token: lk.admin, body: { max_keys: 1 } });
    const k = await createKey(lk.call, lk.admin, { org_id: 'slots' });
    await patch(k.id, { enabled: false });
    const org = await lk.call<{ active_keys: number }>('GET', '/v1/orgs/slots', { token: lk.admin });
    expect(org.body.active_keys).toBe(1);
    const full = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'second', org_id: 'slots' },
    });
    expect(full.body.error.code).toBe('key_limit_reached');
  });
});

describe('metadata', () => {
  it('is set at create, returned on the key and passed to the integration (bearer and signed)', async () => {
    const k = await createKey(lk.call, lk.admin, { metadata: { customer: 'c_42', plan: 'pro' } });
    expect(k.key.metadata).toEqual({ customer: 'c_42', plan: 'pro' });
    const bearer = await lk.call<{ principal: Record<string, unknown> }>('GET', '/v1/echo/m', {
      token: k.token,
    });
    expect(bearer.body.principal).toEqual({
      type: 'key',
      key_id: k.id,
      org_id: 'default',
      metadata: { customer: 'c_42', plan: 'pro' },
    });
    const signed = await signedGet(k.token, '/v1/echo/m');
    expect(signed.body.principal).toMatchObject({ metadata: { customer: 'c_42', plan: 'pro' } });
    const plain = await createKey(lk.call, lk.admin);
    expect(plain.key.metadata).toEqual({});
  });

  it.each([
    [Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])), 'metadata'],
    [{ 'Bad-Key': 'v' }, 'metadata'],
    [{ ['k'.repeat(33)]: 'v' }, 'metadata'],
    [{ note: 'x'.repeat(257) }, 'metadata.note'],
    [{ a: 'x'.repeat(250), b: 'x'.repeat(250), c: 'x'.repeat(20) }, 'metadata'],
    [{ n: 5 }, 'metadata.n'],
    [{ n: 'line\nbreak' }, 'metadata.n'],
  ])('limits: 400 naming the field (%#)', async (metadata, field) => {
    const res = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'meta', metadata },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
  });
});

describe('trusted metadata (op_…): the admin key sets it, a key hands on only what it was given', () => {
  it('a key cannot forge trusted entries on create, PATCH or rotate; the admin key can set them', async () => {
    const org = 'trusted-meta';
    const operator = { op_plan: 'free', op_customer: 'c_1' };
    const tenant = await createKey(lk.call, lk.admin, {
      org_id: org,
      roles: ['admin'],
      metadata: { ...operator, note: 'tenant admin' },
    });
    const forbidden = async (res: { status: number; body: ErrorBody }) => {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    };
    const create = (metadata: Record<string, string>) =>
      lk.call<{ key: Key } & ErrorBody>('POST', '/v1/keys', {
        token: tenant.token,
        body: { name: 'child', metadata },
      });

    // Create: no other value, no trusted entry the caller lacks; its own are handed on exactly.
    await forbidden(await create({ op_plan: 'enterprise' }));
    await forbidden(await create({ op_customer: 'c_2' }));
    await forbidden(await create({ op_tier: 'gold' }));
    const child = await create({ team: 'x' });
    expect(child.status).toBe(201);
    expect(child.body.key.metadata).toEqual({ ...operator, team: 'x' });
    const same = await create({ op_plan: 'free', team: 'y' });
    expect(same.body.key.metadata).toEqual({ ...operator, team: 'y' });

    // PATCH: the target's trusted entries stay as the admin key set them.
    const target = await createKey(lk.call, lk.admin, { org_id: org, metadata: { op_plan: 'free' } });
    await forbidden(await patch(target.id, { metadata: { op_plan: 'enterprise' } }, tenant.token));
    await forbidden(await patch(target.id, { metadata: { op_customer: 'c_2' } }, tenant.token));
    const cleared = await patch(target.id, { metadata: {} }, tenant.token);
    expect(cleared.body.key.metadata).toEqual({ op_plan: 'free' });
    const edited = await patch(target.id, { metadata: { op_plan: 'free', team: 'z' } }, tenant.token);
    expect(edited.body.key.metadata).toEqual({ op_plan: 'free', team: 'z' });

    // Rotate: the replacement carries the same entries; the integration sees the operator's values.
    const rotated = await lk.call<{ key: Key; raw_key: string }>('POST', `/v1/keys/${target.id}/rotate`, {
      token: tenant.token,
      body: {},
    });
    expect(rotated.body.key.metadata).toEqual({ op_plan: 'free', team: 'z' });
    const echo = await lk.call<{ principal: { metadata: Record<string, string> } }>('GET', '/v1/echo/t', {
      token: rotated.body.raw_key,
    });
    expect(echo.body.principal.metadata).toEqual({ op_plan: 'free', team: 'z' });

    // The admin key sets, changes and removes them.
    const byAdmin = await patch(rotated.body.key.id, { metadata: { op_plan: 'pro', op_customer: 'c_9' } });
    expect(byAdmin.body.key.metadata).toEqual({ op_plan: 'pro', op_customer: 'c_9' });
    expect((await patch(rotated.body.key.id, { metadata: {} })).body.key.metadata).toEqual({});
  });
});

describe('a metadata key __proto__', () => {
  it('is a 400 on create and on PATCH, and the PATCH leaves the map as it was', async () => {
    const created = await lk.call<ErrorBody>('POST', '/v1/keys', {
      token: lk.admin,
      rawBody: '{"name":"proto","metadata":{"__proto__":"x","plan":"gold"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(400);
    expect(created.body.error.message).toMatch(/^metadata: "__proto__"/);
    const k = await createKey(lk.call, lk.admin, { metadata: { plan: 'gold' } });
    const res = await lk.call<ErrorBody>('PATCH', `/v1/keys/${k.id}`, {
      token: lk.admin,
      rawBody: '{"metadata":{"__proto__":"x"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    const after = await lk.call<{ key: Key }>('GET', `/v1/keys/${k.id}`, { token: lk.admin });
    expect(after.body.key.metadata).toEqual({ plan: 'gold' });
  });
});

describe('names, descriptions and metadata values refuse invisible and reordering characters', () => {
  const bad = [
    ['a control character', 'bad\u0007name'],
    ['a newline', 'two\nlines'],
    ['a C1 control character', 'bad\u0085name'],
    ['a right-to-left override', 'invoice\u202Efdp.exe'],
    ['a bidirectional isolate', 'name\u2066x\u2069'],
    ['a lone high surrogate', 'bad\uD800name'],
    ['a lone low surrogate', 'bad\uDC00name'],
  ] as const;

  it.each(bad)('%s: 400 on create and on PATCH, naming the field', async (_, text) => {
    for (const field of ['name', 'description']) {
      const res = await lk.call<ErrorBody>('POST', '/v1/keys', {
        token: lk.admin,
        body: { name: 'ok', [field]: text },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
    }
    const k = await createKey(lk.call, lk.admin);
    for (const [body, field] of [
      [{ name: text }, 'name'],
      [{ description: text }, 'description'],
      [{ metadata: { note: text } }, 'metadata.note'],
    ] as const) {
      const res = await patch(k.id, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
    }
  });

  it('an emoji (a valid surrogate pair) and accented letters are fine', async () => {
    const k = await createKey(lk.call, lk.admin, { name: 'café 🔑', metadata: { note: 'naïve ✓ 🙂' } });
    expect(k.key).toMatchObject({ name: 'café 🔑', metadata: { note: 'naïve ✓ 🙂' } });
  });
});
