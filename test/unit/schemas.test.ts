/**
 * The OpenAPI document's body schemas against the validators they describe: every valid body passes
 * both, every invalid field fails both (and the validator names the field), and on random bodies drawn
 * from values near each limit the two agree. The only rules a schema cannot state — an expiry in the
 * future, a real day of the month — are listed and checked to be validator-only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors';
import { MAX_KEYS, RATE_LIMIT_PER_MINUTE } from '#core/settings';
import {
  DESCRIPTION_LENGTH,
  GRACE_PERIOD_SECONDS,
  NAME_LENGTH,
  ROLES_PER_KEY,
  validateCreateKey,
  validateOrgLimit,
  validateRotateKey,
} from '#core/validation';
import { schemaValidator } from '../helpers/openapi';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
type Body = Record<string, unknown>;

interface Pair {
  schema: string;
  validate: (body: Body) => unknown;
  valid: Body[];
  /** [field the validator must name, body]. */
  invalid: [string, Body][];
}

const chars = (n: number) => 'x'.repeat(n);

const PAIRS: Pair[] = [
  {
    schema: 'CreateKeyRequest',
    validate: (b) => validateCreateKey(b, NOW),
    valid: [
      { name: 'a' },
      { name: chars(NAME_LENGTH.max) },
      { name: ' padded ', description: '' },
      { name: 'k', description: chars(DESCRIPTION_LENGTH.max), roles: ['admin', 'admin'] },
      { name: 'k', roles: Array.from({ length: ROLES_PER_KEY.max }, (_, i) => `r${i}`) },
      { name: 'k', rate_limit_per_minute: RATE_LIMIT_PER_MINUTE.min },
      { name: 'k', rate_limit_per_minute: RATE_LIMIT_PER_MINUTE.max },
      { name: 'k', expires_at: '2030-01-01T00:00:00Z' },
      { name: 'k', expires_at: '2030-01-01T00:00+02:00' },
      { name: 'k', expires_at: '2030-01-01T00:00:00.123456789-05:30' },
      { name: 'k', org_id: 'acme.eu_1-x' },
      {
        name: 'k',
        description: null,
        roles: null,
        rate_limit_per_minute: null,
        expires_at: null,
        org_id: null,
      },
    ],
    invalid: [
      ['name', {}],
      ['name', { name: null }],
      ['name', { name: '' }],
      ['name', { name: '   ' }],
      ['name', { name: chars(NAME_LENGTH.max + 1) }],
      ['name', { name: 7 }],
      ['description', { name: 'k', description: chars(DESCRIPTION_LENGTH.max + 1) }],
      ['description', { name: 'k', description: false }],
      ['roles', { name: 'k', roles: [] }],
      ['roles', { name: 'k', roles: Array.from({ length: ROLES_PER_KEY.max + 1 }, (_, i) => `r${i}`) }],
      ['roles', { name: 'k', roles: [1] }],
      ['roles', { name: 'k', roles: 'admin' }],
      ['rate_limit_per_minute', { name: 'k', rate_limit_per_minute: RATE_LIMIT_PER_MINUTE.min - 1 }],
      ['rate_limit_per_minute', { name: 'k', rate_limit_per_minute: RATE_LIMIT_PER_MINUTE.max + 1 }],
      ['rate_limit_per_minute', { name: 'k', rate_limit_per_minute: 1.5 }],
      ['rate_limit_per_minute', { name: 'k', rate_limit_per_minute: '60' }],
      ['expires_at', { name: 'k', expires_at: '2030-01-01' }],
      ['expires_at', { name: 'k', expires_at: '2030-01-01T00:00:00' }],
      ['expires_at', { name: 'k', expires_at: 1893456000 }],
      ['org_id', { name: 'k', org_id: '-acme' }],
      ['org_id', { name: 'k', org_id: chars(65) }],
      ['org_id', { name: 'k', org_id: 'a b' }],
      ['nickname', { name: 'k', nickname: 'x' }],
    ],
  },
  {
    schema: 'RotateKeyRequest',
    validate: validateRotateKey,
    valid: [
      {},
      { grace_period_seconds: null },
      { grace_period_seconds: GRACE_PERIOD_SECONDS.min },
      { grace_period_seconds: GRACE_PERIOD_SECONDS.max },
    ],
    invalid: [
      ['grace_period_seconds', { grace_period_seconds: GRACE_PERIOD_SECONDS.max + 1 }],
      ['grace_period_seconds', { grace_period_seconds: -1 }],
      ['grace_period_seconds', { grace_period_seconds: '10' }],
      ['grace', { grace: 1 }],
    ],
  },
  {
    schema: 'OrgLimitRequest',
    validate: validateOrgLimit,
    valid: [{ max_keys: null }, { max_keys: MAX_KEYS.min }, { max_keys: MAX_KEYS.max }],
    invalid: [
      ['max_keys', {}],
      ['max_keys', { max_keys: MAX_KEYS.max + 1 }],
      ['max_keys', { max_keys: -1 }],
      ['max_keys', { max_keys: 'ten' }],
      ['limit', { max_keys: 1, limit: 2 }],
    ],
  },
];

