/**
 * The local Secrets Manager's data: secrets with their versions and staging labels (AWSCURRENT,
 * AWSPREVIOUS), kept in memory and, when a file is given, written to it (mode 0600) after every change.
 * Its rules are Secrets Manager's, so it raises Secrets Manager's own error types as
 * `SecretsProtocolError`, which the protocol server sends back to the client as they are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../constants';
import { LocalSetupError } from '../errors';

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
const ARN_SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface StoredVersion {
  versionId: string;
  secretString: string;
  stages: string[];
  createdDate: number;
}

export interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  /** Newest first; only versions that still carry a stage are kept. */
  versions: StoredVersion[];
}

interface SecretsFile {
  version: 1;
  secrets: StoredSecret[];
}

/** A Secrets Manager error: `type` is its `__type` (ResourceNotFoundException…), sent with status 400. */
export class SecretsProtocolError extends Error {
  override name = 'SecretsProtocolError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = () =>
  new SecretsProtocolError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const invalid = (message: string) => new SecretsProtocolError('InvalidRequestException', message);

export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly file: string | null;

  /** `file`: JSON file to load from and persist to; null: memory only. */
  constructor(file: string | null) {
    this.file = file ? resolve(file) : null;
    for (const s of load(this.file)) this.secrets.set(s.name, s);
  }

  has(name: string): boolean {
    return this.secrets.has(name);
  }

  /** By name or ARN. */
  find(secretId: unknown): StoredSecret {
    if (typeof secretId !== 'string' || secretId === '') throw invalid('SecretId is required.');
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const s of this.secrets.values()) if (s.arn === secretId) return s;
    throw notFound();
  }

  /** Every secret, by name. */
  list(): StoredSecret[] {
    return [...this.secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  create(name: string, value: string, versionId: string, description?: string): StoredSecret {
    const now = nowSeconds();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${arnSuffix()}`,
      name,
      ...(description !== undefined ? { description } : {}),
      createdDate: now,
      lastChangedDate: now,
      versions: [{ versionId, secretString: value, stages: [CURRENT], createdDate: now }],
    };
    this.secrets.set(name, secret);
    this.persist();
    return secret;
  }

  /** A new current version; the old current one becomes previous. The same versionId and value again is a no-op. */
  putValue(secret: StoredSecret, value: string, versionId: string): StoredVersion {
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      // Idempotent retry of the same request.
      if (existing.secretString !== value) {
        throw new SecretsProtocolError(
          'ResourceExistsException',
          `A version with VersionId ${versionId} already exists.`,
        );
      }
      return existing;
    }
    const now = nowSeconds();
    const versions: StoredVersion[] = [];
    for (const v of secret.versions) {
      const stages = v.stages.filter((s) => s !== PREVIOUS && s !== CURRENT);
      if (v.stages.includes(CURRENT)) stages.push(PREVIOUS);
      if (stages.length > 0) versions.push({ ...v, stages });
    }
    const version: StoredVersion = { versionId, secretString: value, stages: [CURRENT], createdDate: now };
    secret.versions = [version, ...versions];
    secret.lastChangedDate = now;
    this.persist();
    return version;
  }

  /** Sets a secret's current value, creating the secret if needed (local mode's own writes). */
  put(name: string, value: string): void {
    const existing = this.secrets.get(name);
    if (existing) this.putValue(existing, value, randomUUID());
    else this.create(name, value, randomUUID());
  }

  /** A secret's current value. */
  current(name: string): string | undefined {
    return this.secrets.get(name)?.versions.find((v) => v.stages.includes(CURRENT))?.secretString;
  }

  private persist(): void {
    const file = this.file;
    if (!file) return;
    const data: SecretsFile = { version: 1, secrets: [...this.secrets.values()] };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
}

function load(file: string | null): StoredSecret[] {
  if (!file || !existsSync(file)) return [];
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new LocalSetupError(`Secrets file ${file} is not valid JSON: fix or delete it and retry`);
  }
  const secrets = (data as Partial<SecretsFile> | null)?.secrets;
  if (!Array.isArray(secrets)) {
    throw new LocalSetupError(`Secrets file ${file} has an unexpected format: fix or delete it and retry`);
  }
  return secrets as StoredSecret[];
}

function arnSuffix(): string {
  return [...randomBytes(6)].map((b) => ARN_SUFFIX_CHARS[b % ARN_SUFFIX_CHARS.length]).join('');
}

function nowSeconds(): number {
  return Date.now() / 1000;
}
