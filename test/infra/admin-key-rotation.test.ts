import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_KEY_PATTERN,
  createRotationHandler,
  type RotationEvent,
} from '#lambda/handlers/admin-key-rotation';

/**
 * An in-memory Secrets Manager holding one secret's versions and stages: enough of the service's
 * behaviour to run the four rotation steps (no local emulator of the rotation protocol exists).
 */
function fakeSecretsManager(options: { rotationEnabled?: boolean } = {}) {
  const versions = new Map<string, { value: string; stages: string[] }>([
    ['v1', { value: 'A'.repeat(64), stages: ['AWSCURRENT'] }],
  ]);
  const calls: string[] = [];
  let passwords = 0;
  const stagesOf = () => Object.fromEntries([...versions].map(([id, v]) => [id, [...v.stages]]));
  const client = {
    send: async (command: unknown) => {
      calls.push((command as object).constructor.name);
      if (command instanceof DescribeSecretCommand) {
        return { RotationEnabled: options.rotationEnabled ?? true, VersionIdsToStages: stagesOf() };
      }
      if (command instanceof GetSecretValueCommand) {
        const { VersionId, VersionStage } = command.input;
        const version = VersionId ? versions.get(VersionId) : undefined;
        // a version Secrets Manager labelled AWSPENDING has no value until createSecret puts one
        if (!version || version.value === '' || (VersionStage && !version.stages.includes(VersionStage))) {
          throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
        }
        return { SecretString: version.value };
      }
      if (command instanceof GetRandomPasswordCommand) {
        passwords++;
        expect(command.input).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
        return { RandomPassword: `New${String(passwords).padStart(61, 'x')}` };
      }
      if (command instanceof PutSecretValueCommand) {
        const { ClientRequestToken, SecretString, VersionStages } = command.input;
        const existing = versions.get(ClientRequestToken as string);
        if (existing) existing.value = SecretString as string;
        else
          versions.set(ClientRequestToken as string, {
            value: SecretString as string,
            stages: VersionStages ?? [],
          });
        return {};
      }
      if (command instanceof UpdateSecretVersionStageCommand) {
        const { VersionStage, MoveToVersionId, RemoveFromVersionId } = command.input;
        const from = versions.get(RemoveFromVersionId as string);
        if (from) from.stages = [...from.stages.filter((s) => s !== VersionStage), 'AWSPREVIOUS'];
        const to = versions.get(MoveToVersionId as string);
        if (to) to.stages = [...to.stages.filter((s) => s !== 'AWSPENDING'), VersionStage as string];
        return {};
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  };
  /** What Secrets Manager does before invoking the function: a new version labelled AWSPENDING. */
  const startRotation = (token: string) => versions.set(token, { value: '', stages: ['AWSPENDING'] });
  return { client: client as unknown as SecretsManagerClient, versions, calls, startRotation };
}

const event = (Step: RotationEvent['Step'], token = 'v2'): RotationEvent => ({
  Step,
  SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AdminKey-abc123',
  ClientRequestToken: token,
});

describe('admin-key rotation function', () => {
  it('runs the four steps: a new admin key becomes AWSCURRENT, the old one AWSPREVIOUS', async () => {
    const sm = fakeSecretsManager();
    const rotate = createRotationHandler(sm.client);
    sm.startRotation('v2');
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotate(event(step));
    }
    const current = [...sm.versions].find(([, v]) => v.stages.includes('AWSCURRENT'));
    expect(current?.[0]).toBe('v2');
    expect(current?.[1].value).toMatch(ADMIN_KEY_PATTERN);
    expect(sm.versions.get('v1')?.stages).toEqual(['AWSPREVIOUS']);
  });

  it('createSecret is idempotent: a retried step keeps the pending value', async () => {
    const sm = fakeSecretsManager();
    const rotate = createRotationHandler(sm.client);
    sm.versions.set('v2', { value: 'B'.repeat(64), stages: ['AWSPENDING'] });
    await rotate(event('createSecret'));
    expect(sm.calls).not.toContain('GetRandomPasswordCommand');
    expect(sm.versions.get('v2')?.value).toBe('B'.repeat(64));
  });

  it('testSecret rejects a pending value that is not an admin key', async () => {
    const sm = fakeSecretsManager();
    sm.versions.set('v2', { value: 'short!', stages: ['AWSPENDING'] });
    await expect(createRotationHandler(sm.client)(event('testSecret'))).rejects.toThrow(/admin-key format/);
  });

  it('refuses when rotation is disabled or the version is not pending, and ignores the current version', async () => {
    const disabled = fakeSecretsManager({ rotationEnabled: false });
    await expect(createRotationHandler(disabled.client)(event('createSecret'))).rejects.toThrow(
      /not enabled/,
    );
    await expect(
      createRotationHandler(fakeSecretsManager().client)(event('createSecret', 'v9')),
    ).rejects.toThrow(/not a version/);
    const sm = fakeSecretsManager();
    await createRotationHandler(sm.client)(event('finishSecret', 'v1'));
    expect(sm.calls).toEqual(['DescribeSecretCommand']);
  });
});
