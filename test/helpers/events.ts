/**
 * Lifecycle events in tests: the event JSON Schema (`docs/events.schema.json`) compiled with a real
 * validator (Ajv, draft 2020-12, with ajv-formats), and a webhook receiver on loopback that checks every
 * delivery with the `standardwebhooks` package — an implementation independent of latchkey's — and
 * answers a status the test chooses.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { Webhook } from 'standardwebhooks';

const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (
  ajv: Ajv2020,
) => void;

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as object);

/** The schema's errors for `event` (EventBridge's envelope), as text; '' when it is valid. */
export function eventSchemaErrors(event: unknown): string {
  return validate(event) ? '' : ajv.errorsText(validate.errors);
}

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  /** The body, verified by standardwebhooks and parsed. */
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface WebhookReceiver {
  url: string;
  /** Deliveries whose signature standardwebhooks accepted. */
  received: ReceivedWebhook[];
  /** Deliveries it refused (bad signature, stale timestamp). */
  rejected: number;
  /** Requests of any kind. */
  requests: number;
  /** Answers of the next requests, in order (then 204). */
  answers: number[];
  close(): Promise<void>;
}

/** A receiver on 127.0.0.1 that verifies with `secret`; set `secret` later with `setSecret`. */
export async function startWebhookReceiver(): Promise<WebhookReceiver & { setSecret(secret: string): void }> {
  let verifier: Webhook | null = null;
  const state = {
    received: [] as ReceivedWebhook[],
    rejected: 0,
    requests: 0,
    answers: [] as number[],
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      const planned = state.answers.shift();
      if (planned !== undefined && planned >= 300) {
        res.writeHead(planned).end();
        return;
      }
      try {
        if (verifier === null) throw new Error('no secret');
        const payload = verifier.verify(body, headers) as ReceivedWebhook['payload'];
        state.received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], payload });
        res.writeHead(planned ?? 204).end();
      } catch {
        state.rejected++;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    get received() {
      return state.received;
    },
    get rejected() {
      return state.rejected;
    },
    get requests() {
      return state.requests;
    },
    get answers() {
      return state.answers;
    },
    set answers(value: number[]) {
      state.answers = value;
    },
    setSecret(secret: string) {
      verifier = new Webhook(secret);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
