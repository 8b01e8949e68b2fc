import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_MATRIX } from '#core/permissions';
import { SETTINGS } from '#core/settings';
import { PREFIX_LIST_RULE } from '#core/token';
import { loadConfig } from '#lambda/runtime/config';

const REQUIRED = {
  LATCHKEY_TABLE_NAME: 'latchkey-keys',
  LATCHKEY_ADMIN_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf',
  LATCHKEY_SIGNING_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing-AbCdEf',
};

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('loadConfig', () => {
  it('applies the defaults', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      tableName: 'latchkey-keys',
      adminKeySecretId: REQUIRED.LATCHKEY_ADMIN_KEY_SECRET_ID,
      signingSecretId: REQUIRED.LATCHKEY_SIGNING_SECRET_ID,
      tokenPrefix: 'lk',
      tokenPrefixes: ['lk'],
      defaultMaxKeys: 50,
      defaultRateLimit: 60,
      roleMatrix: DEFAULT_ROLE_MATRIX,
      defaultRole: 'member',
      plans: {},
      retentionSeconds: 30 * 86_400,
      auditRetentionSeconds: 90 * 86_400,
      secretCacheMs: 60_000,
      dynamodbEndpoint: undefined,
      secretsEndpoint: undefined,
      applicationRoutes: [],
      signingProfile: 'compatible',
      verifyMode: 'bounded',
      hotKeyBoundMs: 1000,
      corsAllowOrigin: undefined,
    });
  });

  it('treats empty strings as unset', () => {
    const blank = Object.fromEntries(
      [
        SETTINGS.tokenPrefix.env,
        SETTINGS.defaultMaxKeys.env,
        SETTINGS.defaultRateLimit.env,
        SETTINGS.roleMatrix.env,
        SETTINGS.defaultRole.env,
        SETTINGS.keyRetentionDays.env,
        SETTINGS.secretCacheTtlSeconds.env,
        SETTINGS.dynamodbEndpoint.env,
        SETTINGS.secretsEndpoint.env,
        SETTINGS.corsAllowOrigin.env,
      ].map((name) => [name, '']),
    );
    expect(loadConfig({ ...REQUIRED, ...blank })).toEqual(loadConfig(REQUIRED));
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...REQUIRED,
      LATCHKEY_TOKEN_PREFIX: 'acme',
      LATCHKEY_DEFAULT_MAX_KEYS: '0',
      LATCHKEY_DEFAULT_RATE_LIMIT: '100000',
      LATCHKEY_ROLE_MATRIX: JSON.stringify({ reader: ['api:read'], writer: ['api:write', 'api:read'] }),
      LATCHKEY_DEFAULT_ROLE: 'reader',
      LATCHKEY_RETENTION_DAYS: '3650',
      LATCHKEY_SECRET_CACHE_SECONDS: '0',
      LATCHKEY_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      LATCHKEY_SECRETS_ENDPOINT: 'http://127.0.0.1:8788',
    });
    expect(config).toMatchObject({
      tokenPrefix: 'acme',
      tokenPrefixes: ['acme'],
      defaultMaxKeys: 0,
      defaultRateLimit: 100_000,
      roleMatrix: { reader: ['api:read'], writer: ['api:read', 'api:write'] },
      defaultRole: 'reader',
      retentionSeconds: 3650 * 86_400,
      secretCacheMs: 0,
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      secretsEndpoint: 'http://127.0.0.1:8788',
    });
  });

  it.each([SETTINGS.tableName.env, SETTINGS.signingSecretId.env])(
    'requires %s, naming it when missing or empty',
    (name) => {
      const missing: Record<string, string> = { ...REQUIRED };
      delete missing[name];
      expect(thrownMessage(() => loadConfig(missing))).toContain(name);
      expect(thrownMessage(() => loadConfig({ ...REQUIRED, [name]: '' }))).toContain(name);
    },
  );

  describe('integers', () => {
    it.each([
      [SETTINGS.defaultMaxKeys.env, ['0', '1000000'], ['-1', '1000001', '1.5', 'fifty', '5O']],
      [SETTINGS.defaultRateLimit.env, ['1', '100000'], ['0', '100001', '60.5', 'sixty', '-60']],
      [SETTINGS.keyRetentionDays.env, ['1', '3650'], ['0', '3651', '7.5', 'month']],
      [SETTINGS.secretCacheTtlSeconds.env, ['0', '3600'], ['-1', '3601', '0.5', 'forever']],
    ])('%s: accepts the bounds and names itself when invalid', (name, good, bad) => {
      for (const value of good) expect(() => loadConfig({ ...REQUIRED, [name]: value })).not.toThrow();
      for (const value of bad) {
        const message = thrownMessage(() => loadConfig({ ...REQUIRED, [name]: value }));
        expect(message, value).toContain(name);
        expect(message, value).toContain(JSON.stringify(value));
      }
    });
  });

  describe('role matrix', () => {
    it.each([
      ['invalid JSON', '{admin:'],
      ['a list', '["admin"]'],
      ['an empty object', '{}'],
      ['an unknown permission', '{"ops":["api:delete"]}'],
      ['a bad role name', '{"Ops":["api:read"]}'],
    ])('names %s when it is %s', (_, raw) => {
      expect(thrownMessage(() => loadConfig({ ...REQUIRED, LATCHKEY_ROLE_MATRIX: raw }))).toContain(
        SETTINGS.roleMatrix.env,
      );
    });

    it('requires the default role to be in the matrix', () => {
      const message = thrownMessage(() =>
        loadConfig({ ...REQUIRED, LATCHKEY_ROLE_MATRIX: '{"reader":["api:read"]}' }),
      );
      expect(message).toContain('"member"');
      expect(thrownMessage(() => loadConfig({ ...REQUIRED, LATCHKEY_DEFAULT_ROLE: 'owner' }))).toContain(
        '"owner"',
      );
    });

    it('does not accept an inherited property as the default role', () => {
      expect(() => loadConfig({ ...REQUIRED, LATCHKEY_DEFAULT_ROLE: 'constructor' })).toThrow(/constructor/);
    });
  });

  describe('signing profile', () => {
    it.each(['compatible', 'strict'])('accepts %j', (profile) => {
      expect(loadConfig({ ...REQUIRED, [SETTINGS.signingProfile.env]: profile }).signingProfile).toBe(
        profile,
      );
    });

    it.each(['STRICT', 'loose', 'strict '])('rejects %j, naming the variable', (profile) => {
      const message = thrownMessage(() =>
        loadConfig({ ...REQUIRED, [SETTINGS.signingProfile.env]: profile }),
      );
      expect(message).toContain(SETTINGS.signingProfile.env);
      expect(message).toContain(JSON.stringify(profile));
    });
  });

  describe('token prefix', () => {
    it.each(['a', 'acme', 'lk2', 'a'.repeat(16)])('accepts %j', (prefix) => {
      expect(loadConfig({ ...REQUIRED, LATCHKEY_TOKEN_PREFIX: prefix }).tokenPrefix).toBe(prefix);
    });

    it.each(['LK', 'l_k', 'l-k', 'a'.repeat(17), 'lk '])('rejects %j', (prefix) => {
      expect(() => loadConfig({ ...REQUIRED, LATCHKEY_TOKEN_PREFIX: prefix })).toThrow(
        `LATCHKEY_TOKEN_PREFIX must be ${PREFIX_LIST_RULE}, got ${JSON.stringify(prefix)}`,
      );
    });

    it('reads a list: the first for new keys, every one accepted', () => {
      const config = loadConfig({ ...REQUIRED, LATCHKEY_TOKEN_PREFIX: 'acme,lk' });
      expect(config.tokenPrefix).toBe('acme');
      expect(config.tokenPrefixes).toEqual(['acme', 'lk']);
      expect(loadConfig({ ...REQUIRED, LATCHKEY_TOKEN_PREFIX: 'a,b,c,d' }).tokenPrefixes).toEqual([
        'a',
        'b',
        'c',
        'd',
      ]);
      expect(loadConfig(REQUIRED).tokenPrefixes).toEqual(['lk']);
    });

    it.each([
      ['a duplicate', 'acme,lk,acme'],
      ['more than four', 'a,b,c,d,e'],
      ['an empty entry', 'acme,,lk'],
      ['a trailing comma', 'acme,'],
      ['a space', 'acme, lk'],
      ['an invalid entry', 'acme,LK'],
    ])('rejects a list with %s (%j)', (_, list) => {
      expect(() => loadConfig({ ...REQUIRED, LATCHKEY_TOKEN_PREFIX: list })).toThrow(
        `LATCHKEY_TOKEN_PREFIX must be ${PREFIX_LIST_RULE}, got ${JSON.stringify(list)}`,
      );
    });
  });
});

