/**
 * A stand-in for `@aws-sdk/client-secrets-manager` in cold-start variants only: `GetSecretValue`
 * answered in-process from `BENCH_STAND_IN_SECRETS` (a JSON object, secret id → value), with no SDK
 * client, no signing and no round trip. It measures what the authorizer's second SDK client and its
 * two secret reads cost a cold start; it is not a replacement.
 */
export class SecretsManagerClient {
  private readonly secrets: Record<string, string> = JSON.parse(process.env.BENCH_STAND_IN_SECRETS ?? '{}');

  async send(command: GetSecretValueCommand): Promise<{ SecretString: string | undefined }> {
    return { SecretString: this.secrets[command.input.SecretId] };
  }
}

export class GetSecretValueCommand {
  constructor(readonly input: { SecretId: string }) {}
}
