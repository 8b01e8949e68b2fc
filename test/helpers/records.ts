/**
 * Key records for unit tests of the pure core: one valid, active `KeyRecord` with plain values, which a
 * test overrides where it matters (`keyRecord({ revoked_at: … })`).
 */
import type { KeyRecord } from '#core/model';

/** An active key of organization `acme` with role `member`, created 2025-01-01, never used. */
export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: '3hQx9TmP2wLk8ZrA',
    org_id: 'acme',
    name: 'ci',
    description: null,
    key_hash: 'f'.repeat(64),
    salt: 'AbCdEfGhIjKlMnOpQrStUv',
    sig_alg: 'hmac-sha256',
    public_key: null,
    roles: ['member'],
    permissions: ['api:read', 'api:write'],
    rate_limit_per_minute: 60,
    created_at: '2025-01-01T00:00:00.000Z',
    created_by: 'admin',
    expires_at_ms: null,
    revoked_at: null,
    last_used_at: null,
    calls: 0,
    released: false,
    rotated_from: null,
    rotated_to: null,
    disabled_at: null,
    metadata: {},
    allowed_cidrs: [],
    credits: null,
    audit_version: 0,
    audit_at_ms: null,
    ...overrides,
  };
}
