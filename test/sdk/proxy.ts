import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the scripted server received it. */
export interface Recorded {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * What the server does with the n-th request (1-based):
 * - `forward`: pass it to the target (real local mode) and return its answer;
 * - `forward-then-fail`: pass it to the target (so the server sees and records it), then answer the
 *   client with 503 anyway — as if the answer was lost on the way back;
 * - `destroy`: drop the connection without an answer (a network error);
 * - `hang`: never answer (a timeout);
 * - a response to send.
 */
export type Action =
  | 'forward'
  | 'forward-then-fail'
  | 'destroy'
  | 'hang'
  | { status: number; headers?: Record<string, string>; body?: string };

export interface ScriptedServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/** A tiny HTTP server in front of (or instead of) local mode, failing requests as a test scripts it. */
export async function startScriptedServer(
  script: (n: number, request: Recorded) => Action,
  target: string | null = null,
): Promise<ScriptedServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const action = script(requests.length, recorded);
      void respond(action, recorded, res, target);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function respond(
  action: Action,
  req: Recorded,
  res: ServerResponse,
  target: string | null,
): Promise<void> {
  if (action === 'hang') return;
  if (action === 'destroy') {
    res.socket?.destroy();
    return;
  }
  if (action === 'forward' || action === 'forward-then-fail') {
    if (target === null) throw new Error('no target to forward to');
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.body === '' ? undefined : req.body,
    });
    const text = await upstream.text();
    if (action === 'forward-then-fail') {
      send(res, {
        status: 503,
        body: '{"error":{"code":"service_unavailable","message":"lost","request_id":"proxy"}}',
      });
      return;
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
    });
    send(res, { status: upstream.status, headers: out, body: text });
    return;
  }
  send(res, action);
}

function send(
  res: ServerResponse,
  response: { status: number; headers?: Record<string, string>; body?: string },
) {
  const body = response.body ?? '';
  res.writeHead(response.status, {
    'content-type': 'application/json',
    ...response.headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** The nonce of an ARMOR-PSK Authorization header (`ARMOR-PSK keyId:signature:nonce:timestamp`). */
export function nonceOf(authorization: string | string[] | undefined): string {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const parts = (value ?? '').replace(/^ARMOR-PSK /i, '').split(':');
  if (parts.length !== 4) throw new Error(`not an ARMOR-PSK header: ${value}`);
  return parts[2] as string;
}
