import { describe, expect, it } from 'vitest';
import { inspectToken } from '#cli/token';
import { formatToken, newKeyId } from '#core/token';
import { runCli } from '#test/helpers/cli';

/** `latchkey token inspect`: offline checks that name the key and never repeat its secret. */
describe('inspectToken', () => {
  const keyId = newKeyId();
  const secret = 'S'.repeat(43);
  const token = formatToken('lk', keyId, secret);

  it('a well-formed token: prefix and key id, and nothing of the secret', () => {
    const result = inspectToken(token);
    expect(result).toEqual({ valid: true, prefix: 'lk', key_id: keyId, problem: null });
    expect(JSON.stringify(result)).not.toContain(secret.slice(0, 8));
  });

  it.each([
    [
      'a wrong character',
      `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`,
      /checksum does not match/,
    ],
    ['a truncated token', token.slice(0, -3), /truncated/],
    ['a token with extra characters', `${token}x`, /too long/],
    ['no prefix', token.slice(3), /no prefix/],
    ['a short key id', `lk_abc_${secret}`, /key id must be 16/],
    [
      'punctuation in the secret',
      `${token.slice(0, 25)}-${token.slice(26)}`,
      /other than letters and digits/,
    ],
  ])('%s is refused with its reason', (_name, bad, problem) => {
    const result = inspectToken(bad);
    expect(result.valid).toBe(false);
    expect(result.problem).toMatch(problem);
  });

  it('accepts the token pasted with its "Bearer " scheme', () => {
    expect(inspectToken(`Bearer ${token}`).valid).toBe(true);
  });
});

/** `latchkey token inspect -`: the token from standard input, so it is in neither `ps` nor the history. */
describe('latchkey token inspect -', () => {
  const keyId = newKeyId();
  const secret = 'S'.repeat(43);
  const token = formatToken('lk', keyId, secret);

  it('reads the token from standard input and prints its key id, never its secret', async () => {
    const result = await runCli(['token', 'inspect', '-'], {}, `${token}\n`);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(keyId);
    expect(result.stdout).not.toContain(secret.slice(0, 8));
    const json = await runCli(['token', 'inspect', '-', '--json'], {}, token);
    expect(JSON.parse(json.stdout)).toEqual({ valid: true, prefix: 'lk', key_id: keyId, problem: null });
  });

  it('refuses a bad token from standard input with exit status 1 and its reason', async () => {
    const result = await runCli(['token', 'inspect', '-'], {}, token.slice(0, -3));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/truncated/);
    expect(result.stderr).not.toContain(secret.slice(0, 8));
  });

  it('empty standard input is a usage error (exit status 2)', async () => {
    const result = await runCli(['token', 'inspect', '-'], {}, '\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('latchkey: usage_error: token inspect -: standard input holds no token\n');
  });
});