function validatorAccepts(pair: Pair, body: Body): boolean {
  try {
    pair.validate(body);
    return true;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return false;
  }
}

function validatorField(pair: Pair, body: Body): string | undefined {
  try {
    pair.validate(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe.each(PAIRS)('$schema and its validator', (pair) => {
  const schema = schemaValidator(pair.schema);

  it.each(pair.valid.map((b) => [JSON.stringify(b).slice(0, 80), b] as const))(
    'both accept %s',
    (_, body) => {
      expect(validatorAccepts(pair, body)).toBe(true);
      expect(schema(body)).toBe(true);
    },
  );

  it.each(pair.invalid.map(([f, b]) => [f, JSON.stringify(b).slice(0, 80), b] as const))(
    'both refuse a bad %s: %s',
    (field, _, body) => {
      expect(validatorField(pair, body)).toBe(field);
      expect(schema(body)).toBe(false);
    },
  );
});

describe('random bodies near the limits', () => {
  const pair = PAIRS[0] as Pair;
  const schema = schemaValidator(pair.schema);
  const around = (min: number, max: number) =>
    fc.constantFrom(min - 1, min, max, max + 1, (min + max) / 2, 1.5, null, '5', true);
  const stringNear = (max: number) =>
    fc.oneof(
      fc.constantFrom('', ' ', '  ', chars(max), chars(max + 1), null, 3, ['x']),
      fc.string({ maxLength: 12 }),
    );
  const values: Record<string, fc.Arbitrary<unknown>> = {
    name: stringNear(NAME_LENGTH.max),
    description: stringNear(DESCRIPTION_LENGTH.max),
    roles: fc.oneof(
      fc.array(fc.constantFrom('admin', 'member'), { maxLength: ROLES_PER_KEY.max + 2 }),
      fc.constantFrom(null, 'admin', [1], [null]),
    ),
    rate_limit_per_minute: around(RATE_LIMIT_PER_MINUTE.min, RATE_LIMIT_PER_MINUTE.max),
    // Far-future instants and malformed strings only: "in the future" is validator-only (below).
    expires_at: fc.constantFrom(
      '2100-01-01T00:00:00Z',
      '2100-01-01T00:00+01:00',
      '2100-01-01',
      '2100-01-01T00:00:00',
      'tomorrow',
      null,
      0,
    ),
    org_id: fc.oneof(fc.constantFrom('acme', '-x', 'a'.repeat(64), 'a'.repeat(65), null, 1), fc.string()),
    extra: fc.constantFrom(undefined, 'x'),
  };

  it('the schema and the validator agree', () => {
    fc.assert(
      fc.property(fc.record(values, { requiredKeys: [] }), (raw) => {
        const body: Body = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
        expect(schema(body)).toBe(validatorAccepts(pair, body));
      }),
      { numRuns: 2000 },
    );
  });

  it('only these rules are the validator’s alone: an expiry in the past, a day the month lacks', () => {
    for (const expires_at of ['2020-01-01T00:00:00Z', '2030-02-30T00:00:00Z']) {
      const body = { name: 'k', expires_at };
      expect(schema(body)).toBe(true);
      expect(validatorField(pair, body)).toBe('expires_at');
    }
  });
});
