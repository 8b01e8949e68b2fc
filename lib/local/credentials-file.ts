/**
 * Local mode's credential files, in the AWS shared-credentials format (one `[profile]` section with
 * `aws_access_key_id` and `aws_secret_access_key`), so the AWS CLI and SDKs read them with
 * `AWS_SHARED_CREDENTIALS_FILE` and the profile's name. Written mode 0600 (the folder 0700 if created),
 * replaced atomically. The secrets endpoint's per-run credential (secrets/credential.ts) and DynamoDB
 * Local's per-data-folder credential (dynamodb/credential.ts) are kept this way. It imports nothing
 * heavy, so the CLI bundle can use it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** An access key id and secret access key, as the AWS SDK's `credentials` option takes them. */
export interface StaticCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `prefix` followed by `length` random characters from A-Z and 2-7 (5 bits each): letters and digits only. */
export function randomKeyId(prefix: string, length: number): string {
  // 256 is a multiple of 32: `b % 32` is uniform.
  return prefix + [...randomBytes(length)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('');
}

/** Writes `credential` under `profile` to `file` (mode 0600, the folder 0700 if created), replacing it. */
export function writeProfileFile(
  file: string,
  profile: string,
  comment: string,
  credential: StaticCredential,
): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const text =
    `# ${comment}\n` +
    `[${profile}]\n` +
    `aws_access_key_id = ${credential.accessKeyId}\n` +
    `aws_secret_access_key = ${credential.secretAccessKey}\n`;
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Reads `profile` back from `file`; null when the file or the profile is missing or unreadable. */
export function readProfileFile(file: string, profile: string): StaticCredential | null {
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
      inProfile = section[1]?.trim() === profile;
      continue;
    }
    const pair = /^\s*([A-Za-z_]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (inProfile && pair?.[1] && pair[2]) values[pair[1]] = pair[2];
  }
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey } = values;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null;
}
