/**
 * DynamoDB Local's credential. Without `-sharedDb`, DynamoDB Local keeps a separate database for each
 * access key id and region (the file `<access key id>_<region>.db` under `-dbPath`), and it checks no
 * signature: the access key id alone selects the database. Local mode therefore uses a random one,
 * 160 bits, generated once per data folder and kept there (mode 0600, AWS shared-credentials format,
 * profile `latchkey-local-dynamodb`), so the key table survives a restart and a request with any other
 * credential sees an empty database of its own. In memory (no data folder) it is new at every start.
 */
import { randomBytes } from 'node:crypto';
import { DYNAMODB_PROFILE } from '../constants';
import { randomKeyId, readProfileFile, type StaticCredential, writeProfileFile } from '../credentials-file';

export type LocalDynamoDbCredential = StaticCredential;

/**
 * A fresh credential: `LKDDB` and 32 characters from A-Z, 2-7 (DynamoDB Local accepts only letters
 * and digits in a key id). The secret is random too, though DynamoDB Local does not check signatures.
 */
export function newDynamoDbCredential(): LocalDynamoDbCredential {
  return { accessKeyId: randomKeyId('LKDDB', 32), secretAccessKey: randomBytes(30).toString('base64url') };
}

/** The credential kept in `file`, created there (0600) on first use; the same at every later start. */
export function dataFolderDynamoDbCredential(file: string): LocalDynamoDbCredential {
  const kept = readProfileFile(file, DYNAMODB_PROFILE);
  if (kept !== null) return kept;
  const credential = newDynamoDbCredential();
  writeProfileFile(
    file,
    DYNAMODB_PROFILE,
    'latchkey local mode: the credential whose DynamoDB Local database holds the key table. Keep it: another one sees an empty database.',
    credential,
  );
  return credential;
}
