/**
 * Ports and servers for local mode: checking that a port is free (on every interface, as DynamoDB
 * Local binds them all), picking a free one, the one-line "port is busy" error, and the listen, close
 * and body-reading steps the local Secrets Manager endpoint and the local API Gateway share.
 */
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:net';
import { hostPort } from './constants';
import { errorCode, LocalSetupError } from './errors';

/** Rejects with a LocalSetupError when something already listens on `port`. */
export async function assertPortFree(port: number, portEnvName?: string): Promise<void> {
  const free = await new Promise<boolean>((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => {
      if (isBusy(err)) resolvePromise(false);
      else reject(err);
    });
    // No host: all interfaces, as DynamoDB Local binds them all.
    server.listen({ port, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
  if (!free) throw portBusyError(port, portEnvName);
}

export function portBusyError(port: number, portEnvName?: string): LocalSetupError {
  const fix = portEnvName ? `set ${portEnvName} to another port` : 'choose another port';
  return new LocalSetupError(`Port ${port} is already in use: stop whatever is using it or ${fix}`);
}

function isBusy(err: unknown): boolean {
  return errorCode(err) === 'EADDRINUSE' || errorCode(err) === 'EACCES';
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * Starts an HTTP server listening on `host:port` (0 picks a free port) and resolves with the port. A
 * busy port is the one-line portBusyError naming `portEnvName`; any other failure a LocalSetupError
 * naming `what`.
 */
export function listen(
  server: Server,
  opts: { port: number; host: string; portEnvName?: string; what: string },
): Promise<number> {
  return new Promise<number>((resolvePort, reject) => {
    server.once('error', (err) => {
      if (isBusy(err)) reject(portBusyError(opts.port, opts.portEnvName));
      else
        reject(
          new LocalSetupError(
            `${opts.what} could not listen on ${hostPort(opts.host, opts.port)}: ${errorCode(err)}`,
          ),
        );
    });
    server.listen({ port: opts.port, host: opts.host, exclusive: true }, () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** Stops a server now: open keep-alive connections are closed too. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}

/** A request's body, or null when it is larger than `limit` bytes (read to its end either way). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolveBody(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const LOOPBACK_HOST_RE = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * Whether a request's Host header names this machine's loopback interface. Local servers answer only
 * those, so a web page cannot reach them through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
 */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST_RE.test(host);
}

/** The raw HTTP/1.1 answer for a socket Node refused before any handler ran; the connection closes. */
export function rawHttpResponse(statusCode: number, reason: string, body: string): string {
  return (
    `HTTP/1.1 ${statusCode} ${reason}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
