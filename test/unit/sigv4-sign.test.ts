/**
 * The SigV4 signer of lib/local/secrets/sigv4.ts (what `latchkey admin-key --local` signs with, so it
 * needs no AWS SDK) against AWS's own signer, @smithy/signature-v4 (the AWS SDK's), for the same request
 * and time, and against the local endpoint's verifier.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { newSecretsCredential } from '#local/secrets/credential';
import { signSigV4, verifySigV4 } from '#local/secrets/sigv4';

const credential = newSecretsCredential();
const NOW = Date.UTC(2026, 11, 6, 12, 34, 56);
const headers = {
  host: '127.0.0.1:8788',
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': 'secretsmanager.GetSecretValue',
};
const body = JSON.stringify({ SecretId: 'latchkey/admin-key' });

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The hash SignatureV4 takes (the SDK passes its own; node:crypto computes the same). */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

describe('signSigV4', () => {
  it("produces AWS's signature for the same request, credential and time", async () => {
    const ours = signSigV4(
      { method: 'POST', url: '/', headers, body, region: 'us-east-1', service: 'secretsmanager', now: NOW },
      credential,
    );
    const aws = await new SignatureV4({
      credentials: credential,
      region: 'us-east-1',
      service: 'secretsmanager',
      sha256: Sha256,
      applyChecksum: false,
    }).sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 8788,
        path: '/',
        query: {},
        headers,
        body,
      },
      {
        signingDate: new Date(NOW),
      },
    );
    const signatureOf = (authorization: string) => /Signature=([0-9a-f]{64})/.exec(authorization)?.[1];
    const awsAuthorization = String(aws.headers.authorization);
    expect(ours['x-amz-date']).toBe(aws.headers['x-amz-date']);
    expect(ours.authorization.replace(/ /g, '')).toBe(awsAuthorization.replace(/ /g, ''));
    expect(signatureOf(ours.authorization)).toBe(signatureOf(awsAuthorization));
  });

  it('is accepted by the local endpoint, and refused with another credential or body', () => {
    const sign = (c = credential) =>
      signSigV4(
        { method: 'POST', url: '/', headers, body, region: 'us-east-1', service: 'secretsmanager', now: NOW },
        c,
      );
    const request = (h: Record<string, string>, b = body) => ({
      method: 'POST',
      url: '/',
      rawHeaders: Object.entries({ ...headers, ...h }).flat(),
      body: Buffer.from(b),
    });
    expect(verifySigV4(request(sign()), credential, NOW)).toEqual({ valid: true });
    const other = { ...newSecretsCredential(), accessKeyId: credential.accessKeyId };
    expect(verifySigV4(request(sign(other)), credential, NOW).valid).toBe(false);
    expect(verifySigV4(request(sign(), '{"SecretId":"x"}'), credential, NOW).valid).toBe(false);
  });
});
