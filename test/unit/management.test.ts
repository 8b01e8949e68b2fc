/**
 * Unit tests of the management core (`lib/core/management.ts`) against an in-memory repository:
 * the permission each action needs, no escalation (a key cannot grant or rotate what it does not
 * hold), visibility (another organization's key is not found), the self rule (a key cannot revoke or
 * rotate itself), and the audit events. The same rules over HTTP are in test/integration.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type ErrorCode } from '#core/errors';
import { ManagementService, type NewKeyResponse } from '#core/management';
import type { AuditEvent, KeyRecord } from '#core/model';
import { DEFAULT_ROLE, DEFAULT_ROLE_MATRIX, type Permission } from '#core/permissions';
import { ADMIN_PRINCIPAL, type Principal } from '#core/principal';
import type { CreateKeyCommand } from '#core/validation';
import { MemoryKeyRepository } from '../helpers/memory-repository';
import { keyRecord } from '../helpers/records';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const ALL: Permission[] = ['keys:read', 'keys:write', 'api:read', 'api:write'];

let repo: MemoryKeyRepository;
let audit: AuditEvent[];
let service: ManagementService;
let seq = 0;

beforeEach(() => {
  repo = new MemoryKeyRepository(50);
  audit = [];
  service = new ManagementService({
    repo,
    tokenPrefix: 'lk',
    defaultRateLimit: 60,
    roleMatrix: DEFAULT_ROLE_MATRIX,
    defaultRole: DEFAULT_ROLE,
    signingSecret: async () => 'unit-test-signing-secret-not-a-real-one-0123456789',
    now: () => NOW,
    audit: (event) => audit.push(event),
    requestId: 'req-unit-1',
  });
});

/** A stored key record; ids are 16 base62 characters like real ones. */
function stored(overrides: Partial<KeyRecord> = {}): KeyRecord {
  seq++;
  return repo.seed(
    keyRecord({
      id: `Key${String(seq).padStart(13, '0')}`,
      name: `key ${seq}`,
      key_hash: 'a'.repeat(64),
      salt: 'salt',
      roles: ['admin'],
      permissions: ALL,
      created_at: new Date(NOW - 60_000).toISOString(),
      ...overrides,
    }),
  );
}

const keyPrincipal = (
  record: KeyRecord,
  permissions: readonly Permission[] = record.permissions,
): Principal => ({
  type: 'key',
  keyId: record.id,
  orgId: record.org_id,
  permissions,
});

