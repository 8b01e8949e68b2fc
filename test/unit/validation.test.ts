import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError } from '#core/errors';
import {
  MAX_BODY_BYTES,
  METADATA_LIMITS,
  parseJsonObject,
  validateCreateKey,
  validateListAudit,
  validateListKeys,
  validateMetadata,
  validateOrgId,
  validateOrgLimit,
  validateRotateKey,
  validateUpdateKey,
} from '#core/validation';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Asserts a 400 invalid_request that names exactly `field`. */
function expectInvalid(fn: () => unknown, field: string): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(ValidationError);
  const v = error as ValidationError;
  expect(v.code).toBe('invalid_request');
  expect(v.status).toBe(400);
  expect(v.field).toBe(field);
  expect(v.message).toContain(field);
}

describe('parseJsonObject', () => {
  it('treats an empty or missing body as {}', () => {
    expect(parseJsonObject(null)).toEqual({});
    expect(parseJsonObject('')).toEqual({});
  });

  it('returns the parsed object', () => {
    expect(parseJsonObject('{"name":"ci","n":1}')).toEqual({ name: 'ci', n: 1 });
    expect(parseJsonObject(' \n{}\n ')).toEqual({});
  });

  it.each(['{', '{"a":}', "{'a':1}", 'nul', '   ', '{"a":1}x', '\u00ef\u00bb\u00bf{}'])(
    'rejects invalid JSON %j naming `body`',
    (body) => {
      expectInvalid(() => parseJsonObject(body), 'body');
    },
  );

  it.each(['[]', '[{}]', '1', '"text"', 'null', 'true'])(
    'rejects the non-object %j naming `body`',
    (body) => {
      const error = thrown(() => parseJsonObject(body)) as ValidationError;
      expectInvalid(() => parseJsonObject(body), 'body');
      expect(error.message).toMatch(/JSON object/);
    },
  );

  it('accepts a body of exactly 16 KiB', () => {
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES - '{"name":""}'.length) });
    expect(Buffer.byteLength(body)).toBe(16 * 1024);
    expect(parseJsonObject(body)).toHaveProperty('name');
  });

  it('rejects a body one byte over 16 KiB with 413 payload_too_large', () => {
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES + 1 - '{"name":""}'.length) });
    const error = thrown(() => parseJsonObject(body));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect((error as ApiError).code).toBe('payload_too_large');
    expect((error as ApiError).status).toBe(413);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 8,193 two-byte characters: under 16 KiB in characters, over it in bytes.
    const body = JSON.stringify({ n: 'é'.repeat(8_193) });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect((thrown(() => parseJsonObject(body)) as ApiError).code).toBe('payload_too_large');
  });

  it('checks the size before the syntax', () => {
    expect((thrown(() => parseJsonObject('x'.repeat(20_000))) as ApiError).code).toBe('payload_too_large');
  });
});

