/**
 * The per-run credential of the local Secrets Manager endpoint: each start of local mode generates a
 * new access key id and secret access key (crypto random) and writes them to the data folder (mode
 * 0600, replaced atomically) in the AWS shared-credentials format under the `latchkey-local` profile,
 * so the AWS CLI and SDKs read it with `AWS_SHARED_CREDENTIALS_FILE` and that profile. `npm run
 * admin-key` and `latchkey admin-key --local` read it back with readCredentialFile. It imports nothing
 * heavy, so the CLI bundle can use it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOCAL_PROFILE } from '../constants';

export interface LocalSecretsCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A fresh credential: a 20-character key id shaped like AWS's (`LKLOCAL…`), a 40-character secret. */
export function newSecretsCredential(): LocalSecretsCredential {
  const id = [...randomBytes(13)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('');
  return {
    accessKeyId: `LKLOCAL${id}`,
    // 30 random bytes, base64url: 40 characters, 240 bits.
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/** Writes the credential to `file` (mode 0600, the folder 0700 if created), replacing the previous run's. */
export function writeCredentialFile(file: string, credential: LocalSecretsCredential): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const text =
    '# latchkey local mode: the credential of its Secrets Manager endpoint, new at every `npm start`.\n' +
    `[${LOCAL_PROFILE}]\n` +
    `aws_access_key_id = ${credential.accessKeyId}\n` +
    `aws_secret_access_key = ${credential.secretAccessKey}\n`;
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Reads the `latchkey-local` profile back from `file`; null when the file or the profile is missing or unreadable. */
export function readCredentialFile(file: string): LocalSecretsCredential | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let inProfile = false;
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) {
      inProfile = section[1]?.trim() === LOCAL_PROFILE;
      continue;
    }
    const pair = /^\s*([A-Za-z_]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (inProfile && pair?.[1] && pair[2]) values[pair[1]] = pair[2];
  }
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey } = values;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null;
}
