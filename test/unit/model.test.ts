import { describe, expect, it } from 'vitest';
import { apiKeyStatus, type KeyRecord, keyStatus, NEW_KEY_WARNING, toApiKey } from '#core/model';
import { keyRecord } from '../helpers/records';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');

/** A key with a description, some usage and a predecessor, so that every field of the API shape is set. */
const record = (overrides: Partial<KeyRecord> = {}): KeyRecord =>
  keyRecord({
    description: 'deploys',
    last_used_at: '2025-05-31T23:59:59.000Z',
    calls: 42,
    rotated_from: 'OldOldOldOldOld1',
    ...overrides,
  });

describe('keyStatus', () => {
  it.each([
    ['never expires', { revoked_at: null, expires_at_ms: null, disabled_at: null }, 'active'],
    ['expires later', { revoked_at: null, expires_at_ms: NOW + 1, disabled_at: null }, 'active'],
    [
      'expires at this very millisecond',
      { revoked_at: null, expires_at_ms: NOW, disabled_at: null },
      'expired',
    ],
    ['expired earlier', { revoked_at: null, expires_at_ms: NOW - 1, disabled_at: null }, 'expired'],
    [
      'revoked',
      { revoked_at: '2025-05-01T00:00:00.000Z', expires_at_ms: null, disabled_at: null },
      'revoked',
    ],
    [
      'revoked and expired',
      { revoked_at: '2025-05-01T00:00:00.000Z', expires_at_ms: NOW - 1, disabled_at: null },
      'revoked',
    ],
    [
      'disabled',
      { revoked_at: null, expires_at_ms: null, disabled_at: '2025-05-01T00:00:00.000Z' },
      'disabled',
    ],
    [
      'disabled and expired (expired wins)',
      { revoked_at: null, expires_at_ms: NOW - 1, disabled_at: '2025-05-01T00:00:00.000Z' },
      'expired',
    ],
    [
      'disabled and revoked (revoked wins)',
      {
        revoked_at: '2025-05-02T00:00:00.000Z',
        expires_at_ms: null,
        disabled_at: '2025-05-01T00:00:00.000Z',
      },
      'revoked',
    ],
  ] as const)('%s → %s', (_, fields, expected) => {
    expect(keyStatus(fields, NOW)).toBe(expected);
  });
});

describe('apiKeyStatus', () => {
  const base = { revoked_at: null, expires_at_ms: null, disabled_at: null, rotated_to: null };
  const successor = 'Key0000000000777';
  it.each([
    ['not rotated: the credential status', { ...base, expires_at_ms: NOW - 1 }, 'expired'],
    ['rotated, grace running', { ...base, rotated_to: successor, expires_at_ms: NOW + 1 }, 'rotating'],
    ['rotated, grace over', { ...base, rotated_to: successor, expires_at_ms: NOW }, 'rotated'],
    [
      'rotated and revoked (revoked wins)',
      { ...base, rotated_to: successor, expires_at_ms: NOW + 1, revoked_at: '2025-05-01T00:00:00.000Z' },
      'revoked',
    ],
    [
      'rotated while disabled (disabled wins over rotating)',
      { ...base, rotated_to: successor, expires_at_ms: NOW + 1, disabled_at: '2025-05-01T00:00:00.000Z' },
      'disabled',
    ],
  ] as const)('%s → %s', (_, fields, expected) => {
    expect(apiKeyStatus(fields, NOW)).toBe(expected);
  });

  it('a rotating key is still active as a credential', () => {
    const rotating = { ...base, rotated_to: successor, expires_at_ms: NOW + 1 };
    expect(keyStatus(rotating, NOW)).toBe('active');
  });
});

describe('toApiKey', () => {
  it('returns exactly the key object of docs/protocol.md §4.1', () => {
    expect(toApiKey(record(), 'lk', NOW)).toEqual({
      id: '3hQx9TmP2wLk8ZrA',
      name: 'ci',
      description: 'deploys',
      org_id: 'acme',
      key_prefix: 'lk_3hQx9TmP2wLk8ZrA',
      roles: ['member'],
      permissions: ['api:read', 'api:write'],
      rate_limit_per_minute: 60,
      enabled: true,
      status: 'active',
      created_at: '2025-01-01T00:00:00.000Z',
      created_by: 'admin',
      expires_at: null,
      revoked_at: null,
      last_used_at: '2025-05-31T23:59:59.000Z',
      calls: 42,
      metadata: {},
      allowed_cidrs: [],
      credits: null,
      rotated_to: null,
      rotated_from: 'OldOldOldOldOld1',
      signature_algorithm: 'hmac-sha256',
      public_key: null,
    });
  });

  it("shows a public-key key's algorithm and public key", () => {
    const raw = 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs';
    const key = toApiKey(
      record({ key_hash: null, salt: '', sig_alg: 'ed25519', public_key: raw }),
      'lk',
      NOW,
    );
    expect(key).toMatchObject({ signature_algorithm: 'ed25519', public_key: raw });
  });

  it('never exposes a hash, a salt or internal bookkeeping', () => {
    const key = toApiKey(record(), 'lk', NOW) as unknown as Record<string, unknown>;
    for (const field of ['key_hash', 'salt', 'released', 'expires_at_ms']) {
      expect(key).not.toHaveProperty(field);
    }
    const json = JSON.stringify(key);
    expect(json).not.toContain('f'.repeat(64));
    expect(json).not.toContain('AbCdEfGhIjKlMnOpQrStUv');
  });

  it('uses the deployment prefix in key_prefix', () => {
    expect(toApiKey(record(), 'acme', NOW).key_prefix).toBe('acme_3hQx9TmP2wLk8ZrA');
  });

  it('renders expires_at as ISO 8601 UTC', () => {
    const key = toApiKey(record({ expires_at_ms: Date.UTC(2030, 0, 1) }), 'lk', NOW);
    expect(key.expires_at).toBe('2030-01-01T00:00:00.000Z');
    expect(key.status).toBe('active');
  });

  it.each([
    ['revoked', record({ revoked_at: '2025-05-01T00:00:00.000Z' }), true],
    ['expired', record({ expires_at_ms: NOW - 1 }), true],
    ['disabled', record({ disabled_at: '2025-05-01T00:00:00.000Z' }), false],
  ])(
    'a %s key: enabled is the PATCH flag alone (%s), status tells whether it works',
    (status, stored, enabled) => {
      const key = toApiKey(stored, 'lk', NOW);
      expect(key.status).toBe(status);
      expect(key.enabled).toBe(enabled);
    },
  );

  it('shows the metadata as a copy', () => {
    const stored = record({ metadata: { plan: 'pro' } });
    const key = toApiKey(stored, 'lk', NOW);
    expect(key.metadata).toEqual({ plan: 'pro' });
    key.metadata.plan = 'free';
    expect(stored.metadata.plan).toBe('pro');
  });

  it('copies the lists, so the response cannot alias the record', () => {
    const stored = record();
    const key = toApiKey(stored, 'lk', NOW);
    key.roles.push('admin');
    key.permissions.push('keys:write');
    expect(stored.roles).toEqual(['member']);
    expect(stored.permissions).toEqual(['api:read', 'api:write']);
  });
});

describe('NEW_KEY_WARNING', () => {
  it('tells the caller raw_key is shown once', () => {
    expect(NEW_KEY_WARNING).toMatch(/raw_key/);
    expect(NEW_KEY_WARNING).toMatch(/only/);
  });
});