describe('configuration errors name the variable', () => {
  const REQUIRED_ENV = {
    LATCHKEY_TABLE_NAME: 't',
    LATCHKEY_ADMIN_KEY_SECRET_ID: 'a',
    LATCHKEY_SIGNING_SECRET_ID: 's',
  };
  it('for a bad prefix and an unknown default role', () => {
    expect(() => loadConfig({ ...REQUIRED_ENV, LATCHKEY_TOKEN_PREFIX: 'LK' })).toThrow(
      'LATCHKEY_TOKEN_PREFIX',
    );
    expect(() => loadConfig({ ...REQUIRED_ENV, LATCHKEY_DEFAULT_ROLE: 'owner' })).toThrow(
      'LATCHKEY_DEFAULT_ROLE',
    );
  });
  it('names every invalid variable in one error', () => {
    const message = thrownMessage(() =>
      loadConfig({ ...REQUIRED_ENV, LATCHKEY_DEFAULT_RATE_LIMIT: '0', LATCHKEY_VERIFY_MODE: 'fast' }),
    );
    expect(message).toContain('LATCHKEY_DEFAULT_RATE_LIMIT must be an integer from 1 to 100000, got "0"');
    expect(message).toContain('LATCHKEY_VERIFY_MODE must be bounded or exact, got "fast"');
  });
  it.each(['0x10', '1e3', ' 12 ', '12.0'])('rejects the lenient number %j', (raw) => {
    expect(() => loadConfig({ ...REQUIRED_ENV, LATCHKEY_DEFAULT_MAX_KEYS: raw })).toThrow(
      'LATCHKEY_DEFAULT_MAX_KEYS',
    );
  });
});