describe('validateCreateKey', () => {
  it('accepts the minimal body, leaving every optional field null', () => {
    expect(validateCreateKey({ name: 'ci' }, NOW)).toEqual({
      name: 'ci',
      description: null,
      roles: null,
      rate_limit_per_minute: null,
      expires_at_ms: null,
      org_id: null,
      metadata: {},
      allowed_cidrs: [],
      credits: null,
      signature: { sig_alg: 'hmac-sha256', public_key: null },
    });
  });

  it('accepts every field', () => {
    expect(
      validateCreateKey(
        {
          name: 'deploy bot',
          description: 'used by CI',
          roles: ['viewer', 'member', 'viewer'],
          rate_limit_per_minute: 600,
          expires_at: '2030-01-01T00:00:00Z',
          org_id: 'acme',
          metadata: { plan: 'pro' },
          allowed_cidrs: ['192.0.2.0/24', '2001:DB8::/32', '192.0.2.0/24'],
          signature_algorithm: 'hmac-sha512',
        },
        NOW,
      ),
    ).toEqual({
      name: 'deploy bot',
      description: 'used by CI',
      roles: ['viewer', 'member'],
      rate_limit_per_minute: 600,
      expires_at_ms: Date.UTC(2030, 0, 1),
      org_id: 'acme',
      metadata: { plan: 'pro' },
      allowed_cidrs: ['192.0.2.0/24', '2001:db8::/32'],
      credits: null,
      signature: { sig_alg: 'hmac-sha512', public_key: null },
    });
  });

  it('treats explicit nulls of optional fields as absent', () => {
    expect(
      validateCreateKey(
        {
          name: 'x',
          description: null,
          roles: null,
          rate_limit_per_minute: null,
          expires_at: null,
          org_id: null,
        },
        NOW,
      ),
    ).toEqual(validateCreateKey({ name: 'x' }, NOW));
  });

  describe('name (1-100 characters, required)', () => {
    it.each([
      ['1 character', 'a'],
      ['100 characters', 'x'.repeat(100)],
      ['non-ASCII', 'Ünïcødé ✓'],
      ['surrounding spaces', ' padded '],
    ])('accepts %s', (_, name) => {
      expect(validateCreateKey({ name }, NOW).name).toBe(name);
    });

    it.each([
      ['missing', {}],
      ['null', { name: null }],
      ['empty', { name: '' }],
      ['only spaces', { name: '   ' }],
      ['101 characters', { name: 'x'.repeat(101) }],
      ['a number', { name: 42 }],
      ['a list', { name: ['ci'] }],
      ['an object', { name: { first: 'ci' } }],
      ['a boolean', { name: true }],
    ])('rejects %s', (_, body) => {
      expectInvalid(() => validateCreateKey(body, NOW), 'name');
    });
  });

  describe('description (0-500 characters)', () => {
    it.each([
      ['empty', ''],
      ['1 character', 'd'],
      ['500 characters', 'd'.repeat(500)],
    ])('accepts %s', (_, description) => {
      expect(validateCreateKey({ name: 'x', description }, NOW).description).toBe(description);
    });

    it.each([
      ['501 characters', 'd'.repeat(501)],
      ['a number', 7],
      ['a list', ['d']],
      ['a boolean', false],
    ])('rejects %s', (_, description) => {
      expectInvalid(() => validateCreateKey({ name: 'x', description }, NOW), 'description');
    });
  });

  describe('roles (1-10 names)', () => {
    it('accepts 10 roles and de-duplicates', () => {
      const roles = Array.from({ length: 10 }, (_, i) => `r${i}`);
      expect(validateCreateKey({ name: 'x', roles }, NOW).roles).toEqual(roles);
      expect(validateCreateKey({ name: 'x', roles: ['a', 'a'] }, NOW).roles).toEqual(['a']);
    });

    it.each([
      ['an empty list', []],
      ['11 roles', Array.from({ length: 11 }, (_, i) => `r${i}`)],
      ['a string', 'member'],
      ['a non-string entry', ['member', 1]],
      ['a null entry', [null]],
      ['an object', { member: true }],
    ])('rejects %s', (_, roles) => {
      expectInvalid(() => validateCreateKey({ name: 'x', roles }, NOW), 'roles');
    });
  });

  describe('rate_limit_per_minute (integer 1-100000)', () => {
    it.each([1, 60, 100_000])('accepts %j', (rate) => {
      expect(validateCreateKey({ name: 'x', rate_limit_per_minute: rate }, NOW).rate_limit_per_minute).toBe(
        rate,
      );
    });

    it.each([0, -1, 100_001, 1.5, '60', true, [60], Number.POSITIVE_INFINITY, Number.NaN])(
      'rejects %j',
      (rate) => {
        expectInvalid(
          () => validateCreateKey({ name: 'x', rate_limit_per_minute: rate }, NOW),
          'rate_limit_per_minute',
        );
      },
    );
  });

  describe('expires_at (ISO 8601, in the future)', () => {
    it.each([
      ['2030-01-01T00:00:00Z', Date.UTC(2030, 0, 1)],
      ['2030-01-01T00:00:00.000Z', Date.UTC(2030, 0, 1)],
      ['2030-01-01T02:00:00+02:00', Date.UTC(2030, 0, 1)],
      ['2025-06-01T12:00:00.001Z', NOW + 1],
    ])('accepts %j', (expiresAt, expectedMs) => {
      expect(validateCreateKey({ name: 'x', expires_at: expiresAt }, NOW).expires_at_ms).toBe(expectedMs);
    });

    it.each([
      ['in the past', '2020-01-01T00:00:00Z'],
      ['exactly now', '2025-06-01T12:00:00.000Z'],
      ['one millisecond ago', '2025-06-01T11:59:59.999Z'],
    ])('rejects a time %s', (_, expiresAt) => {
      const error = thrown(() =>
        validateCreateKey({ name: 'x', expires_at: expiresAt }, NOW),
      ) as ValidationError;
      expectInvalid(() => validateCreateKey({ name: 'x', expires_at: expiresAt }, NOW), 'expires_at');
      expect(error.message).toMatch(/future/);
    });

    it.each([
      ['a date without a time', '2030-01-01'],
      ['a sentence', 'next tuesday'],
      ['epoch milliseconds', 1_893_456_000_000],
      ['epoch seconds as a string', '1893456000'],
      ['a month 13', '2030-13-01T00:00:00Z'],
      ['garbage after the T', '2030-01-01Tnoon'],
      ['an empty string', ''],
      ['a boolean', true],
    ])('rejects %s', (_, expiresAt) => {
      expectInvalid(() => validateCreateKey({ name: 'x', expires_at: expiresAt }, NOW), 'expires_at');
    });
  });

  describe('org_id', () => {
    it.each(['default', 'acme', 'a', 'A.b-c_d', '0org', `${'o'.repeat(63)}1`])('accepts %j', (org) => {
      expect(validateCreateKey({ name: 'x', org_id: org }, NOW).org_id).toBe(org);
    });

    it.each(['', '-acme', '.acme', '_acme', 'ac me', 'acme/x', `${'o'.repeat(64)}1`, 'é', 42])(
      'rejects %j',
      (org) => {
        expectInvalid(() => validateCreateKey({ name: 'x', org_id: org }, NOW), 'org_id');
      },
    );
  });

  describe('unknown fields', () => {
    it.each(['key_hash', 'salt', 'permissions', 'Name', 'id', 'raw_key', 'enabled'])(
      'rejects %j',
      (field) => {
        expectInvalid(() => validateCreateKey({ name: 'x', [field]: 'v' }, NOW), field);
      },
    );

    it('rejects __proto__ from a parsed body', () => {
      expectInvalid(
        () => validateCreateKey(parseJsonObject('{"name":"x","__proto__":{"a":1}}'), NOW),
        '__proto__',
      );
    });

    it('names the unknown field before checking the known ones', () => {
      expectInvalid(() => validateCreateKey({ bogus: 1 }, NOW), 'bogus');
    });
  });
});

