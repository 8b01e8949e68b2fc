import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ADMIN_KEY_RE, GENERATED_SECRET_LENGTH } from '#core/credentials';

/**
 * Rotation function for the admin-key secret (Secrets Manager's four-step protocol). The admin key
 * has no downstream system to update: the authorizer reads the secret itself, so `setSecret` does
 * nothing and the new value takes effect when `finishSecret` moves AWSCURRENT — then within the
 * functions' secret cache time (60 s by default).
 *
 * Bundled by `LatchkeyKeyStore` (entry `lambdas/handlers/admin-key-rotation.ts`).
 */
export interface RotationEvent {
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  SecretId: string;
  ClientRequestToken: string;
  RotationToken?: string;
}

/** The shape the authorizer accepts for the admin key. */
export const ADMIN_KEY_PATTERN = ADMIN_KEY_RE;

export function createRotationHandler(client: SecretsManagerClient) {
  async function createSecret(event: RotationEvent): Promise<void> {
    try {
      await client.send(
        new GetSecretValueCommand({
          SecretId: event.SecretId,
          VersionId: event.ClientRequestToken,
          VersionStage: 'AWSPENDING',
        }),
      );
      return; // a retried step: the pending value already exists
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const generated = await client.send(
      new GetRandomPasswordCommand({
        PasswordLength: GENERATED_SECRET_LENGTH,
        ExcludePunctuation: true,
        IncludeSpace: false,
      }),
    );
    if (!generated.RandomPassword || !ADMIN_KEY_PATTERN.test(generated.RandomPassword)) {
      throw new Error('GetRandomPassword returned an unusable value');
    }
    await client.send(
      new PutSecretValueCommand({
        SecretId: event.SecretId,
        ClientRequestToken: event.ClientRequestToken,
        SecretString: generated.RandomPassword,
        VersionStages: ['AWSPENDING'],
        ...(event.RotationToken ? { RotationToken: event.RotationToken } : {}),
      }),
    );
  }

  async function testSecret(event: RotationEvent): Promise<void> {
    const pending = await client.send(
      new GetSecretValueCommand({
        SecretId: event.SecretId,
        VersionId: event.ClientRequestToken,
        VersionStage: 'AWSPENDING',
      }),
    );
    if (!pending.SecretString || !ADMIN_KEY_PATTERN.test(pending.SecretString)) {
      throw new Error('the pending admin key does not have the admin-key format');
    }
  }

  async function finishSecret(event: RotationEvent, stages: Record<string, string[]>): Promise<void> {
    const current = Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    if (current === event.ClientRequestToken) return;
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: event.SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: event.ClientRequestToken,
        ...(current ? { RemoveFromVersionId: current } : {}),
      }),
    );
  }

  return async (event: RotationEvent): Promise<void> => {
    const described = await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
    if (!described.RotationEnabled) throw new Error('rotation is not enabled for this secret');
    const stages = described.VersionIdsToStages ?? {};
    const versionStages = stages[event.ClientRequestToken];
    if (!versionStages) throw new Error('the rotation token is not a version of this secret');
    if (versionStages.includes('AWSCURRENT')) return;
    if (!versionStages.includes('AWSPENDING')) throw new Error('the version is not pending rotation');
    console.log(JSON.stringify({ message: 'admin key rotation', step: event.Step }));
    switch (event.Step) {
      case 'createSecret':
        return createSecret(event);
      case 'setSecret':
        return; // nothing outside the secret holds the admin key
      case 'testSecret':
        return testSecret(event);
      case 'finishSecret':
        return finishSecret(event, stages);
      default:
        throw new Error(`unknown rotation step ${JSON.stringify(event.Step)}`);
    }
  };
}

let instance: ReturnType<typeof createRotationHandler> | undefined;

export const handler = (event: RotationEvent): Promise<void> => {
  instance ??= createRotationHandler(new SecretsManagerClient({}));
  return instance(event);
};
