import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY_RE, parseAuthorization } from '#core/credentials';
import { deriveSecret, formatToken } from '#core/token';

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const TOKEN = formatToken('lk', KEY_ID, deriveSecret('master', KEY_ID, 'AbCdEfGhIjKlMnOpQrStUv'));
const ADMIN_KEY = 'Zq7mW2xR9tLk4pV8nB3cJ6hF1dS5gA0e';
/** A well-shaped token whose checksum is wrong (last character changed). */
const BAD_CHECKSUM = TOKEN.slice(0, -1) + (TOKEN.endsWith('a') ? 'b' : 'a');

describe('ADMIN_KEY_RE', () => {
  it.each([
    ['32 alphanumerics', 'a'.repeat(32), true],
    ['128 alphanumerics', 'A1'.repeat(64), true],
    ['31 characters', 'a'.repeat(31), false],
    ['129 characters', 'a'.repeat(129), false],
    ['punctuation', `${'a'.repeat(31)}!`, false],
    ['an underscore', `${'a'.repeat(31)}_`, false],
  ])('%s → %s', (_, value, expected) => {
    expect(ADMIN_KEY_RE.test(value)).toBe(expected);
  });
});

describe('parseAuthorization', () => {
  describe('Bearer tokens', () => {
    it('parses an API-key token', () => {
      expect(parseAuthorization(`Bearer ${TOKEN}`, 'lk')).toEqual({
        ok: true,
        credential: {
          scheme: 'bearer',
          kind: 'token',
          token: TOKEN,
          parts: { prefix: 'lk', keyId: KEY_ID, secret: TOKEN.slice(20, 63), checksum: TOKEN.slice(-6) },
        },
      });
    });

    it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('treats the scheme %j case-insensitively', (scheme) => {
      const result = parseAuthorization(`${scheme} ${TOKEN}`, 'lk');
      expect(result.ok && result.credential.kind === 'token' && result.credential.token).toBe(TOKEN);
    });

    it.each([
      ['leading spaces', `   Bearer ${TOKEN}`],
      ['trailing spaces', `Bearer ${TOKEN}   `],
      ['several spaces between', `Bearer     ${TOKEN}`],
      ['a tab between', `Bearer\t${TOKEN}`],
      ['a trailing CRLF', `Bearer ${TOKEN}\r\n`],
    ])('tolerates %s', (_, header) => {
      const result = parseAuthorization(header, 'lk');
      expect(result.ok && result.credential.kind === 'token' && result.credential.token).toBe(TOKEN);
    });

    it.each([
      ['a no-break space (U+00A0) between', `Bearer\u00a0${TOKEN}`],
      ['a no-break space before the scheme', `\u00a0Bearer ${TOKEN}`],
      ['a no-break space after the token', `Bearer ${TOKEN}\u00a0`],
      ['an em space (U+2003) between', `Bearer\u2003${TOKEN}`],
      ['an ideographic space (U+3000) between', `Bearer\u3000${TOKEN}`],
      ['a zero-width no-break space (U+FEFF) between', `Bearer\ufeff${TOKEN}`],
      ['a vertical tab between', `Bearer\v${TOKEN}`],
      ['a form feed between', `Bearer\f${TOKEN}`],
      ['a line feed between', `Bearer\n${TOKEN}`],
    ])('refuses %s: only space and tab separate (RFC 9110 §11.4)', (_, header) => {
      expect(parseAuthorization(header, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses a no-break space in a signed header too', () => {
      const armor = `ARMOR-PSK\u00a0${KEY_ID}:${'A'.repeat(86)}==:nonce:1700000000`;
      expect(parseAuthorization(armor, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });

    it('uses the deployment prefix', () => {
      const acme = formatToken('acme', KEY_ID, deriveSecret('master', KEY_ID, 'salt'));
      expect(parseAuthorization(`Bearer ${acme}`, 'acme').ok).toBe(true);
      expect(parseAuthorization(`Bearer ${acme}`, 'lk')).toEqual({ ok: false, reason: 'malformed' });
      expect(parseAuthorization(`Bearer ${TOKEN}`, 'acme')).toEqual({ ok: false, reason: 'malformed' });
    });

    it('accepts a token of every listed prefix and refuses any other prefix as malformed', () => {
      const acme = formatToken('acme', KEY_ID, deriveSecret('master', KEY_ID, 'salt'));
      const old = formatToken('old', KEY_ID, deriveSecret('master', KEY_ID, 'salt'));
      for (const token of [acme, TOKEN]) {
        expect(parseAuthorization(`Bearer ${token}`, ['acme', 'lk'])).toMatchObject({
          ok: true,
          credential: { kind: 'token', token, parts: { keyId: KEY_ID } },
        });
      }
      expect(parseAuthorization(`Bearer ${old}`, ['acme', 'lk'])).toEqual({ ok: false, reason: 'malformed' });
      // Under a listed prefix the checksum is still checked.
      const typo = `${acme.slice(0, -1)}${acme.endsWith('A') ? 'B' : 'A'}`;
      expect(parseAuthorization(`Bearer ${typo}`, ['lk', 'acme'])).toEqual({
        ok: false,
        reason: 'bad_checksum',
      });
    });
  });

  describe('the admin key', () => {
    it('parses a 32-128 character alphanumeric value as the admin key', () => {
      expect(parseAuthorization(`Bearer ${ADMIN_KEY}`, 'lk')).toEqual({
        ok: true,
        credential: { scheme: 'bearer', kind: 'admin', value: ADMIN_KEY },
      });
      const long = 'A1'.repeat(64);
      expect(parseAuthorization(`bearer ${long}`, 'lk')).toMatchObject({
        ok: true,
        credential: { kind: 'admin' },
      });
    });

    it.each([
      ['31 characters', 'a'.repeat(31)],
      ['129 characters', 'a'.repeat(129)],
      ['punctuation', `${ADMIN_KEY}!`],
      ['base64 padding', `${ADMIN_KEY}==`],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl'],
    ])('rejects %s as malformed', (_, value) => {
      expect(parseAuthorization(`Bearer ${value}`, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  describe('refusals', () => {
    it.each([
      ['undefined', undefined],
      ['null', null],
      ['empty', ''],
      ['blank', '   '],
      ['a tab', '\t'],
    ])('%s → missing', (_, header) => {
      expect(parseAuthorization(header, 'lk')).toEqual({ ok: false, reason: 'missing' });
    });

    it.each([
      ['a scheme alone', 'Bearer'],
      ['a scheme and spaces', 'Bearer    '],
      ['a bare token', TOKEN],
      ['two values', `Bearer ${TOKEN} ${TOKEN}`],
      ['a scheme with digits', `Bearer2 ${TOKEN}`],
      ['a colon after the scheme', `Bearer: ${TOKEN}`],
      ['a comma-separated list', `Bearer ${TOKEN}, Bearer ${TOKEN}`],
    ])('%s → malformed', (_, header) => {
      expect(parseAuthorization(header, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });

    it.each([
      ['a truncated token', TOKEN.slice(0, -1)],
      ['an over-long token', `${TOKEN}a`],
      ['the key prefix only', `lk_${KEY_ID}`],
      ['a token with a hyphen', `${TOKEN.slice(0, 30)}-${TOKEN.slice(31)}`],
      ['the prefix alone', 'lk_'],
    ])('%s → malformed (not the token shape)', (_, value) => {
      expect(parseAuthorization(`Bearer ${value}`, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });

    it('a token of the right shape with a wrong checksum → bad_checksum', () => {
      expect(parseAuthorization(`Bearer ${BAD_CHECKSUM}`, 'lk')).toEqual({
        ok: false,
        reason: 'bad_checksum',
      });
    });

    it('any single-character change to the key id or secret → bad_checksum', () => {
      for (let i = 3; i < TOKEN.length - 6; i++) {
        if (TOKEN[i] === '_') continue;
        const mutated = `${TOKEN.slice(0, i)}${TOKEN[i] === 'x' ? 'y' : 'x'}${TOKEN.slice(i + 1)}`;
        expect(parseAuthorization(`Bearer ${mutated}`, 'lk'), `position ${i}`).toEqual({
          ok: false,
          reason: 'bad_checksum',
        });
      }
    });

    it.each([
      ['Basic', `Basic ${Buffer.from('user:pass').toString('base64')}`],
      ['Token', `Token ${TOKEN}`],
      ['Digest', 'Digest abc'],
      ['Negotiate', 'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag'],
    ])('%s → unsupported_scheme', (_, header) => {
      expect(parseAuthorization(header, 'lk')).toEqual({ ok: false, reason: 'unsupported_scheme' });
    });
  });

  describe('ARMOR-PSK', () => {
    const signature = Buffer.alloc(64, 7).toString('base64');

    it.each(['ARMOR-PSK', 'armor-psk'])('parses %s credentials', (scheme) => {
      expect(parseAuthorization(`${scheme} ${KEY_ID}:${signature}:nonce-1:1700000000`, 'lk')).toMatchObject({
        ok: true,
        credential: { scheme: 'armor', kind: 'signed', armor: { keyId: KEY_ID, nonce: 'nonce-1' } },
      });
    });

    it.each([
      ['three fields', `${KEY_ID}:${signature}:nonce-1`],
      ['a bad key id', `short:${signature}:nonce-1:1700000000`],
      ['a non-numeric timestamp', `${KEY_ID}:${signature}:nonce-1:soon`],
      ['a full token instead of a key id', `${TOKEN}:${signature}:nonce-1:1700000000`],
    ])('%s → malformed', (_, value) => {
      expect(parseAuthorization(`ARMOR-PSK ${value}`, 'lk')).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  it('is total: never throws, whatever the header', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
        ),
        (header) => {
          const result = parseAuthorization(header, 'lk');
          expect(typeof result.ok).toBe('boolean');
        },
      ),
    );
  });
});
