/**
 * The local Secrets Manager endpoint answers only requests signed (AWS Signature Version 4) with the
 * credential local mode generates for this run, over real HTTP. The real AWS SDK client is the signer
 * here, so the server is checked against AWS's own implementation rather than a copy of its own;
 * unsigned and garbled requests are sent by hand. Also: the credential file (0600, rewritten each start,
 * readable by the SDK's shared-credentials loader), `npm run admin-key` and `latchkey admin-key --local`.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY_SECRET_NAME, LOCAL_PROFILE, LOCAL_REGION, localDataPaths } from '#local/constants';
import type { LocalSecretsCredential } from '#local/secrets/credential';
import { type SecretsEndpoint, startSecretsEndpoint } from '#local/secrets/server';
import { runCli } from '../helpers/cli';
import { startTestLatchkey } from '../helpers/local';
import { ROOT } from '../helpers/process';

const SECRET_NAME = 'app/guarded';
const SECRET_VALUE = 'guarded-value-do-not-leak';

let dir: string;
let endpoint: SecretsEndpoint;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-sigv4-'));
  endpoint = await startSecretsEndpoint({ file: null, credentialsFile: join(dir, 'credentials') });
  endpoint.putSecret(SECRET_NAME, SECRET_VALUE);
});
afterAll(async () => {
  await endpoint?.stop();
  await rm(dir, { recursive: true, force: true });
});

function client(credentials: LocalSecretsCredential, extra: Record<string, unknown> = {}) {
  // One attempt: the SDK would otherwise retry a skewed clock after correcting its offset.
  return new SecretsManagerClient({
    endpoint: endpoint.endpoint,
    region: LOCAL_REGION,
    credentials,
    maxAttempts: 1,
    ...extra,
  });
}

async function refusal(sm: SecretsManagerClient): Promise<{ name: string; status: number; message: string }> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    throw new Error(
      `expected a refusal, got ${out.SecretString === SECRET_VALUE ? 'the secret' : 'a value'}`,
    );
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode ?? 0, message: e.message };
  } finally {
    sm.destroy();
  }
}

/** A raw POST to the endpoint, as the SDK would send it but with the headers given. */
async function raw(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(endpoint.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
      ...headers,
    },
    body: JSON.stringify({ SecretId: SECRET_NAME }),
  });
  return { status: res.status, body: await res.text() };
}

/**
 * A request signed by hand (SigV4) over `signedHeaders` only: the headers are sent as given, so one
 * left out of the signature can say anything.
 */
