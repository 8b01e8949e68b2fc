/**
 * How a command reaches the API: the connection options (`--url`, `--key`, `--sign`, `--timeout`), their
 * defaults from LATCHKEY_URL and LATCHKEY_KEY, and the SDK client built from them. A missing URL or key
 * is a `missing_config` usage error; the key itself never appears in any message.
 */
import { LatchkeyClient } from '../sdk';
import { CliError } from './errors';
import { optionalInteger } from './input';
import { defineOptions, flag, type OptionValues, text } from './options';

/** Accepted by every command that talks to the API. */
export const API_OPTIONS = defineOptions({
  url: text('URL', 'API base URL (default: $LATCHKEY_URL)'),
  key: text('KEY', 'admin key or API-key token (default: $LATCHKEY_KEY; prefer the variable)'),
  sign: flag('sign requests with ARMOR-PSK instead of sending the key (API-key tokens only)'),
  timeout: text('MS', 'per-attempt timeout in milliseconds (default 30000)'),
});

export function makeClient(
  values: OptionValues<typeof API_OPTIONS>,
  env: Readonly<Record<string, string | undefined>>,
): LatchkeyClient {
  const baseUrl = values.url ?? env.LATCHKEY_URL;
  const key = values.key ?? env.LATCHKEY_KEY;
  if (!baseUrl) {
    throw new CliError(
      'missing_config',
      'no API URL: set LATCHKEY_URL (e.g. http://127.0.0.1:8787) or pass --url',
      2,
    );
  }
  if (!key) {
    throw new CliError(
      'missing_config',
      'no key: set LATCHKEY_KEY to the admin key or an API-key token (or pass --key)',
      2,
    );
  }
  const timeoutMs = optionalInteger(values.timeout, '--timeout');
  try {
    return new LatchkeyClient({
      baseUrl,
      key,
      sign: values.sign === true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  } catch (error) {
    // The SDK's messages never contain the key.
    throw new CliError('usage_error', error instanceof Error ? error.message : String(error), 2);
  }
}
