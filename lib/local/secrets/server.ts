/**
 * A small local endpoint speaking the AWS Secrets Manager JSON 1.1 protocol, so the real
 * `@aws-sdk/client-secrets-manager` client and the AWS CLI (`--endpoint-url`) work against it: POST
 * with `X-Amz-Target: secretsmanager.<Operation>` and a JSON body, answered with the operation's output
 * or an error as `{ __type, message }` with `x-amzn-errortype`. Only loopback Host values are answered
 * (421 otherwise, against DNS rebinding), and only requests signed (SigV4, sigv4.ts) with the credential
 * generated at this start (credential.ts), which is written to `credentialsFile` when one is given.
 * Secret values, the credential and signatures are never logged.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { httpUrl, LOCAL_HOST } from '../constants';
import { closeServer, isLoopbackHost, listen, readBody } from '../net';
import { type LocalSecretsCredential, newSecretsCredential, writeCredentialFile } from './credential';
import { type SecretsOperation, secretsOperations } from './operations';
import { verifySigV4 } from './sigv4';
import { invalid, SecretStore, SecretsProtocolError } from './store';

export interface SecretsEndpoint {
  endpoint: string;
  port: number;
  /** The credential requests must be signed with, new at every start. */
  credential: LocalSecretsCredential;
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
  /** Where to write this start's credential (AWS shared-credentials format, mode 0600); null: nowhere. */
  credentialsFile?: string | null;
  /** Environment variable to suggest when the port is busy. */
  portEnvName?: string;
  /** The credential to accept; default a new one (as `npm start` does). */
  credential?: LocalSecretsCredential;
}

/** The largest request body the endpoint reads. */
const MAX_SECRETS_REQUEST_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'secretsmanager.';

export async function startSecretsEndpoint(opts: StartSecretsEndpointOptions = {}): Promise<SecretsEndpoint> {
  const host = opts.host ?? LOCAL_HOST;
  const store = new SecretStore(opts.file ?? null);
  const operations = secretsOperations(store);
  const credential = opts.credential ?? newSecretsCredential();
  if (opts.credentialsFile) writeCredentialFile(opts.credentialsFile, credential);
  const server = createServer((req, res) => {
    void handle(operations, credential, req, res);
  });
  const port = await listen(server, {
    port: opts.port ?? 0,
    host,
    portEnvName: opts.portEnvName,
    what: 'Secrets endpoint',
  });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: httpUrl(host, port),
    port,
    credential,
    stop() {
      stopping ??= closeServer(server);
      return stopping;
    },
    putSecret: (name, value) => store.put(name, value),
    getSecret: (name) => store.current(name),
  };
}

async function handle(
  operations: Record<string, SecretsOperation>,
  credential: LocalSecretsCredential,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
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
  if (!isLoopbackHost(req.headers.host)) {
    // A page on another site reaching 127.0.0.1 through its own DNS name (DNS rebinding).
    req.resume();
    const type = 'MisdirectedRequestException';
    send(421, { __type: type, message: 'This endpoint answers only localhost, 127.0.0.1 or [::1].' }, type);
    return;
  }
  try {
    send(200, await answer(operations, credential, req));
  } catch (err) {
    if (err instanceof SecretsProtocolError) {
      send(400, { __type: err.type, message: err.message }, err.type);
    } else {
      send(500, {
        __type: 'InternalServiceError',
        message: 'Internal error in the local Secrets Manager endpoint.',
      });
    }
  }
}

/**
 * Reads the request, checks its signature, finds its operation and runs it; a bad request is a
 * SecretsProtocolError.
 */
async function answer(
  operations: Record<string, SecretsOperation>,
  credential: LocalSecretsCredential,
  req: IncomingMessage,
): Promise<unknown> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const raw = await readBody(req, MAX_SECRETS_REQUEST_BYTES);
  if (raw === null) throw invalid('Request body is too large.');
  const auth = verifySigV4(
    { method: req.method ?? '', url: req.url ?? '/', rawHeaders: req.rawHeaders, body: raw },
    credential,
    Date.now(),
  );
  if (!auth.valid) throw new SecretsProtocolError(auth.type, auth.message);
  const body = raw.toString('utf8');
  const run =
    req.method === 'POST' && Object.hasOwn(operations, operation) ? operations[operation] : undefined;
  if (!run) {
    throw new SecretsProtocolError(
      'UnknownOperationException',
      `Operation ${operation || target || '(none)'} is not supported.`,
    );
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    throw new SecretsProtocolError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SecretsProtocolError('SerializationException', 'Request body must be a JSON object.');
  }
  return run(input as Record<string, unknown>);
}