describe('validateRotateKey', () => {
  it.each([
    [{}, 0],
    [{ grace_period_seconds: null }, 0],
    [{ grace_period_seconds: 0 }, 0],
    [{ grace_period_seconds: 3600 }, 3600],
    [{ grace_period_seconds: 86_400 }, 86_400],
  ])('%j → %i', (body, expected) => {
    expect(validateRotateKey(body)).toEqual({ grace_period_seconds: expected, public_key: null });
  });

  it.each([-1, 86_401, 1.5, '60', true])('rejects grace_period_seconds %j', (value) => {
    expectInvalid(() => validateRotateKey({ grace_period_seconds: value }), 'grace_period_seconds');
  });

  it('rejects unknown fields', () => {
    expectInvalid(() => validateRotateKey({ grace: 10 }), 'grace');
  });
});

describe('validateOrgLimit', () => {
  it.each([
    [{ max_keys: null }, null],
    [{ max_keys: 0 }, 0],
    [{ max_keys: 50 }, 50],
    [{ max_keys: 1_000_000 }, 1_000_000],
  ])('%j → %j', (body, expected) => {
    expect(validateOrgLimit(body)).toEqual({ max_keys: expected });
  });

  it('requires max_keys', () => {
    expectInvalid(() => validateOrgLimit({}), 'max_keys');
  });

  it.each([-1, 1_000_001, 2.5, '5', false])('rejects max_keys %j', (value) => {
    expectInvalid(() => validateOrgLimit({ max_keys: value }), 'max_keys');
  });

  it('rejects unknown fields', () => {
    expectInvalid(() => validateOrgLimit({ max_keys: 5, active_keys: 1 }), 'active_keys');
  });
});

describe('validateOrgId', () => {
  it('returns a valid org id', () => {
    expect(validateOrgId('acme')).toBe('acme');
  });

  it.each([undefined, '', 'bad org', '-x'])('rejects %j naming org_id', (org) => {
    expectInvalid(() => validateOrgId(org), 'org_id');
  });
});

