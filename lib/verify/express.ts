/**
 * `latchkey/verify/express`: Express (or Connect) middleware that verifies every request it sees and sets
 * `req.caller`; a refused request is answered with latchkey's error body, status and headers and never
 * reaches your handler.
 *
 * A signed request's body is checked against its Content-Digest, so the middleware needs the raw bytes:
 * put it before any body parser (it then reads the body itself, up to `maxBodyBytes`, into `req.rawBody`
 * and `req.body` as a Buffer), or keep the bytes in the parser with `keepRawBody`:
 *
 * ```ts
 * import express from 'express';
 * import { createVerifier } from 'latchkey/verify';
 * import { keepRawBody, latchkey } from 'latchkey/verify/express';
 *
 * const app = express();
 * app.use(express.json({ verify: keepRawBody }));
 * app.use(latchkey(createVerifier({ routes })));
 * app.get('/orders/:id', (req, res) => res.json({ org: req.caller?.orgId }));
 * ```
 *
 * Express is a peer dependency: this module imports only its types.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { forwardedFor } from './headers';
import { refusal, type VerifyRefusal } from './refusal';
import type { VerifiedCaller } from './types';
import type { Verifier } from './verifier';

declare global {
  namespace Express {
    interface Request {
      /** Who is calling, set by latchkey's middleware on every request it lets through. */
      caller?: VerifiedCaller;
      /** The body's bytes as received (set by latchkey's middleware or `keepRawBody`). */
      rawBody?: Buffer;
    }
  }
}

export interface LatchkeyExpressOptions {
  /**
   * The largest body the middleware reads itself (when no parser ran before it); larger → 413.
   * @default 1048576 (1 MiB)
   */
  readonly maxBodyBytes?: number;
  /** Called with every refusal before it is answered: log `reason` and `keyId` here (never the headers). */
  readonly onRefused?: (refusal: VerifyRefusal) => void;
  /**
   * How many proxies you run in front of the app and trust to append to `X-Forwarded-For` (a load
   * balancer: 1). Set, the source address for `allowed_cidrs` is that entry of the header, never the
   * socket's; leave it unset when clients reach the app directly, or they can claim any address.
   * Express's own `trust proxy` setting is not read.
   * @default 0 - the socket's peer address (`req.socket.remoteAddress`)
   */
  readonly trustForwardedFor?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** For a body parser's `verify` option (`express.json({ verify: keepRawBody })`): keeps the raw bytes. */
export function keepRawBody(req: IncomingMessage, _res: unknown, buffer: Buffer): void {
  (req as Request).rawBody = buffer;
}

type BodyRead =
  | { ok: true; body: Buffer | null }
  | { ok: false; reason: 'body_too_large' | 'body_unavailable' };

async function readBody(req: Request, limit: number): Promise<BodyRead> {
  if (Buffer.isBuffer(req.rawBody)) return { ok: true, body: req.rawBody };
  if (Buffer.isBuffer(req.body)) return { ok: true, body: req.body };
  if (req.readableEnded || req.body !== undefined) {
    // Read before us without the bytes kept: fine only if there was no body at all.
    const declared = req.headers['content-length'];
    const empty =
      req.headers['transfer-encoding'] === undefined && (declared === undefined || declared === '0');
    return empty ? { ok: true, body: null } : { ok: false, reason: 'body_unavailable' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      return { ok: false, reason: 'body_too_large' };
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  req.rawBody = body;
  if (body.length > 0) req.body = body;
  return { ok: true, body };
}

/** The path exactly as the client sent it (no query), whatever router the middleware is mounted on. */
function pathOf(req: Request): string {
  const url = req.originalUrl || req.url;
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

/** The query exactly as the client sent it, without its `?` ('' when none). */
function queryOf(req: Request): string {
  const url = req.originalUrl || req.url;
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start + 1);
}

export function latchkey(verifier: Verifier, options: LatchkeyExpressOptions = {}) {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const answer = (res: Response, refused: VerifyRefusal) => {
    options.onRefused?.(refused);
    res.status(refused.status).set(refused.headers).send(JSON.stringify(refused.body));
  };
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const read = await readBody(req, limit);
      if (!read.ok) {
        answer(res, refusal(read.reason, randomUUID()));
        return;
      }
      const result = await verifier.verify({
        method: req.method,
        path: pathOf(req),
        query: queryOf(req),
        // One entry per header line, so a repeated Content-Digest is seen as repeated.
        headers: req.headersDistinct,
        body: read.body,
        ...optional(
          options.trustForwardedFor
            ? forwardedFor(req.headersDistinct, options.trustForwardedFor)
            : req.socket.remoteAddress,
        ),
      });
      if (!result.allowed) {
        answer(res, result);
        return;
      }
      req.caller = result.caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}

const optional = (sourceIp: string | undefined) => (sourceIp === undefined ? {} : { sourceIp });
