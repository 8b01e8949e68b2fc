/**
 * latchkey's RFC 9421 profile, pure: the worked example of docs/protocol.md §2.7 builds the base shown
 * there, and each deviation is refused with its own reason before any I/O.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignatureProfile, type SignedMessage, verifyRfc9530Body } from '#core/http-signatures';

const CREATED = 1765000000;
const NOW = CREATED * 1000 + 5_000;
const DIGEST = 'sha-256=:AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX+GI=:';
const INPUT =
  'sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1765000000;' +
  'nonce="0123456789abcdef0123456789abcdef";keyid="3hQx9TmP2wLk8ZrA";alg="hmac-sha256";tag="latchkey"';
const SIGNATURE = `sig1=:${Buffer.alloc(32).toString('base64')}:`;

const message = (
  overrides: Partial<SignedMessage> = {},
  fields: Record<string, string> = {},
): SignedMessage => {
  const all: Record<string, string> = { 'content-digest': DIGEST, ...fields };
  return {
    method: 'POST',
    host: 'API.example.com:443',
    path: '/prod/v1/echo/a',
    query: 'x=1',
    field: (name) => all[name],
    hasBody: true,
    ...overrides,
  };
};

describe('the worked example of protocol §2.7', () => {
  it('builds the base shown there', () => {
    const checked = checkSignatureProfile(INPUT, SIGNATURE, message(), NOW);
    if (!checked.ok) throw new Error(checked.reason);
    expect(checked.signature.base).toBe(
      [
        '"@method": POST',
        '"@authority": api.example.com',
        '"@path": /prod/v1/echo/a',
        '"@query": ?x=1',
        `"content-digest": ${DIGEST}`,
        `"@signature-params": ${INPUT.slice('sig1='.length)}`,
      ].join('\n'),
    );
    expect(checked.signature).toMatchObject({
      keyId: '3hQx9TmP2wLk8ZrA',
      alg: 'hmac-sha256',
      created: CREATED,
    });
    expect(verifyRfc9530Body('{"a":1}', DIGEST)).toBe('ok');
    expect(verifyRfc9530Body('{"a":2}', DIGEST)).toBe('mismatch');
    expect(createHmac('sha256', 'k').update(checked.signature.base).digest()).toHaveLength(32);
  });

  it('a request without a query signs "?"', () => {
    const checked = checkSignatureProfile(INPUT, SIGNATURE, message({ query: '' }), NOW);
    expect(checked.ok && checked.signature.base).toContain('"@query": ?\n');
  });
});

describe('deviations, each with its reason', () => {
  const cases: [string, string, string, Partial<SignedMessage>, number, string][] = [
    ['two members', `${INPUT}, sig2=("@method")`, SIGNATURE, {}, NOW, 'sig_malformed'],
    ['a signature that is not bytes', INPUT, 'sig1="abc"', {}, NOW, 'sig_malformed'],
    [
      'non-canonical spacing',
      INPUT.replace('("@method" ', '( "@method" '),
      SIGNATURE,
      {},
      NOW,
      'sig_malformed',
    ],
    ['a repeated parameter', `${INPUT};tag="latchkey"`, SIGNATURE, {}, NOW, 'sig_malformed'],
    ['labels that differ', INPUT, SIGNATURE.replace('sig1', 'sig2'), {}, NOW, 'sig_label_mismatch'],
    ['an oversize Signature-Input', `${INPUT};x="${'a'.repeat(1100)}"`, SIGNATURE, {}, NOW, 'sig_malformed'],
    ['an unknown parameter', `${INPUT};x=1`, SIGNATURE, {}, NOW, 'sig_params'],
    [
      'no nonce',
      INPUT.replace(';nonce="0123456789abcdef0123456789abcdef"', ''),
      SIGNATURE,
      {},
      NOW,
      'sig_params',
    ],
    ['a nonce with a colon', INPUT.replace('nonce="0123', 'nonce="0:23'), SIGNATURE, {}, NOW, 'sig_params'],
    [
      'a keyid that is no key id',
      INPUT.replace('3hQx9TmP2wLk8ZrA', 'short'),
      SIGNATURE,
      {},
      NOW,
      'sig_params',
    ],
    [
      'created as a string',
      INPUT.replace('created=1765000000', 'created="1765000000"'),
      SIGNATURE,
      {},
      NOW,
      'sig_params',
    ],
    [
      'an unknown alg',
      INPUT.replace('alg="hmac-sha256"', 'alg="rsa-pss-sha512"'),
      SIGNATURE,
      {},
      NOW,
      'sig_params',
    ],
    ['another tag', INPUT.replace('tag="latchkey"', 'tag="web-bot-auth"'), SIGNATURE, {}, NOW, 'sig_tag'],
    ['created 301 s ago', INPUT, SIGNATURE, {}, (CREATED + 301) * 1000, 'stale_timestamp'],
    ['created 301 s ahead', INPUT, SIGNATURE, {}, (CREATED - 301) * 1000, 'future_timestamp'],
    ['expires reached', `${INPUT};expires=1765000004`, SIGNATURE, {}, NOW, 'sig_expired'],
    ['@query not covered', INPUT.replace(' "@query"', ''), SIGNATURE, {}, NOW, 'sig_components'],
    [
      'a repeated component',
      INPUT.replace('"@path"', '"@path" "@path"'),
      SIGNATURE,
      {},
      NOW,
      'sig_components',
    ],
    ['@target-uri', INPUT.replace('"@path"', '"@path" "@target-uri"'), SIGNATURE, {}, NOW, 'sig_components'],
    [
      'a component with a parameter',
      INPUT.replace('"@query"', '"@query";req'),
      SIGNATURE,
      {},
      NOW,
      'sig_components',
    ],
    [
      'a field the request lacks',
      INPUT.replace('"content-digest"', '"content-digest" "x-a"'),
      SIGNATURE,
      {},
      NOW,
      'sig_components',
    ],
    [
      'a body and content-digest not covered',
      INPUT.replace(' "content-digest"', ''),
      SIGNATURE,
      {},
      NOW,
      'sig_components',
    ],
    ['no Host', INPUT, SIGNATURE, { host: undefined }, NOW, 'sig_components'],
  ];
  it.each(cases)('%s', (_, input, signature, overrides, now, reason) => {
    expect(checkSignatureProfile(input, signature, message(overrides), now)).toEqual({ ok: false, reason });
  });

  it('no body and no Content-Digest: content-digest need not be covered', () => {
    const input = INPUT.replace(' "content-digest"', '');
    const bodiless = { hasBody: false, field: () => undefined };
    expect(checkSignatureProfile(input, SIGNATURE, message(bodiless), NOW).ok).toBe(true);
  });
});

describe('Content-Digest (RFC 9530) against a body', () => {
  it.each([
    ['no body, no field', null, undefined, 'not_expected'],
    ['a body, no field', 'x', undefined, 'missing'],
    [
      'sha-512 alone',
      '{"a":1}',
      `sha-512=:${createHash('sha512').update('{"a":1}').digest('base64')}:`,
      'ok',
    ],
    ['a malformed field', 'x', 'sha-256=abc', 'mismatch'],
    ['only unknown algorithms', 'x', 'md5=:AAAA:', 'mismatch'],
  ])('%s', (_, body, header, outcome) => {
    expect(verifyRfc9530Body(body, header)).toBe(outcome);
  });
});