describe('validateListKeys', () => {
  it('defaults', () => {
    expect(validateListKeys({})).toEqual({ limit: 50, cursor: null, status: null, name: null, org_id: null });
  });

  it('accepts every parameter', () => {
    expect(
      validateListKeys({
        limit: '10',
        cursor: 'eyJrIjoxfQ',
        status: 'revoked',
        name: 'bill',
        org_id: 'acme',
      }),
    ).toEqual({
      limit: 10,
      cursor: 'eyJrIjoxfQ',
      status: 'revoked',
      name: 'bill',
      org_id: 'acme',
    });
  });

  it('takes name as given (an empty one is no filter); refuses one too long or with control characters', () => {
    expect(validateListKeys({ name: 'Billing Worker' }).name).toBe('Billing Worker');
    expect(validateListKeys({ name: '' }).name).toBeNull();
    expect(validateListKeys({ name: 'n'.repeat(100) }).name).toHaveLength(100);
    expectInvalid(() => validateListKeys({ name: 'n'.repeat(101) }), 'name');
    expectInvalid(() => validateListKeys({ name: 'a\nb' }), 'name');
  });

  it.each([
    ['1', 1],
    ['50', 50],
    ['100', 100],
    ['007', 7],
  ])('accepts limit %j', (limit, expected) => {
    expect(validateListKeys({ limit }).limit).toBe(expected);
  });

  it.each(['0', '101', '1000', '-1', '1.5', '1e2', 'ten', '', ' 5', '5 ', '0x10', '0100'])(
    'rejects limit %j',
    (limit) => {
      expectInvalid(() => validateListKeys({ limit }), 'limit');
    },
  );

  it.each(['active', 'revoked', 'expired'])('accepts status %j', (status) => {
    expect(validateListKeys({ status }).status).toBe(status);
  });

  it.each(['ACTIVE', 'deleted', '', 'active,revoked'])('rejects status %j', (status) => {
    expectInvalid(() => validateListKeys({ status }), 'status');
  });

  it('treats an empty cursor as none and passes any other cursor through unchanged', () => {
    expect(validateListKeys({ cursor: '' }).cursor).toBeNull();
    expect(validateListKeys({ cursor: 'a+b/c==' }).cursor).toBe('a+b/c==');
  });

  it('rejects an invalid org_id', () => {
    expectInvalid(() => validateListKeys({ org_id: 'no spaces' }), 'org_id');
  });

  it.each(['page', 'offset', 'Limit', 'sort'])('rejects the unknown query parameter %j', (param) => {
    const error = thrown(() => validateListKeys({ [param]: '1' })) as ValidationError;
    expectInvalid(() => validateListKeys({ [param]: '1' }), param);
    expect(error.message).toContain('query parameter');
  });
});

describe('expires_at must be a real instant with an explicit zone', () => {
  it.each(['2030-02-30T00:00:00Z', '2030-02-31T00:00:00Z', '2030-04-31T00:00:00Z', '2030-01-01T00:00:00'])(
    'rejects %s',
    (v) => {
      expect(() => validateCreateKey({ name: 'x', expires_at: v }, 0)).toThrow(/expires_at/);
    },
  );
  it.each(['2030-02-28T00:00:00Z', '2032-02-29T12:30:00.123Z', '2030-01-01T00:00:00+02:00'])(
    'accepts %s',
    (v) => {
      expect(validateCreateKey({ name: 'x', expires_at: v }, 0).expires_at_ms).toBe(Date.parse(v));
    },
  );
});

