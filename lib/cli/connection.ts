/**
 * How a command reaches the API: the connection options (`--url`, `--key`, `--sign`, `--private-key`,
 * `--key-id`, `--timeout`), their defaults from LATCHKEY_URL, LATCHKEY_KEY and LATCHKEY_KEY_ID, and the
 * SDK client built from them. A missing URL or key is a `missing_config` usage error; the key itself
 * never appears in any message.
 */
import { readFileSync } from 'node:fs';
import { LatchkeyClient, type SignOption } from '../sdk';
import { CliError } from './errors';
import { clean } from './format';
import { optionalInteger } from './input';
import { choiceFlag, defineOptions, type OptionValues, text } from './options';

/** Accepted by every command that talks to the API. */
export const API_OPTIONS = defineOptions({
  url: text('URL', 'API base URL (default: $LATCHKEY_URL)'),
  key: text('KEY', 'admin key or API-key token (default: $LATCHKEY_KEY; prefer the variable)'),
  sign: choiceFlag(
    ['armor', 'rfc9421'],
    'sign requests instead of sending the key: ARMOR-PSK (--sign or --sign armor) or RFC 9421 (--sign rfc9421)',
  ),
  'private-key': text('FILE', 'a public-key key: its Ed25519 private key (PEM) signs with RFC 9421'),
  'key-id': text('ID', 'the public-key key --private-key belongs to (default: $LATCHKEY_KEY_ID)'),
  timeout: text('MS', 'per-attempt timeout in milliseconds (default 30000)'),
});

export function makeClient(
  values: OptionValues<typeof API_OPTIONS>,
  env: Readonly<Record<string, string | undefined>>,
): LatchkeyClient {
  const baseUrl = values.url ?? env.LATCHKEY_URL;
  if (!baseUrl) {
    throw new CliError(
      'missing_config',
      'no API URL: set LATCHKEY_URL (e.g. http://127.0.0.1:8787) or pass --url',
      2,
    );
  }
  const timeoutMs = optionalInteger(values.timeout, '--timeout');
  const sign: SignOption = values.sign ?? false;
  const credential =
    values['private-key'] === undefined ? tokenCredential(values, env) : keyPair(values, env);
  try {
    return new LatchkeyClient({
      baseUrl,
      ...credential,
      ...(credential.privateKey === undefined || values.sign !== undefined ? { sign } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } catch (error) {
    // The SDK's messages never contain the key.
    throw new CliError('usage_error', error instanceof Error ? error.message : String(error), 2);
  }
}

function tokenCredential(
  values: OptionValues<typeof API_OPTIONS>,
  env: Readonly<Record<string, string | undefined>>,
): { key: string; privateKey?: undefined } {
  const key = values.key ?? env.LATCHKEY_KEY;
  if (!key) {
    throw new CliError(
      'missing_config',
      'no key: set LATCHKEY_KEY to the admin key or an API-key token (or pass --key, or --private-key for a public-key key)',
      2,
    );
  }
  return { key };
}

/** A public-key key: the private key read from its file, and its key id. */
function keyPair(
  values: OptionValues<typeof API_OPTIONS>,
  env: Readonly<Record<string, string | undefined>>,
): { keyId: string; privateKey: string } {
  const file = values['private-key'] ?? '';
  if (values.key !== undefined)
    throw new CliError('usage_error', 'give either --key or --private-key, not both', 2);
  const keyId = values['key-id'] ?? env.LATCHKEY_KEY_ID;
  if (!keyId) {
    throw new CliError(
      'missing_config',
      'no key id: pass --key-id (or set LATCHKEY_KEY_ID) with --private-key',
      2,
    );
  }
  try {
    return { keyId, privateKey: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new CliError('usage_error', `cannot read --private-key file ${clean(file)} (${code})`, 2);
  }
}