const create = (overrides: Partial<CreateKeyCommand> = {}): CreateKeyCommand => ({
  name: 'new key',
  description: null,
  roles: null,
  rate_limit_per_minute: null,
  allowed_cidrs: [],
  credits: null,
  expires_at_ms: null,
  org_id: null,
  metadata: {},
  ...overrides,
});

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: ErrorCode; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('permissions', () => {
  it.each([
    ['createKey', 'keys:write', (p: Principal) => service.createKey(p, create())],
    [
      'listKeys',
      'keys:read',
      (p: Principal) =>
        service.listKeys(p, { limit: 10, cursor: null, status: null, name: null, org_id: null }),
    ],
    ['getKey', 'keys:read', (p: Principal) => service.getKey(p, 'Key0000000000099')],
    ['getUsage', 'keys:read', (p: Principal) => service.getUsage(p, 'Key0000000000099', 7)],
    ['revokeKey', 'keys:write', (p: Principal) => service.revokeKey(p, 'Key0000000000099')],
    [
      'rotateKey',
      'keys:write',
      (p: Principal) => service.rotateKey(p, 'Key0000000000099', { grace_period_seconds: 0 }),
    ],
  ] as const)('%s needs %s: 403 forbidden before any storage call', async (_, permission, action) => {
    const caller = stored({ permissions: ALL.filter((p) => p !== permission) });
    repo.calls.length = 0;
    const error = await refusal(action(keyPrincipal(caller)));
    expect(error).toMatchObject({ code: 'forbidden', status: 403 });
    expect(error.message).toContain(permission);
    expect(repo.calls).toEqual([]);
  });

  it.each([
    ['getOrg', (p: Principal) => service.getOrg(p, 'acme')],
    ['putOrg', (p: Principal) => service.putOrg(p, 'acme', { max_keys: 1 })],
    ['putOrg {plan}', (p: Principal) => service.putOrg(p, 'acme', { plan: 'trial' })],
  ] as const)('%s is for the admin key only, even for a key holding every permission', async (_, action) => {
    const caller = stored();
    repo.calls.length = 0;
    expect(await refusal(action(keyPrincipal(caller)))).toMatchObject({ code: 'forbidden', status: 403 });
    expect(repo.calls).toEqual([]);
  });

  it('the admin key may manage organizations, and a limit change is audited', async () => {
    expect(await service.putOrg(ADMIN_PRINCIPAL, 'acme', { max_keys: 3 })).toEqual({
      org_id: 'acme',
      plan: null,
      max_keys: 3,
      active_keys: 0,
    });
    expect(await service.getOrg(ADMIN_PRINCIPAL, 'acme')).toMatchObject({ max_keys: 3 });
    expect(audit).toEqual([
      {
        id: expect.stringMatching(/^[0-9A-Za-z]{16}$/),
        type: 'org.updated',
        actor: 'admin',
        org_id: 'acme',
        key_id: null,
        request_id: 'req-unit-1',
        at: new Date(NOW).toISOString(),
        version: 1,
        changes: { max_keys: { old: 50, new: 3 } },
      },
    ]);
    expect(repo.events).toEqual(audit);
  });

  it('a key may not act on another organization, even with every permission', async () => {
    const caller = keyPrincipal(stored());
    expect(await refusal(service.createKey(caller, create({ org_id: 'other' })))).toMatchObject({
      code: 'forbidden',
    });
    expect(
      await refusal(
        service.listKeys(caller, { limit: 10, cursor: null, status: null, name: null, org_id: 'other' }),
      ),
    ).toMatchObject({ code: 'forbidden' });
    expect(repo.keys.size).toBe(1);
  });
});

