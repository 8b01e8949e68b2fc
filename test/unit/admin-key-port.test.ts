import { describe, expect, it } from 'vitest';
import { localSecretsPort } from '#cli/admin-key';

/** `latchkey admin-key --local` finds local mode's secrets port from what the user already set. */
describe('admin-key --local: the secrets port', () => {
  it.each([
    [{}, '8788'],
    [{ LATCHKEY_URL: 'http://127.0.0.1:9100' }, '9101'],
    [{ LATCHKEY_URL: 'http://127.0.0.1:9100', PORT: '9200' }, '9201'],
    [{ LATCHKEY_URL: 'http://127.0.0.1:9100', LATCHKEY_SECRETS_PORT: '9300' }, '9300'],
    [{ LATCHKEY_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod' }, '8788'],
    [{ LATCHKEY_URL: 'not a url' }, '8788'],
  ])('%j → %s', (env, port) => {
    expect(localSecretsPort(env)).toBe(port);
  });
});
