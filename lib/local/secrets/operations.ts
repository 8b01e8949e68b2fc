/**
 * The Secrets Manager operations the local endpoint supports (GetSecretValue, CreateSecret,
 * PutSecretValue, DescribeSecret, ListSecrets): each checks its JSON input as Secrets Manager does and
 * answers with Secrets Manager's output shape, reading and writing a SecretStore. SecretBinary is not
 * supported.
 */
import { randomUUID } from 'node:crypto';
import {
  CURRENT,
  invalid,
  notFound,
  type SecretStore,
  SecretsProtocolError,
  type StoredSecret,
} from './store';

export type SecretsOperation = (input: Record<string, unknown>) => unknown;

/** The operations by name, as they appear after `secretsmanager.` in the X-Amz-Target header. */
export function secretsOperations(store: SecretStore): Record<string, SecretsOperation> {
  return {
    GetSecretValue(input) {
      const secret = store.find(input.SecretId);
      const { VersionId: versionId, VersionStage: stage } = input;
      const version = secret.versions.find((v) =>
        versionId !== undefined
          ? v.versionId === versionId && (stage === undefined || v.stages.includes(String(stage)))
          : v.stages.includes(stage === undefined ? CURRENT : String(stage)),
      );
      if (!version) throw notFound();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        VersionStages: version.stages,
        CreatedDate: version.createdDate,
      };
    },
    CreateSecret(input) {
      const name = input.Name;
      if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
        throw invalid('Name is required and may contain only letters, digits and /_+=.@-');
      }
      const value = secretStringOf(input);
      if (input.Description !== undefined && typeof input.Description !== 'string') {
        throw invalid('Description must be a string.');
      }
      if (store.has(name)) {
        throw new SecretsProtocolError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret = store.create(name, value, versionIdFrom(input), input.Description);
      const version = secret.versions[0];
      return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
    },
    PutSecretValue(input) {
      const secret = store.find(input.SecretId);
      const version = store.putValue(secret, secretStringOf(input), versionIdFrom(input));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: version.stages,
      };
    },
    DescribeSecret(input) {
      return describe(store.find(input.SecretId));
    },
    ListSecrets() {
      const list = store
        .list()
        .map(describe)
        .map(({ VersionIdsToStages, ...entry }) => ({
          ...entry,
          SecretVersionsToStages: VersionIdsToStages,
        }));
      return { SecretList: list };
    },
  };
}

function describe(s: StoredSecret) {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    CreatedDate: s.createdDate,
    LastChangedDate: s.lastChangedDate,
    VersionIdsToStages: Object.fromEntries(s.versions.map((v) => [v.versionId, v.stages])),
  };
}

function secretStringOf(input: Record<string, unknown>): string {
  if (input.SecretBinary !== undefined) throw invalid('SecretBinary is not supported by the local endpoint.');
  if (typeof input.SecretString !== 'string') throw invalid('SecretString is required.');
  return input.SecretString;
}

/** ClientRequestToken becomes the version id (so retries are idempotent); else a new UUID. */
function versionIdFrom(input: Record<string, unknown>): string {
  const token = input.ClientRequestToken;
  if (token === undefined) return randomUUID();
  if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
    throw invalid('ClientRequestToken must be 32 to 64 characters long.');
  }
  return token;
}