describe('escalation: a key cannot grant what it does not hold', () => {
  it('a key with allowed_cidrs hands on its list, and no wider one, on create, edit and rotate', async () => {
    const caller = keyPrincipal(stored({ allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'] }));
    const inherited = await service.createKey(caller, create());
    expect(inherited.key.allowed_cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    const narrower = await service.createKey(
      caller,
      create({ allowed_cidrs: ['10.1.0.0/16', '2001:db8:1::/48'] }),
    );
    expect(narrower.key.allowed_cidrs).toEqual(['10.1.0.0/16', '2001:db8:1::/48']);
    for (const wider of [
      ['0.0.0.0/0'],
      ['10.0.0.0/7'],
      ['192.0.2.0/24'],
      ['::ffff:0:0/96'],
      ['2001:db8::/31'],
    ]) {
      expect(await refusal(service.createKey(caller, create({ allowed_cidrs: wider })))).toMatchObject({
        code: 'forbidden',
      });
    }
    const open = stored();
    expect(await refusal(service.updateKey(caller, open.id, { allowed_cidrs: [] }))).toMatchObject({
      code: 'forbidden',
    });
    expect(await refusal(service.rotateKey(caller, open.id, { grace_period_seconds: 0 }))).toMatchObject({
      code: 'forbidden',
    });
    const edited = await service.updateKey(caller, open.id, { allowed_cidrs: ['10.9.9.9/32'] });
    expect(edited.key.allowed_cidrs).toEqual(['10.9.9.9/32']);
    const free = keyPrincipal(stored());
    expect((await service.updateKey(free, open.id, { allowed_cidrs: [] })).key.allowed_cidrs).toEqual([]);
  });

  it('creating a key with a role beyond the caller is refused and stores nothing', async () => {
    const caller = stored({ roles: ['custom'], permissions: ['keys:write', 'api:read'] });
    const error = await refusal(service.createKey(keyPrincipal(caller), create({ roles: ['member'] })));
    expect(error).toMatchObject({ code: 'forbidden', status: 403 });
    expect(error.message).toContain('api:write');
    expect(repo.keys.size).toBe(1);
    expect(audit).toEqual([]);
  });

  it('the default role counts too: a key without api:write cannot create a default (member) key', async () => {
    const caller = stored({ permissions: ['keys:write', 'api:read'] });
    expect(await refusal(service.createKey(keyPrincipal(caller), create()))).toMatchObject({
      code: 'forbidden',
    });
  });

  it('creating a key with permissions the caller holds works, in the caller’s organization', async () => {
    const caller = stored({ permissions: ['keys:write', 'api:read'] });
    const created = await service.createKey(keyPrincipal(caller), create({ roles: ['viewer'] }));
    expect(created.key).toMatchObject({ org_id: 'acme', roles: ['viewer'], permissions: ['api:read'] });
    expect(created.key.created_by).toBe(`key:${caller.id}`);
    expect((created as NewKeyResponse).raw_key.startsWith('lk_')).toBe(true);
    expect(audit).toEqual([
      expect.objectContaining({ type: 'key.created', actor: `key:${caller.id}`, key_id: created.key.id }),
    ]);
    expect(JSON.stringify(audit)).not.toContain((created as NewKeyResponse).raw_key);
  });

  it('rotating a key that holds more than the caller is refused and changes nothing', async () => {
    const caller = stored({ permissions: ['keys:write', 'api:read'] });
    const target = stored({ roles: ['member'], permissions: ['api:read', 'api:write'] });
    const error = await refusal(
      service.rotateKey(keyPrincipal(caller), target.id, { grace_period_seconds: 0 }),
    );
    expect(error).toMatchObject({ code: 'forbidden' });
    expect(error.message).toContain('api:write');
    expect(repo.calls).not.toContain('rotateKey');
    expect(repo.keys.get(target.id)?.rotated_to).toBeNull();
  });

  it('the admin key may grant anything', async () => {
    const created = await service.createKey(ADMIN_PRINCIPAL, create({ roles: ['admin'], org_id: 'beta' }));
    expect(created.key).toMatchObject({ org_id: 'beta', permissions: ALL, created_by: 'admin' });
  });
});

describe('visibility: another organization’s key is not found', () => {
  it.each([
    ['getKey', (p: Principal, id: string) => service.getKey(p, id)],
    ['revokeKey', (p: Principal, id: string) => service.revokeKey(p, id)],
    ['rotateKey', (p: Principal, id: string) => service.rotateKey(p, id, { grace_period_seconds: 0 })],
  ] as const)('%s answers 404 not_found, the same as for an id that does not exist', async (_, action) => {
    const caller = keyPrincipal(stored());
    const foreign = stored({ org_id: 'other' });
    const theirs = await refusal(action(caller, foreign.id));
    const missing = await refusal(action(caller, 'Key0000000000999'));
    expect(theirs).toMatchObject({ code: 'not_found', status: 404 });
    expect(theirs.message).toBe(`No key with id ${foreign.id}.`);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
    expect(repo.keys.get(foreign.id)).toMatchObject({ revoked_at: null, rotated_to: null });
  });

  it('a malformed id is not found without a storage read', async () => {
    repo.calls.length = 0;
    expect(await refusal(service.getKey(ADMIN_PRINCIPAL, 'not-an-id'))).toMatchObject({ code: 'not_found' });
    expect(repo.calls).toEqual([]);
  });

  it('a key lists only its own organization; the admin key may list any', async () => {
    const caller = stored();
    stored({ org_id: 'other' });
    const mine = await service.listKeys(keyPrincipal(caller), {
      limit: 10,
      cursor: null,
      status: null,
      name: null,
      org_id: null,
    });
    expect(mine.keys.map((k) => k.id)).toEqual([caller.id]);
    const theirs = await service.listKeys(ADMIN_PRINCIPAL, {
      limit: 10,
      cursor: null,
      status: null,
      name: null,
      org_id: 'other',
    });
    expect(theirs.keys.map((k) => k.org_id)).toEqual(['other']);
  });

  it('the admin key sees every organization’s keys', async () => {
    const foreign = stored({ org_id: 'other' });
    expect((await service.getKey(ADMIN_PRINCIPAL, foreign.id)).key.id).toBe(foreign.id);
  });
});

describe('self: a key cannot revoke or rotate the key it authenticates with', () => {
  it.each([
    ['revokeKey', (p: Principal, id: string) => service.revokeKey(p, id)],
    ['rotateKey', (p: Principal, id: string) => service.rotateKey(p, id, { grace_period_seconds: 0 })],
  ] as const)('%s on itself answers 409 cannot_modify_self and changes nothing', async (_, action) => {
    const caller = stored();
    const error = await refusal(action(keyPrincipal(caller), caller.id));
    expect(error).toMatchObject({ code: 'cannot_modify_self', status: 409 });
    expect(repo.keys.get(caller.id)).toMatchObject({ revoked_at: null, rotated_to: null, released: false });
    expect(audit).toEqual([]);
  });

  it('a key may revoke another key of its organization, once (a second revoke is not audited again)', async () => {
    const caller = stored();
    const target = stored();
    const first = await service.revokeKey(keyPrincipal(caller), target.id);
    expect(first).toMatchObject({ revoked: true, key: { id: target.id, status: 'revoked' } });
    const again = await service.revokeKey(keyPrincipal(caller), target.id);
    expect(again.key.revoked_at).toBe(first.key.revoked_at);
    expect(audit.map((e) => e.type)).toEqual(['key.revoked']);
    expect(repo.events).toEqual(audit);
    expect(repo.orgs.get('acme')?.active_keys).toBe(1);
  });
});

describe('rotation', () => {
  it('a new key with the same name, roles, permissions and limits; the old one is released', async () => {
    const old = stored({
      name: 'rotating',
      roles: ['viewer'],
      permissions: ['api:read'],
      rate_limit_per_minute: 7,
    });
    const rotated = await service.rotateKey(ADMIN_PRINCIPAL, old.id, { grace_period_seconds: 60 });
    expect(rotated.key).toMatchObject({
      name: 'rotating',
      roles: ['viewer'],
      permissions: ['api:read'],
      rate_limit_per_minute: 7,
      org_id: 'acme',
    });
    expect(rotated.key.id).not.toBe(old.id);
    expect(repo.keys.get(old.id)).toMatchObject({ rotated_to: rotated.key.id, expires_at_ms: NOW + 60_000 });
    expect(audit).toEqual([
      expect.objectContaining({
        type: 'key.rotated',
        key_id: old.id,
        changes: {
          rotated_to: { old: null, new: rotated.key.id },
          grace_period_seconds: { old: null, new: 60 },
        },
      }),
      expect.objectContaining({
        type: 'key.created',
        key_id: rotated.key.id,
        changes: expect.objectContaining({ rotated_from: { old: null, new: old.id } }),
      }),
    ]);
  });

  it.each([
    ['revoked', { revoked_at: new Date(NOW - 1000).toISOString(), released: true }, 'is revoked'],
    ['expired', { expires_at_ms: NOW - 1000 }, 'is expired'],
    ['already rotated', { rotated_to: 'Key0000000000777', released: true }, 'is already rotated'],
    ['disabled', { disabled_at: new Date(NOW - 1000).toISOString() }, 'is disabled'],
  ] as const)('a %s key cannot be rotated: 409 conflict', async (_, overrides, phrase) => {
    const old = stored(overrides);
    const error = await refusal(service.rotateKey(ADMIN_PRINCIPAL, old.id, { grace_period_seconds: 0 }));
    expect(error).toMatchObject({ code: 'conflict', status: 409 });
    expect(error.message).toContain(phrase);
  });
});

describe('whoami', () => {
  it('the admin key: no organization, every permission, no storage call', async () => {
    repo.calls.length = 0;
    expect(await service.whoami(ADMIN_PRINCIPAL)).toEqual({
      principal: 'admin',
      org_id: null,
      permissions: ALL,
    });
    expect(repo.calls).toEqual([]);
  });

  it('a key: its own record and the permissions it authenticated with', async () => {
    const caller = stored({ permissions: ['api:read'] });
    const me = await service.whoami(keyPrincipal(caller));
    expect(me).toMatchObject({
      principal: 'key',
      org_id: 'acme',
      permissions: ['api:read'],
      key: { id: caller.id },
    });
  });
});

describe('PATCH: editing a key', () => {
  it('changes only the fields given and records key.updated with old and new values', async () => {
    const target = stored({ name: 'before', description: 'old', metadata: { plan: 'free' } });
    const res = await service.updateKey(ADMIN_PRINCIPAL, target.id, {
      name: 'after',
      description: null,
      metadata: { plan: 'pro' },
    });
    expect(res.key).toMatchObject({
      name: 'after',
      description: null,
      metadata: { plan: 'pro' },
      enabled: true,
    });
    expect(repo.keys.get(target.id)).toMatchObject({
      name: 'after',
      description: null,
      rate_limit_per_minute: 60,
    });
    expect(audit).toEqual([
      expect.objectContaining({
        type: 'key.updated',
        key_id: target.id,
        org_id: 'acme',
        actor: 'admin',
        request_id: 'req-unit-1',
        changes: {
          name: { old: 'before', new: 'after' },
          description: { old: 'old', new: null },
          metadata: { old: { plan: 'free' }, new: { plan: 'pro' } },
        },
      }),
    ]);
    expect(repo.events).toEqual(audit);
  });

  it('disable then enable: status disabled, key.disabled / key.enabled, the slot is kept', async () => {
    const target = stored();
    const off = await service.updateKey(ADMIN_PRINCIPAL, target.id, { enabled: false });
    expect(off.key).toMatchObject({ enabled: false, status: 'disabled' });
    expect(repo.keys.get(target.id)?.disabled_at).toBe(new Date(NOW).toISOString());
    expect(repo.orgs.get('acme')?.active_keys).toBe(1);
    const on = await service.updateKey(ADMIN_PRINCIPAL, target.id, { enabled: true });
    expect(on.key).toMatchObject({ enabled: true, status: 'active' });
    expect(audit.map((e) => [e.type, e.changes])).toEqual([
      ['key.disabled', { enabled: { old: true, new: false } }],
      ['key.enabled', { enabled: { old: false, new: true } }],
    ]);
  });

  it('a change that changes nothing writes nothing and records nothing', async () => {
    const target = stored({ name: 'same' });
    await service.updateKey(ADMIN_PRINCIPAL, target.id, { name: 'same', enabled: true });
    expect(repo.calls).not.toContain('updateKey');
    expect(audit).toEqual([]);
  });

  it.each([
    ['revoked', { revoked_at: new Date(NOW - 1000).toISOString(), released: true }],
    ['expired', { expires_at_ms: NOW - 1000 }],
    ['rotated', { rotated_to: 'Key0000000000777', released: true, expires_at_ms: NOW + 60_000 }],
  ] as const)('a %s key cannot be edited: 409 conflict, nothing recorded', async (_, overrides) => {
    const target = stored(overrides);
    expect(await refusal(service.updateKey(ADMIN_PRINCIPAL, target.id, { name: 'x' }))).toMatchObject({
      code: 'conflict',
      status: 409,
    });
    expect(repo.calls).not.toContain('updateKey');
    expect(audit).toEqual([]);
  });

  it('a key cannot edit itself (409 cannot_modify_self), another org’s key is 404', async () => {
    const caller = stored();
    const foreign = stored({ org_id: 'other' });
    expect(
      await refusal(service.updateKey(keyPrincipal(caller), caller.id, { enabled: false })),
    ).toMatchObject({
      code: 'cannot_modify_self',
    });
    expect(await refusal(service.updateKey(keyPrincipal(caller), foreign.id, { name: 'x' }))).toMatchObject({
      code: 'not_found',
    });
    expect(repo.keys.get(caller.id)?.disabled_at).toBeNull();
  });

  it('needs keys:write, and a key cannot edit a key holding permissions it lacks', async () => {
    const reader = stored({ permissions: ['keys:read'] });
    const writer = stored({ permissions: ['keys:write', 'api:read'] });
    const target = stored({ permissions: ['api:read', 'api:write'] });
    expect(await refusal(service.updateKey(keyPrincipal(reader), target.id, { name: 'x' }))).toMatchObject({
      code: 'forbidden',
    });
    const error = await refusal(service.updateKey(keyPrincipal(writer), target.id, { name: 'x' }));
    expect(error).toMatchObject({ code: 'forbidden' });
    expect(error.message).toContain('api:write');
  });
});

describe('ceilings: a key cannot hand on a later expiry or a higher rate limit than its own', () => {
  const parent = () => stored({ expires_at_ms: NOW + 3_600_000, rate_limit_per_minute: 5 });

  it('create: a never-expiring or 100000/min child of an expiring 5/min admin-role key is 403', async () => {
    const caller = keyPrincipal(parent());
    for (const input of [
      create({ rate_limit_per_minute: 3 }), // expiry omitted defaults to the caller's: fine
      create({ expires_at_ms: NOW + 7_200_000, rate_limit_per_minute: 5 }),
      create({ expires_at_ms: NOW + 60_000, rate_limit_per_minute: 100_000 }),
    ].slice(1)) {
      expect(await refusal(service.createKey(caller, input))).toMatchObject({
        code: 'forbidden',
        status: 403,
      });
    }
    expect(repo.calls).not.toContain('createKey');
  });

  it('create: omitted expiry and rate limit default to the caller’s own', async () => {
    const p = parent();
    const created = await service.createKey(keyPrincipal(p), create());
    expect(created.key).toMatchObject({
      expires_at: new Date(NOW + 3_600_000).toISOString(),
      rate_limit_per_minute: 5,
    });
  });

  it('rotate: a key cannot rotate a key that outlives it or allows more', async () => {
    const caller = keyPrincipal(parent());
    const longLived = stored({ expires_at_ms: null, rate_limit_per_minute: 5 });
    const faster = stored({ expires_at_ms: NOW + 60_000, rate_limit_per_minute: 50 });
    for (const target of [longLived, faster]) {
      expect(await refusal(service.rotateKey(caller, target.id, { grace_period_seconds: 0 }))).toMatchObject({
        code: 'forbidden',
      });
    }
    expect(repo.calls).not.toContain('rotateKey');
  });

  it('PATCH: no later expiry, no "never", no higher rate limit; lower is fine', async () => {
    const caller = keyPrincipal(parent());
    const target = stored({ expires_at_ms: NOW + 60_000, rate_limit_per_minute: 2 });
    for (const input of [
      { expires_at_ms: null },
      { expires_at_ms: NOW + 7_200_000 },
      { rate_limit_per_minute: 6 },
    ]) {
      expect(await refusal(service.updateKey(caller, target.id, input))).toMatchObject({ code: 'forbidden' });
    }
    const ok = await service.updateKey(caller, target.id, {
      rate_limit_per_minute: 5,
      expires_at_ms: NOW + 120_000,
    });
    expect(ok.key).toMatchObject({ rate_limit_per_minute: 5 });
  });

  it('the admin key is exempt', async () => {
    const created = await service.createKey(ADMIN_PRINCIPAL, create({ rate_limit_per_minute: 100_000 }));
    expect(created.key).toMatchObject({ rate_limit_per_minute: 100_000, expires_at: null });
  });
});

describe('audit trail', () => {
  it('lists the organization’s events newest first with cursors; a key sees only its own org', async () => {
    const caller = stored();
    const target = stored();
    await service.updateKey(ADMIN_PRINCIPAL, target.id, { name: 'one' });
    await service.updateKey(ADMIN_PRINCIPAL, target.id, { enabled: false });
    await service.revokeKey(ADMIN_PRINCIPAL, target.id);
    await service.createKey(ADMIN_PRINCIPAL, create({ org_id: 'other' }));
    const first = await service.listAudit(keyPrincipal(caller), {
      limit: 2,
      cursor: null,
      key_id: null,
      org_id: null,
    });
    expect(first.events.map((e) => e.type)).toEqual(['key.revoked', 'key.disabled']);
    const second = await service.listAudit(keyPrincipal(caller), {
      limit: 2,
      cursor: first.next_cursor,
      key_id: null,
      org_id: null,
    });
    expect(second.events.map((e) => e.type)).toEqual(['key.updated']);
    expect(second.next_cursor).toBeNull();
    expect(
      await refusal(
        service.listAudit(keyPrincipal(caller), { limit: 2, cursor: null, key_id: null, org_id: 'other' }),
      ),
    ).toMatchObject({ code: 'forbidden' });
    const other = await service.listAudit(ADMIN_PRINCIPAL, {
      limit: 10,
      cursor: null,
      key_id: null,
      org_id: 'other',
    });
    expect(other.events.map((e) => e.type)).toEqual(['key.created']);
  });

  it('needs keys:read', async () => {
    const caller = stored({ permissions: ['api:read'] });
    expect(
      await refusal(
        service.listAudit(keyPrincipal(caller), { limit: 2, cursor: null, key_id: null, org_id: null }),
      ),
    ).toMatchObject({ code: 'forbidden' });
  });

  it('a refused change records nothing, and no event carries a secret', async () => {
    const created = await service.createKey(ADMIN_PRINCIPAL, create());
    const json = JSON.stringify(repo.events);
    expect(json).not.toContain((created as NewKeyResponse).raw_key);
    expect(json).not.toMatch(/key_hash|salt/);
  });
});

describe('usage, plans and roles', () => {
  it("reads a key's usage with getKey's visibility: another organization's key is not found", async () => {
    const key = stored();
    repo.usage.set(key.id, new Map([[new Date(NOW).toISOString().slice(0, 10), 4]]));
    const usage = await service.getUsage(ADMIN_PRINCIPAL, key.id, 3);
    expect(usage.key_id).toBe(key.id);
    expect(usage.days.map((d) => d.calls)).toEqual([0, 0, 4]);
    const outsider = keyPrincipal(stored({ org_id: 'other' }));
    expect(await refusal(service.getUsage(outsider, key.id, 3))).toMatchObject({ code: 'not_found' });
    expect(await refusal(service.getUsage(ADMIN_PRINCIPAL, 'not-an-id', 3))).toMatchObject({
      code: 'not_found',
    });
  });

  it('puts an organization on a plan the deployment defines; an unknown plan is a 400 naming plan', async () => {
    const plans = { trial: 1, enterprise: null };
    const withPlans = new ManagementService({
      repo: new MemoryKeyRepository(50, plans),
      tokenPrefix: 'lk',
      defaultRateLimit: 60,
      roleMatrix: DEFAULT_ROLE_MATRIX,
      defaultRole: DEFAULT_ROLE,
      plans,
      signingSecret: async () => 'unit-test-signing-secret-not-a-real-one-0123456789',
      now: () => NOW,
      requestId: 'req-unit-plans',
      audit: () => undefined,
    });
    expect(await withPlans.putOrg(ADMIN_PRINCIPAL, 'acme', { plan: 'trial' })).toEqual({
      org_id: 'acme',
      plan: 'trial',
      max_keys: 1,
      active_keys: 0,
    });
    const error = await refusal(withPlans.putOrg(ADMIN_PRINCIPAL, 'acme', { plan: 'gold' }));
    expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(error.message).toContain('trial, enterprise');
    expect(await refusal(service.putOrg(ADMIN_PRINCIPAL, 'acme', { plan: 'trial' }))).toMatchObject({
      code: 'invalid_request',
      message: 'plan: this deployment defines no plans',
    });
  });

  it('lists the role matrix and the default role', () => {
    expect(service.listRoles()).toEqual({ roles: DEFAULT_ROLE_MATRIX, default_role: DEFAULT_ROLE });
  });
});
