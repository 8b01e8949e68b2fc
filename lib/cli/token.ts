/**
 * `latchkey token inspect TOKEN` (or `-`, to read it from standard input): checks a token offline — its prefix, its shape
 * (`<prefix>_<key id>_<secret><checksum>`) and its CRC-32 checksum — and prints the key id, so a
 * support conversation can name the key without anyone sending the secret. It never prints the
 * secret part, and it does not say whether the key exists or is active (only the API knows that:
 * `latchkey keys get ID`). Read from standard input, the token stays out of `ps` and the shell's history.
 */
import {
  CHECKSUM_LENGTH,
  KEY_ID_LENGTH,
  KEY_ID_RE,
  PREFIX_RE,
  PREFIX_RULE,
  parseToken,
  SECRET_LENGTH,
} from '../core/token';
import { defineCommand } from './command';
import { CliError, usage } from './errors';
import { fields, toJson } from './format';

export interface TokenInspection {
  valid: boolean;
  prefix: string | null;
  key_id: string | null;
  /** Why the token cannot be valid; null when it is well formed with a correct checksum. */
  problem: string | null;
}

/** What can be told about a token without the server: never its secret. */
export function inspectToken(token: string): TokenInspection {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const separator = trimmed.indexOf('_');
  const prefix = separator > 0 ? trimmed.slice(0, separator) : null;
  const result = (problem: string | null, keyId: string | null = null): TokenInspection => ({
    valid: problem === null,
    prefix,
    key_id: keyId,
    problem,
  });
  if (prefix === null || !PREFIX_RE.test(prefix)) {
    return result(`no prefix: a token starts with ${PREFIX_RULE} and "_"`);
  }
  const rest = trimmed.slice(prefix.length + 1);
  const keyId = rest.slice(0, KEY_ID_LENGTH);
  const idIsWellFormed = KEY_ID_RE.test(keyId) && rest.charAt(KEY_ID_LENGTH) === '_';
  const tail = rest.slice(KEY_ID_LENGTH + 1);
  const tailLength = SECRET_LENGTH + CHECKSUM_LENGTH;
  if (!idIsWellFormed) return result(`the key id must be ${KEY_ID_LENGTH} letters or digits followed by "_"`);
  if (!/^[0-9A-Za-z]*$/.test(tail))
    return result('the secret part holds characters other than letters and digits', keyId);
  if (tail.length !== tailLength) {
    return result(
      `the secret part is ${tail.length} characters, not ${tailLength}: the token is ${tail.length < tailLength ? 'truncated' : 'too long'}`,
      keyId,
    );
  }
  if (parseToken(trimmed, prefix) === null)
    return result('the checksum does not match: a character is wrong', keyId);
  return result(null, keyId);
}

export const tokenInspect = defineCommand({
  name: 'token inspect',
  summary: 'check a token offline (prefix, shape, checksum) and print its key id',
  usage: 'latchkey token inspect TOKEN|-',
  description:
    'Checks a token without calling the API: its prefix, its shape and its checksum, and prints the key id.\n' +
    'It never prints the secret, and cannot tell whether the key exists or is revoked (latchkey keys get ID).\n' +
    'With - it reads the token from standard input, so it appears neither in `ps` nor in the shell history.\n' +
    'Exit status 1 when the token cannot be valid.',
  args: ['TOKEN'],
  api: false,
  options: {},
  examples: [
    'latchkey token inspect "$KEY"',
    'printenv KEY | latchkey token inspect -',
    'latchkey token inspect - --json < key.txt',
  ],
  async run(ctx) {
    const [arg] = ctx.args as readonly [string];
    const token = arg === '-' ? ctx.readStdin() : arg;
    if (arg === '-' && token.trim() === '') throw usage('token inspect -: standard input holds no token');
    const inspection = inspectToken(token);
    if (ctx.json) ctx.out(toJson(inspection));
    else {
      ctx.out(
        fields([
          ['prefix', inspection.prefix ?? '-'],
          ['key id', inspection.key_id ?? '-'],
          ['shape', inspection.valid ? 'ok' : (inspection.problem ?? '')],
          ['checksum', inspection.valid ? 'ok' : '-'],
        ]),
      );
    }
    if (!inspection.valid) throw new CliError('invalid_token', inspection.problem ?? 'invalid token');
  },
});

export const TOKEN_COMMANDS = [tokenInspect] as const;