async function handSigned(
  signedHeaders: string[],
  headers: Record<string, string>,
): Promise<{ status: number; errorType: string | null; body: string }> {
  const body = JSON.stringify({ SecretId: SECRET_NAME });
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = {
    host: new URL(endpoint.endpoint).host,
    'x-amz-date': amzDate,
    ...headers,
  };
  const names = [...signedHeaders].sort();
  const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
  const canonical = [
    'POST',
    '/',
    '',
    names.map((name) => `${name}:${all[name]}\n`).join(''),
    names.join(';'),
    sha256(body),
  ].join('\n');
  const scope = `${day}/${LOCAL_REGION}/secretsmanager/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer | string = `AWS4${endpoint.credential.secretAccessKey}`;
  for (const step of [day, LOCAL_REGION, 'secretsmanager', 'aws4_request'])
    key = createHmac('sha256', key).update(step).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const { host: _host, ...sent } = all;
  const res = await fetch(endpoint.endpoint, {
    method: 'POST',
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${endpoint.credential.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
    body,
  });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: await res.text() };
}

describe('SigV4 on the local Secrets Manager endpoint', () => {
  it('gives the secret to the AWS SDK signing with this run’s credential', async () => {
    const sm = client(endpoint.credential);
    const out = await sm.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    sm.destroy();
    expect(out.SecretString).toBe(SECRET_VALUE);
  });

  it('refuses an unsigned request, without a byte of the secret', async () => {
    const res = await raw({});
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: expect.any(String),
    });
    expect(res.body).not.toContain(SECRET_VALUE);
  });

  it('refuses a garbled Authorization header as an incomplete signature', async () => {
    for (const authorization of [
      'Bearer abc',
      'AWS4-HMAC-SHA256 Credential=x',
      `AWS4-HMAC-SHA256 Credential=${endpoint.credential.accessKeyId}/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=content-type, Signature=${'0'.repeat(64)}`,
    ]) {
      const res = await raw({ authorization, 'x-amz-date': '20240101T000000Z' });
      expect(res.status, authorization).toBe(400);
      expect(JSON.parse(res.body).__type, authorization).toBe('IncompleteSignatureException');
      expect(res.body).not.toContain(SECRET_VALUE);
    }
  });

  it('refuses a signature that leaves out X-Amz-Target or Content-Type (another operation could be sent under it)', async () => {
    const asGetSecretValue = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    };
    // The hand signer is right: covering all four headers, the request is answered.
    const complete = await handSigned(
      ['content-type', 'host', 'x-amz-date', 'x-amz-target'],
      asGetSecretValue,
    );
    expect(complete.status).toBe(200);
    expect(JSON.parse(complete.body).SecretString).toBe(SECRET_VALUE);

    for (const signed of [
      ['host', 'x-amz-date'],
      ['content-type', 'host', 'x-amz-date'],
      ['host', 'x-amz-date', 'x-amz-target'],
    ]) {
      const res = await handSigned(signed, asGetSecretValue);
      expect(res.status, signed.join(';')).toBe(400);
      expect(res.errorType, signed.join(';')).toBe('IncompleteSignatureException');
      expect(JSON.parse(res.body), signed.join(';')).toEqual({
        __type: 'IncompleteSignatureException',
        message: expect.stringContaining('x-amz-target'),
      });
      expect(res.body).not.toContain(SECRET_VALUE);
    }
  });

  it('refuses a wrong secret key, an unknown key id, a date 10 minutes off, another service and a tampered body', async () => {
    const { accessKeyId, secretAccessKey } = endpoint.credential;
    const wrongSecret = await refusal(client({ accessKeyId, secretAccessKey: `${secretAccessKey}x` }));
    expect(wrongSecret).toMatchObject({ name: 'InvalidSignatureException', status: 400 });

    const unknownId = await refusal(client({ accessKeyId: 'AKIAEXAMPLEEXAMPLE00', secretAccessKey }));
    expect(unknownId).toMatchObject({ name: 'UnrecognizedClientException', status: 400 });

    const stale = await refusal(client(endpoint.credential, { systemClockOffset: -10 * 60_000 }));
    expect(stale).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    expect(stale.message).toMatch(/^Signature expired/);

    const ahead = await refusal(client(endpoint.credential, { systemClockOffset: 10 * 60_000 }));
    expect(ahead).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    expect(ahead.message).toMatch(/^Signature not yet current/);

    // Scoped to another service (checked before the signature, which is then not even computed).
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const otherService = await raw({
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
      'x-amz-date': amzDate,
    });
    expect(otherService.status).toBe(400);
    expect(JSON.parse(otherService.body)).toMatchObject({ __type: 'InvalidSignatureException' });
    expect(otherService.body).toContain("'secretsmanager'");

    const tampered = client(endpoint.credential);
    // After signing (the deserialize step runs last before sending): same length, another secret.
    tampered.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string };
        request.body = request.body.replace('app/guarded', 'app/guardee');
        return next(args);
      },
      { step: 'deserialize', name: 'tamperAfterSigning' },
    );
    expect(await refusal(tampered)).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
  });

  it('writes the credential 0600 in the AWS shared-credentials format, new on every start', async () => {
    const file = join(dir, 'credentials');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const first = await readFile(file, 'utf8');
    expect(first).toContain(`[${LOCAL_PROFILE}]`);
    expect(first).toContain(`aws_secret_access_key = ${endpoint.credential.secretAccessKey}`);

    // The SDK's own shared-credentials loader reads it by profile name.
    const previous = process.env.AWS_SHARED_CREDENTIALS_FILE;
    process.env.AWS_SHARED_CREDENTIALS_FILE = file;
    try {
      const sm = new SecretsManagerClient({
        endpoint: endpoint.endpoint,
        region: LOCAL_REGION,
        profile: LOCAL_PROFILE,
      });
      const out = await sm.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
      sm.destroy();
      expect(out.SecretString).toBe(SECRET_VALUE);
    } finally {
      if (previous === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = previous;
    }

    const again = await startSecretsEndpoint({ file: null, credentialsFile: file });
    try {
      const second = await readFile(file, 'utf8');
      expect(second).not.toBe(first);
      expect(again.credential.accessKeyId).not.toBe(endpoint.credential.accessKeyId);
      expect(again.credential.secretAccessKey).not.toBe(endpoint.credential.secretAccessKey);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await again.stop();
    }
  });
});

describe('admin key through the signed path', () => {
  let dataDir: string;
  let local: Awaited<ReturnType<typeof startTestLatchkey>>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-sigv4-local-'));
    local = await startTestLatchkey({ dataDir });
  });
  afterAll(async () => {
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const envFor = (extra: Record<string, string> = {}) => ({
    LATCHKEY_SECRETS_PORT: new URL(local.secretsEndpoint).port,
    LATCHKEY_DATA_DIR: dataDir,
    ...extra,
  });

  it('local mode’s own handlers read the secrets signed (the admin key is accepted)', async () => {
    const res = await fetch(`${local.url}/v1/whoami`, {
      headers: { authorization: `Bearer ${local.adminKey}` },
    });
    expect(res.status).toBe(200);
    const sm = new SecretsManagerClient({
      endpoint: local.secretsEndpoint,
      region: LOCAL_REGION,
      credentials: local.secretsCredential,
    });
    const out = await sm.send(new GetSecretValueCommand({ SecretId: ADMIN_KEY_SECRET_NAME }));
    sm.destroy();
    expect(out.SecretString).toBe(local.adminKey);
  });

  it('latchkey admin-key --local reads the credential file and prints the admin key', async () => {
    const ok = await runCli(['admin-key', '--local'], envFor());
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`${local.adminKey}\n`);

    const missingDir = join(dataDir, 'nowhere');
    const missing = await runCli(['admin-key', '--local'], envFor({ LATCHKEY_DATA_DIR: missingDir }));
    expect(missing.code).toBe(1);
    const lines = missing.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(localDataPaths(missingDir).credentials);
    expect(lines[0]).toContain('npm start');
  });

  it('npm run admin-key is latchkey admin-key --local, and prints the admin key', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'admin-key'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '', ...envFor() },
    });
    expect(stdout).toBe(`${local.adminKey}\n`);
  });
});