describe('validateUpdateKey', () => {
  it('keeps only the fields given; null clears description, expiry and metadata', () => {
    expect(validateUpdateKey({ name: 'n' }, NOW)).toEqual({ name: 'n' });
    expect(
      validateUpdateKey(
        { description: null, expires_at: null, metadata: null, enabled: false, rate_limit_per_minute: 5 },
        NOW,
      ),
    ).toEqual({
      description: null,
      expires_at_ms: null,
      metadata: {},
      enabled: false,
      rate_limit_per_minute: 5,
    });
  });

  it.each([
    [{}, 'body'],
    [{ roles: ['x'] }, 'roles'],
    [{ name: null }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ rate_limit_per_minute: null }, 'rate_limit_per_minute'],
    [{ enabled: 1 }, 'enabled'],
    [{ expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
  ])('%j → 400 naming %s', (input, field) => {
    const error = thrown(() => validateUpdateKey(input, NOW));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });
});

describe('validateMetadata', () => {
  it('accepts the limits exactly', () => {
    const { maxEntries, maxValueChars, maxTotalBytes } = METADATA_LIMITS;
    const ten = Object.fromEntries(Array.from({ length: maxEntries }, (_, i) => [`k${i}`, 'v']));
    expect(validateMetadata(ten)).toEqual(ten);
    expect(validateMetadata({ k: 'x'.repeat(maxValueChars) })).toEqual({ k: 'x'.repeat(maxValueChars) });
    const full = { a: 'x'.repeat(255), b: 'x'.repeat(maxTotalBytes - 255 - 2) };
    expect(validateMetadata(full)).toEqual(full);
    expect(validateMetadata({ [`${'k'.repeat(32)}`]: '' })).toEqual({ [`${'k'.repeat(32)}`]: '' });
  });

  it.each([
    [
      'one entry too many',
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
      'metadata',
    ],
    ['a key with a capital', { Plan: 'x' }, 'metadata'],
    ['an empty key', { '': 'x' }, 'metadata'],
    ['a value one character too long', { k: 'x'.repeat(257) }, 'metadata.k'],
    ['513 bytes in all', { a: 'x'.repeat(255), b: 'x'.repeat(512 - 255 - 1) }, 'metadata'],
    ['multi-byte characters count as bytes', { a: 'é'.repeat(200), b: 'é'.repeat(60) }, 'metadata'],
    ['a number value', { k: 1 }, 'metadata.k'],
    ['a nested object', { k: { x: 'y' } }, 'metadata.k'],
    ['a list', ['x'], 'metadata'],
    ['a string', 'x', 'metadata'],
    ['a control character in a value', { k: 'a\tb' }, 'metadata.k'],
  ])('refuses %s', (_, input, field) => {
    const error = thrown(() => validateMetadata(input));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('refuses a __proto__ key from a parsed body instead of dropping it', () => {
    for (const body of ['{"__proto__":"x","plan":"gold"}', '{"__proto__":"x"}']) {
      const parsed = JSON.parse(body);
      const error = thrown(() => validateMetadata(parsed));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(/^metadata: "__proto__"/);
      const update = thrown(() => validateUpdateKey(parseJsonObject(`{"metadata":${body}}`), NOW));
      expect((update as ValidationError).field).toBe('metadata');
    }
    // Other names of Object.prototype are ordinary keys, kept as given.
    expect(validateMetadata(JSON.parse('{"constructor":"a","tostring":"b"}'))).toEqual({
      constructor: 'a',
      tostring: 'b',
    });
  });
});

describe('names and descriptions: no control characters, bidirectional overrides or lone surrogates', () => {
  it.each([
    ['\u0000'],
    ['\u001b[31m'],
    ['\u007f'],
    ['\u009b'],
    ['\u202a'],
    ['\u202e'],
    ['\u2066'],
    ['\u2069'],
    ['\ud83d'],
    ['\ude00x'],
  ])('%j is refused in name and description', (bad) => {
    for (const field of ['name', 'description']) {
      const error = thrown(() => validateCreateKey({ name: 'ok', [field]: `a${bad}b` }, NOW));
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it('a surrogate pair (emoji), U+202F and U+2070 are fine', () => {
    expect(validateCreateKey({ name: 'key 🔑\u202f\u2070' }, NOW).name).toBe('key 🔑\u202f\u2070');
  });
});

describe('validateListAudit', () => {
  it('defaults and bounds', () => {
    expect(validateListAudit({})).toEqual({ limit: 50, cursor: null, key_id: null, org_id: null });
    expect(validateListAudit({ key_id: 'A'.repeat(16), limit: '5', org_id: 'acme' })).toMatchObject({
      key_id: 'A'.repeat(16),
      limit: 5,
    });
  });

  it.each([
    [{ key_id: 'short' }, 'key_id'],
    [{ limit: '0' }, 'limit'],
    [{ status: 'active' }, 'status'],
  ])('%j → 400 naming %s', (query, field) => {
    expect((thrown(() => validateListAudit(query)) as ValidationError).field).toBe(field);
  });
});
