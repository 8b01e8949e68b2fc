/**
 * The per-run credential of the local Secrets Manager endpoint: each start of local mode generates a
 * new access key id and secret access key (crypto random) and writes them to the data folder (mode
 * 0600, replaced atomically) in the AWS shared-credentials format under the `latchkey-local` profile,
 * so the AWS CLI and SDKs read it with `AWS_SHARED_CREDENTIALS_FILE` and that profile. `npm run
 * admin-key` and `latchkey admin-key --local` read it back with readCredentialFile. It imports nothing
 * heavy, so the CLI bundle can use it.
 */
import { randomBytes } from 'node:crypto';
import { LOCAL_PROFILE } from '../constants';
import { randomKeyId, readProfileFile, type StaticCredential, writeProfileFile } from '../credentials-file';

export type LocalSecretsCredential = StaticCredential;

/** A fresh credential: a 20-character key id shaped like AWS's (`LKLOCAL…`), a 40-character secret. */
export function newSecretsCredential(): LocalSecretsCredential {
  return {
    accessKeyId: randomKeyId('LKLOCAL', 13),
    // 30 random bytes, base64url: 40 characters, 240 bits.
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/** Writes the credential to `file` (mode 0600, the folder 0700 if created), replacing the previous run's. */
export function writeCredentialFile(file: string, credential: LocalSecretsCredential): void {
  writeProfileFile(
    file,
    LOCAL_PROFILE,
    'latchkey local mode: the credential of its Secrets Manager endpoint, new at every `npm start`.',
    credential,
  );
}

/** Reads the `latchkey-local` profile back from `file`; null when the file or the profile is missing or unreadable. */
export function readCredentialFile(file: string): LocalSecretsCredential | null {
  return readProfileFile(file, LOCAL_PROFILE);
}
