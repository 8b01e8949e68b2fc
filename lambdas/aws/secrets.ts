import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyError } from '#core/errors';
import { failureName } from './access-denied';

export interface SecretCacheOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** How long a fetched value is reused. A rotated secret is honoured within this time. */
  ttlMs: number;
  now?: () => number;
}

/** A Secrets Manager read failed (a `DependencyError`, refused as any; metrics count it apart). */
export class SecretsManagerError extends DependencyError {}

/**
 * A secret read from Secrets Manager and kept in memory briefly. Failures are never cached: every
 * call after a failure tries again, and the failure propagates so the caller refuses the request.
 */
export class SecretCache {
  private value: string | null = null;
  private fetchedAt = 0;
  private inflight: Promise<string> | null = null;
  private readonly options: SecretCacheOptions;
  private readonly now: () => number;

  constructor(options: SecretCacheOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  get = async (): Promise<string> => {
    if (this.value !== null && this.now() - this.fetchedAt < this.options.ttlMs) return this.value;
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  };

  /**
   * Reads the secret again if the value held is older than `minAgeMs` (a rotated secret is then
   * honoured at once); resolves to the new value, or null when the value held is recent.
   */
  refresh = async (minAgeMs: number): Promise<string | null> => {
    if (this.value !== null && this.now() - this.fetchedAt < minAgeMs) return null;
    this.value = null;
    return this.get();
  };

  private async fetch(): Promise<string> {
    let secret: string | undefined;
    try {
      const out = await this.options.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretId }),
      );
      secret = out.SecretString;
    } catch (error) {
      throw new SecretsManagerError(`Secrets Manager request failed: ${failureName(error)}`, {
        cause: error,
      });
    }
    if (!secret) throw new SecretsManagerError('Secrets Manager returned an empty secret');
    this.value = secret;
    this.fetchedAt = this.now();
    return secret;
  }
}
