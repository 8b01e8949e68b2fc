/**
 * Runs the reference ARMOR-PSK signers in test/fixtures/clients (`sign.sh`: bash + openssl; `sign.py`:
 * Python's standard library) as child processes and returns the header values they print. They are
 * written from docs/protocol.md §2 alone, so a test that accepts their output checks latchkey against
 * an independent implementation.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ReferenceClient = 'sign.sh' | 'sign.py';
export const REFERENCE_CLIENTS: readonly ReferenceClient[] = ['sign.sh', 'sign.py'];

const CLIENTS = fileURLToPath(new URL('../fixtures/clients', import.meta.url));

export interface SignedHeaders {
  authorization: string;
  contentDigest?: string;
}

/**
 * `LATCHKEY_TOKEN=<token> <client> ...args` with a minimal environment (`env` adds to it, and may
 * override the token). Throws if the client exits non-zero or prints anything but the two headers.
 */
export function runReferenceClient(
  client: ReferenceClient,
  token: string,
  args: string[],
  env: Record<string, string> = {},
): SignedHeaders {
  const out = execFileSync(`${CLIENTS}/${client}`, args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LATCHKEY_TOKEN: token,
      ...env,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const headers: SignedHeaders = { authorization: '' };
  for (const line of out.trimEnd().split('\n')) {
    const m = /^([A-Za-z-]+): (.*)$/.exec(line);
    if (!m) throw new Error(`unexpected output line: ${line}`);
    if (m[1] === 'Authorization') headers.authorization = m[2] as string;
    else if (m[1] === 'Content-Digest') headers.contentDigest = m[2] as string;
    else throw new Error(`unexpected header: ${m[1]}`);
  }
  return headers;
}