describe('LATCHKEY_CORS_ALLOW_ORIGIN', () => {
  it.each(['*', 'https://app.example.com', 'http://localhost:5173'])('reads %s', (origin) => {
    expect(loadConfig({ ...REQUIRED, LATCHKEY_CORS_ALLOW_ORIGIN: origin }).corsAllowOrigin).toBe(origin);
  });

  it.each([
    ['https://app.example.com/', 'LATCHKEY_CORS_ALLOW_ORIGIN must be * or one origin as browsers send it'],
    ['https://a.example.com https://b.example.com', 'not a list: gateway responses take one static value'],
    ['https://app.example.com:443', 'as browsers send it in Origin: "https://app.example.com"'],
  ])('refuses %s, saying why', (origin, message) => {
    expect(thrownMessage(() => loadConfig({ ...REQUIRED, LATCHKEY_CORS_ALLOW_ORIGIN: origin }))).toContain(
      message,
    );
  });
});

describe('LATCHKEY_APPLICATION_ROUTES', () => {
  const REQUIRED_ENV = { LATCHKEY_TABLE_NAME: 't', LATCHKEY_SIGNING_SECRET_ID: 's' };
  it('parses routes of your own API, each needing api:read or api:write', () => {
    const config = loadConfig({
      ...REQUIRED_ENV,
      LATCHKEY_APPLICATION_ROUTES: JSON.stringify([
        { method: 'get', path: '/orders' },
        { method: 'ANY', path: '/orders/{id}/{proxy+}' },
      ]),
    });
    expect(config.applicationRoutes).toEqual([
      { method: 'GET', path: '/orders', needs: 'application' },
      { method: 'ANY', path: '/orders/{id}/{proxy+}', needs: 'application' },
    ]);
    expect(config.adminKeySecretId).toBeUndefined();
  });
  it.each([
    ['not an array', '{"method":"GET"}'],
    ['bad method', '[{"method":"FETCH","path":"/a"}]'],
    ['bad path', '[{"method":"GET","path":"orders"}]'],
    ['wildcard path', '[{"method":"GET","path":"/orders/*"}]'],
    ['not JSON', '[{'],
  ])('rejects %s, naming the variable', (_name, raw) => {
    expect(() => loadConfig({ ...REQUIRED_ENV, LATCHKEY_APPLICATION_ROUTES: raw })).toThrow(
      'LATCHKEY_APPLICATION_ROUTES',
    );
  });
});
