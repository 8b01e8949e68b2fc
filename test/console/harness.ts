/**
 * Test-only wiring for the console: an HTTP server that answers `/console…` through the serving module
 * (lib/console/serve.ts) and forwards `/v1/…` to a running local mode, so the page and the API share
 * one origin as they will behind the real gateway; and a Chromium launched from Debian's package through
 * playwright-core (no browser download).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { isConsolePath, serveConsole } from '#console/serve';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const HOP_BY_HOP = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'content-encoding',
]);

export interface ConsoleServer {
  url: string;
  /** Every console response's status and headers, in order (for the security-header check). */
  consoleResponses: { path: string; status: number; headers: Record<string, string> }[];
  stop(): Promise<void>;
}

export async function startConsoleServer(apiUrl: string): Promise<ConsoleServer> {
  const consoleResponses: ConsoleServer['consoleResponses'] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (isConsolePath(url.pathname)) {
      const out = serveConsole(req.method ?? 'GET', url.pathname);
      consoleResponses.push({ path: url.pathname, status: out.status, headers: out.headers });
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    if (!url.pathname.startsWith('/v1/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.\n');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of [
      'authorization',
      'content-type',
      'content-digest',
      'x-latchkey-date',
      'x-latchkey-nonce',
    ]) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    try {
      const upstream = await fetch(`${apiUrl}${url.pathname}${url.search}`, {
        method: req.method ?? 'GET',
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) out[name] = value;
      });
      res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad gateway.\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    consoleResponses,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}
