/**
 * A stand-in for the Lambda Extensions API on loopback, as a function's runtime process sees it at
 * `AWS_LAMBDA_RUNTIME_API`: `POST /2020-01-01/extension/register` answers 200 with a new
 * `Lambda-Extension-Identifier` (or `registerStatus`, to refuse), and `GET …/extension/event/next` is
 * held open and never answered, as Lambda holds it for an extension registered for no events. It records
 * both, for tests and the benchmark to read.
 *
 * AWS: "Extensions API reference" in https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Registration {
  name: string | undefined;
  events: unknown;
  id: string;
}

export interface RuntimeApiStandIn {
  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  address: string;
  registrations: Registration[];
  /** The `Lambda-Extension-Identifier` of each `next` call, in arrival order. */
  nextCalls: string[];
  /** The status `register` answers; 200 by default. */
  registerStatus: number;
  close(): Promise<void>;
}

export async function startRuntimeApi(): Promise<RuntimeApiStandIn> {
  const held: ServerResponse[] = [];
  const api: RuntimeApiStandIn = {
    address: '',
    registrations: [],
    nextCalls: [],
    registerStatus: 200,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/2020-01-01/extension/register') {
        if (api.registerStatus !== 200) {
          res.writeHead(api.registerStatus, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorMessage: 'refused', errorType: 'Extension.Refused' }));
          return;
        }
        const id = randomUUID();
        let events: unknown = null;
        try {
          events = (JSON.parse(body) as { events?: unknown }).events;
        } catch {
          events = null;
        }
        const name = req.headers['lambda-extension-name'];
        api.registrations.push({ name: typeof name === 'string' ? name : undefined, events, id });
        res.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-identifier': id });
        res.end(
          JSON.stringify({
            functionName: 'latchkey-authorizer',
            functionVersion: '$LATEST',
            handler: 'index.handler',
          }),
        );
        return;
      }
      if (req.method === 'GET' && req.url === '/2020-01-01/extension/event/next') {
        const id = req.headers['lambda-extension-identifier'];
        api.nextCalls.push(typeof id === 'string' ? id : '');
        held.push(res); // no events registered: never answered
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
