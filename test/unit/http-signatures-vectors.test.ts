/**
 * RFC 9421's own examples (Appendix B, test/fixtures/rfc9421/SOURCES.md): the signature bases latchkey
 * builds for the test request are the RFC's byte for byte, and the RFC's HMAC (B.2.5) and Ed25519 (B.2.6)
 * signatures verify with the RFC's keys — and fail with any byte of the base changed.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type SignedMessage, signatureBaseOf, verifySignatureBase } from '#core/http-signatures';
import { parseDictionary } from '#core/structured-fields';

const dir = new URL('../fixtures/rfc9421/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');

/** The test request of B.2 as a message: request line, fields, body. */
function testRequest(): SignedMessage {
  const [head = '', body = ''] = read('test-request.http').split('\n\n');
  const [requestLine = '', ...fieldLines] = head.split('\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const fields = new Map<string, string>();
  for (const line of fieldLines) {
    const colon = line.indexOf(':');
    fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const [path = '', query = ''] = target.split('?');
  expect(Buffer.byteLength(body)).toBe(Number(fields.get('content-length')));
  return {
    method,
    host: fields.get('host'),
    path,
    query,
    field: (name) => fields.get(name),
    hasBody: body.length > 0,
  };
}

interface Vector {
  signatureInput: string;
  signature: string;
  base: string;
}
const vector = (name: string): Vector => JSON.parse(read(name));

/** The bytes of a `Signature` field's one member. */
function signatureBytes(field: string): Buffer {
  const member = parseDictionary(field, 1024)?.[0]?.[1];
  if (member?.kind !== 'item' || member.item.type !== 'bytes') throw new Error('not a signature');
  return member.item.value;
}

const sharedSecret = Buffer.from(read('test-shared-secret.txt').trim(), 'base64');
const ed25519Raw = Buffer.from(
  createPublicKey(read('test-key-ed25519.pub.pem')).export({ format: 'jwk' }).x as string,
  'base64url',
);

describe('RFC 9421 Appendix B', () => {
  it('B.2.5: the base of the hmac-sha256 example, and its signature with test-shared-secret', () => {
    const v = vector('b25.json');
    const base = signatureBaseOf(v.signatureInput, testRequest());
    expect(base).toBe(v.base);
    expect(sharedSecret).toHaveLength(64);
    expect(verifySignatureBase('hmac-sha256', sharedSecret, v.base, signatureBytes(v.signature))).toBe(true);
    expect(
      verifySignatureBase(
        'hmac-sha256',
        sharedSecret,
        v.base.replace('example.com', 'example.org'),
        signatureBytes(v.signature),
      ),
    ).toBe(false);
  });

  it('B.2.6: the base of the ed25519 example, and its signature with test-key-ed25519', () => {
    const v = vector('b26.json');
    const base = signatureBaseOf(v.signatureInput, testRequest());
    expect(base).toBe(v.base);
    expect(ed25519Raw).toHaveLength(32);
    expect(verifySignatureBase('ed25519', ed25519Raw, v.base, signatureBytes(v.signature))).toBe(true);
    expect(
      verifySignatureBase('ed25519', ed25519Raw, v.base.replace('POST', 'GET'), signatureBytes(v.signature)),
    ).toBe(false);
  });

  it('an algorithm other than the one signed with does not verify the example', () => {
    const v = vector('b25.json');
    expect(verifySignatureBase('hmac-sha512', sharedSecret, v.base, signatureBytes(v.signature))).toBe(false);
    expect(verifySignatureBase('ed25519', ed25519Raw, v.base, signatureBytes(v.signature))).toBe(false);
  });

  it('a Signature-Input the RFC would serialise differently gives no base (canonical form only)', () => {
    const v = vector('b25.json');
    expect(signatureBaseOf(v.signatureInput.replace('("date" ', '( "date" '), testRequest())).toBeNull();
    expect(signatureBaseOf(v.signatureInput.replace(';created', '; created'), testRequest())).toBeNull();
  });
});
