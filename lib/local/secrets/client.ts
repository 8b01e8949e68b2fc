/**
 * Reading one secret from local mode's Secrets Manager endpoint without the AWS SDK: a
 * `secretsmanager.GetSecretValue` call in the JSON protocol over `fetch`, signed (SigV4, sigv4.ts) with
 * the per-run credential local mode wrote to its data folder. `latchkey admin-key --local` reads the
 * admin key with it, so the CLI needs no optional @aws-sdk/client-secrets-manager for local mode. It
 * imports nothing heavy, so the CLI bundle can use it.
 */
import { LOCAL_REGION } from '../constants';
import type { LocalSecretsCredential } from './credential';
import { signSigV4 } from './sigv4';

/** What went wrong, as the AWS SDK would name it: the service's error type, or a network failure. */
export class LocalSecretsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'LocalSecretsError';
  }
}

/** The secret's string value (GetSecretValue's `SecretString`), or undefined when it has none. */
export async function getLocalSecret(
  endpoint: string,
  credential: LocalSecretsCredential,
  secretId: string,
  now = Date.now(),
): Promise<string | undefined> {
  const url = new URL('/', endpoint);
  const body = JSON.stringify({ SecretId: secretId });
  const headers = {
    host: url.host,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'secretsmanager.GetSecretValue',
  };
  const signature = signSigV4(
    { method: 'POST', url: '/', headers, body, region: LOCAL_REGION, service: 'secretsmanager', now },
    credential,
  );
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { ...headers, ...signature }, body });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? 'network error';
    throw new LocalSecretsError('NetworkError', `could not reach ${endpoint} (${cause})`);
  }
  const answer = (await res.json().catch(() => ({}))) as {
    SecretString?: unknown;
    __type?: unknown;
    message?: unknown;
  };
  if (!res.ok) {
    const type = typeof answer.__type === 'string' ? answer.__type : `HTTP ${res.status}`;
    const message = typeof answer.message === 'string' ? answer.message : 'no error message';
    throw new LocalSecretsError(type, message);
  }
  return typeof answer.SecretString === 'string' ? answer.SecretString : undefined;
}
