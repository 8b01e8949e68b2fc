/**
 * A small local endpoint speaking the AWS Secrets Manager JSON 1.1 protocol, so the real
 * `@aws-sdk/client-secrets-manager` client and the AWS CLI (`--endpoint-url`) work against it.
 * SigV4 is not verified. Secret values are never logged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { LocalSetupError, portBusyError } from './dynamodb-local';

export interface SecretsEndpoint {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
  putSecret(name: string, value: string): void;
  getSecret(name: string): string | undefined;
}

export interface StartSecretsEndpointOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JSON file to persist secrets in (mode 0600); null or undefined: memory only. */
  file?: string | null;
  /** Environment variable to suggest when the port is busy. */
  portEnvName?: string;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const MAX_BODY_BYTES = 1024 * 1024;
const ARN_SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface StoredVersion {
  versionId: string;
  secretString: string;
  stages: string[];
  createdDate: number;
}

interface StoredSecret {
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

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () =>
  new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const invalid = (message: string) => new ApiError('InvalidRequestException', message);

export async function startSecretsEndpoint(opts: StartSecretsEndpointOptions = {}): Promise<SecretsEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  const file = opts.file ? resolve(opts.file) : null;
  const secrets = new Map<string, StoredSecret>();
  for (const s of load(file)) secrets.set(s.name, s);

  const persist = (): void => {
    if (!file) return;
    const data: SecretsFile = { version: 1, secrets: [...secrets.values()] };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  };

  const find = (secretId: unknown): StoredSecret => {
    if (typeof secretId !== 'string' || secretId === '') throw invalid('SecretId is required.');
    const byName = secrets.get(secretId);
    if (byName) return byName;
    for (const s of secrets.values()) if (s.arn === secretId) return s;
    throw notFound();
  };

  const create = (name: string, value: string, versionId: string, description?: string): StoredSecret => {
    const now = nowSeconds();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${arnSuffix()}`,
      name,
      ...(description !== undefined ? { description } : {}),
      createdDate: now,
      lastChangedDate: now,
      versions: [{ versionId, secretString: value, stages: [CURRENT], createdDate: now }],
    };
    secrets.set(name, secret);
    persist();
    return secret;
  };

  const putValue = (secret: StoredSecret, value: string, versionId: string): StoredVersion => {
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      // Idempotent retry of the same request.
      if (existing.secretString !== value) {
        throw new ApiError(
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
    persist();
    return version;
  };

  const describe = (s: StoredSecret) => ({
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    CreatedDate: s.createdDate,
    LastChangedDate: s.lastChangedDate,
    VersionIdsToStages: Object.fromEntries(s.versions.map((v) => [v.versionId, v.stages])),
  });

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue(input) {
      const secret = find(input.SecretId);
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
      if (input.SecretBinary !== undefined)
        throw invalid('SecretBinary is not supported by the local endpoint.');
      if (typeof input.SecretString !== 'string') throw invalid('SecretString is required.');
      if (input.Description !== undefined && typeof input.Description !== 'string') {
        throw invalid('Description must be a string.');
      }
      if (secrets.has(name)) {
        throw new ApiError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret = create(name, input.SecretString, versionIdFrom(input), input.Description);
      const version = secret.versions[0];
      return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
    },
    PutSecretValue(input) {
      const secret = find(input.SecretId);
      if (input.SecretBinary !== undefined)
        throw invalid('SecretBinary is not supported by the local endpoint.');
      if (typeof input.SecretString !== 'string') throw invalid('SecretString is required.');
      const version = putValue(secret, input.SecretString, versionIdFrom(input));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: version.stages,
      };
    },
    DescribeSecret(input) {
      return describe(find(input.SecretId));
    },
    ListSecrets() {
      const list = [...secrets.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(describe)
        .map(({ VersionIdsToStages, ...entry }) => ({
          ...entry,
          SecretVersionsToStages: VersionIdsToStages,
        }));
      return { SecretList: list };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, errorType?: string): void => {
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': requestId,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(payload);
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
      const body = await readBody(req);
      const handler =
        req.method === 'POST' && Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!handler) {
        throw new ApiError(
          'UnknownOperationException',
          `Operation ${operation || target || '(none)'} is not supported.`,
        );
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body);
      } catch {
        throw new ApiError('SerializationException', 'Request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new ApiError('SerializationException', 'Request body must be a JSON object.');
      }
      send(200, handler(input as Record<string, unknown>));
    } catch (err) {
      if (err instanceof ApiError) {
        send(400, { __type: err.type, message: err.message }, err.type);
      } else {
        send(500, {
          __type: 'InternalServiceError',
          message: 'Internal error in the local Secrets Manager endpoint.',
        });
      }
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES')
        reject(portBusyError(opts.port ?? 0, opts.portEnvName));
      else
        reject(
          new LocalSetupError(`Secrets endpoint could not listen on ${host}:${opts.port ?? 0}: ${err.code}`),
        );
    });
    server.listen({ port: opts.port ?? 0, host, exclusive: true }, () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop() {
      stopping ??= new Promise<void>((resolveStop) => {
        server.close(() => resolveStop());
        server.closeAllConnections();
      });
      return stopping;
    },
    putSecret(name, value) {
      const existing = secrets.get(name);
      if (existing) putValue(existing, value, randomUUID());
      else create(name, value, randomUUID());
    },
    getSecret(name) {
      return secrets.get(name)?.versions.find((v) => v.stages.includes(CURRENT))?.secretString;
    },
  };
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

function versionIdFrom(input: Record<string, unknown>): string {
  const token = input.ClientRequestToken;
  if (token === undefined) return randomUUID();
  if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
    throw invalid('ClientRequestToken must be 32 to 64 characters long.');
  }
  return token;
}

function arnSuffix(): string {
  return [...randomBytes(6)].map((b) => ARN_SUFFIX_CHARS[b % ARN_SUFFIX_CHARS.length]).join('');
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(invalid('Request body is too large.'));
      else resolveBody(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
