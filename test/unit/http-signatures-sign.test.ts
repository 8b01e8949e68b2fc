/**
 * The SDK's RFC 9421 signer (`#core/http-signatures-sign`) against what no one here wrote: the RFC's own
 * examples (Appendix B.2.5 hmac-sha256 and B.2.6 ed25519, test/fixtures/rfc9421/appendix-b-sign.json)
 * reproduced byte for byte through its base builder and signer, and the `http-message-signatures`
 * package (an independent RFC 9421 implementation) verifying the signatures it makes for latchkey's
 * profile, HMAC and Ed25519. Then the profile itself: components, parameters, digest, and refusals.
 */
import { createHash, createHmac, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createVerifier, httpbis } from 'http-message-signatures';
import { describe, expect, it } from 'vitest';
import {
  type MessageToSign,
  type SigningKey,
  type SignRequest9421Input,
  sfBinary,
  sfString,
  signatureBase,
  signatureParamsValue,
  signBase,
  signRequest9421,
} from '#core/http-signatures-sign';

interface Example {
  section: string;
  label: string;
  algorithm: 'hmac-sha256' | 'ed25519';
  key: string;
  components: string[];
  params: { created: number; keyid: string };
  base: string;
  signatureInput: string;
  signature: string;
}
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/rfc9421/appendix-b-sign.json', import.meta.url), 'utf8'),
) as {
  keys: { 'test-shared-secret': string; 'test-key-ed25519': { public: string; private: string } };
  request: MessageToSign & { headers: Record<string, string>; body: string };
  examples: Example[];
};

function keyOf(example: Example): SigningKey {
  return example.algorithm === 'ed25519'
    ? { algorithm: 'ed25519', privateKey: vectors.keys['test-key-ed25519'].private }
    : { algorithm: 'hmac-sha256', secret: Buffer.from(vectors.keys['test-shared-secret'], 'base64') };
}

describe('RFC 9421 Appendix B, reproduced byte for byte', () => {
  it('the test request’s Content-Digest is its body’s', () => {
    const digest = createHash('sha512').update(vectors.request.body).digest();
    expect(vectors.request.headers['Content-Digest']).toBe(`sha-512=${sfBinary(digest)}`);
  });

  it.each(vectors.examples.map((e) => [e.section, e] as const))('%s', (_, example) => {
    const base = signatureBase(vectors.request, example.components, example.params);
    expect(base).toBe(example.base);
    expect(`${example.label}=${signatureParamsValue(example.components, example.params)}`).toBe(
      example.signatureInput,
    );
    expect(`${example.label}=${sfBinary(signBase(base, keyOf(example)))}`).toBe(example.signature);
  });
});

const KEY_ID = '3hQx9TmP2wLk8ZrA';
const TOKEN = `lk_${KEY_ID}_${'s'.repeat(43)}abcdef`;
const URL_ = 'https://api.example.com:443/prod/v1/echo/orders?page=2&sort=new';

/** The signed request as the package sees it: the URL, the method, and the headers we send. */
function asPackageRequest(method: string, headers: Record<string, string>) {
  return { method, url: URL_, headers };
}

describe('the http-message-signatures package verifies what the SDK signs', () => {
  const verify = (
    request: ReturnType<typeof asPackageRequest>,
    verifier: (data: Buffer, signature: Buffer) => Promise<boolean | null>,
    alg: string,
  ) =>
    httpbis.verifyMessage(
      {
        keyLookup: async (params) =>
          params.keyid === KEY_ID ? { id: KEY_ID, algs: [alg], verify: verifier } : null,
        requiredFields: ['@method', '@authority', '@path', '@query'],
        requiredParams: ['created', 'nonce', 'keyid', 'alg', 'tag'],
        tolerance: 5,
      },
      request,
    );

  it.each([
    ['GET without a body', 'GET', undefined],
    ['POST with a body (content-digest covered)', 'POST', '{"sku":"A-1","qty":2}'],
  ])('hmac-sha256: %s', async (_, method, body) => {
    const signed = signRequest9421({ token: TOKEN, method, url: URL_, body });
    const headers = { ...signed.headers } as Record<string, string>;
    const verifier = createVerifier(Buffer.from(TOKEN, 'utf8'), 'hmac-sha256');
    await expect(verify(asPackageRequest(method, headers), verifier, 'hmac-sha256')).resolves.toBe(true);
    // Tampering with anything covered fails.
    const tampered = asPackageRequest(method === 'GET' ? 'DELETE' : 'PUT', headers);
    await expect(verify(tampered, verifier, 'hmac-sha256')).resolves.toBe(false);
  });

  it('hmac-sha512 (a key created with signature_algorithm hmac-sha512)', async () => {
    const signed = signRequest9421({ token: TOKEN, method: 'GET', url: URL_, algorithm: 'hmac-sha512' });
    expect(signed.params.alg).toBe('hmac-sha512');
    // The package has no hmac-sha512; its base, with our HMAC over it.
    const verifier = async (data: Buffer, signature: Buffer) => {
      const expected = createHmac('sha512', Buffer.from(TOKEN, 'utf8')).update(data).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    };
    const request = asPackageRequest('GET', { ...signed.headers });
    await expect(verify(request, verifier, 'hmac-sha512')).resolves.toBe(true);
  });

  it('ed25519 with a PEM and with a KeyObject', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const verifier = createVerifier(publicKey, 'ed25519');
    for (const key of [privateKey, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()]) {
      const body = new TextEncoder().encode('{"a":1}');
      const signed = signRequest9421({ keyId: KEY_ID, privateKey: key, method: 'PUT', url: URL_, body });
      expect(signed.params.alg).toBe('ed25519');
      const request = asPackageRequest('PUT', { ...signed.headers });
      await expect(verify(request, verifier, 'ed25519')).resolves.toBe(true);
      const other = createVerifier(generateKeyPairSync('ed25519').publicKey, 'ed25519');
      await expect(verify(request, other, 'ed25519')).resolves.toBe(false);
    }
  });
});

describe('latchkey’s profile', () => {
  it('covers @method @authority @path @query, with the parameters in order, and labels it sig1', () => {
    const signed = signRequest9421({
      token: TOKEN,
      method: 'get',
      url: 'http://API.Example.com:80/prod/v1/echo/x',
      created: 1_700_000_000,
      nonce: '0123456789abcdef0123456789abcdef',
    });
    expect(signed.headers).toEqual({
      'signature-input':
        'sig1=("@method" "@authority" "@path" "@query");created=1700000000;nonce="0123456789abcdef0123456789abcdef";keyid="3hQx9TmP2wLk8ZrA";alg="hmac-sha256";tag="latchkey"',
      signature: expect.stringMatching(/^sig1=:[A-Za-z0-9+/]{43}=:$/),
    });
    expect(signed.base).toBe(
      [
        '"@method": GET',
        '"@authority": api.example.com',
        '"@path": /prod/v1/echo/x',
        '"@query": ?',
        `"@signature-params": ${signed.headers['signature-input'].slice('sig1='.length)}`,
      ].join('\n'),
    );
    const mac = createHmac('sha256', TOKEN).update(signed.base).digest();
    expect(signed.headers.signature).toBe(`sig1=${sfBinary(mac)}`);
  });

  it('a body adds a sha-256 Content-Digest and covers it; an empty body does not', () => {
    const body = '{"sku":"A-1"}';
    const signed = signRequest9421({ token: TOKEN, method: 'POST', url: URL_, body, expires: 2_000_000_000 });
    const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    expect(signed.headers['content-digest']).toBe(digest);
    expect(signed.components).toEqual(['@method', '@authority', '@path', '@query', 'content-digest']);
    expect(signed.base).toContain(`\n"content-digest": ${digest}\n`);
    expect(signed.base).toContain('"@query": ?page=2&sort=new\n');
    expect(signed.headers['signature-input']).toMatch(
      /;created=\d+;expires=2000000000;nonce="[0-9a-f]{32}";/,
    );
    const empty = signRequest9421({ token: TOKEN, method: 'POST', url: URL_, body: '' });
    expect(empty.headers['content-digest']).toBeUndefined();
    expect(empty.components).not.toContain('content-digest');
  });

  it('a fresh 32-hex nonce and the current time by default', () => {
    const a = signRequest9421({ token: TOKEN, method: 'GET', url: URL_ });
    const b = signRequest9421({ token: TOKEN, method: 'GET', url: URL_ });
    expect(a.params.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a.params.nonce).not.toBe(b.params.nonce);
    expect(Math.abs(a.params.created - Date.now() / 1000)).toBeLessThan(5);
  });

  it.each([
    ['neither token nor privateKey', {}, /either token \(HMAC\) or privateKey/],
    ['both', { token: TOKEN, privateKey: 'x' }, /either token/],
    ['a token that is not one', { token: 'nope' }, /token is not of the form/],
    ['a keyId not the token’s', { token: TOKEN, keyId: 'AAAAAAAAAAAAAAAA' }, /keyId is not the token/],
    ['ed25519 with a token', { token: TOKEN, algorithm: 'ed25519' }, /ed25519 signs with a privateKey/],
    [
      'a private key without keyId',
      { privateKey: generateKeyPairSync('ed25519').privateKey },
      /keyId .* is required/,
    ],
    [
      'an RSA private key',
      { keyId: KEY_ID, privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey },
      /must be an Ed25519 private key/,
    ],
    [
      'a public key as the private key',
      { keyId: KEY_ID, privateKey: generateKeyPairSync('ed25519').publicKey },
      /must be an Ed25519 private key/,
    ],
    ['a PEM that is not one', { keyId: KEY_ID, privateKey: 'garbage' }, /not a readable PEM/],
    ['a bad nonce', { token: TOKEN, nonce: 'a b' }, /nonce must be/],
  ])('refuses %s, echoing no secret', (_, input, message) => {
    let error: unknown;
    try {
      signRequest9421({ method: 'GET', url: URL_, ...input } as SignRequest9421Input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s'.repeat(43));
  });

  it('serialises structured-field strings strictly', () => {
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => sfString('é')).toThrow(TypeError);
    expect(() => signatureBase({ method: 'GET', url: URL_ }, ['@path', '@path'], {})).toThrow(/twice/);
    expect(() => signatureBase({ method: 'GET', url: URL_ }, ['x-missing'], {})).toThrow(/no x-missing/);
  });
});
