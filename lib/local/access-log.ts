/**
 * Local mode's access log: one line per request for the terminal, `GET /v1/echo/x 403 rate_limited
 * 3hQx9TmP2wLk8ZrA 3 ms` (method, path, status, the refusal reason if any, the key id if any, latency),
 * in place of the handlers' raw JSON lines, which still go to the log file. The reason and key id come
 * from the handlers' own log lines, matched to the response by request id. Pure: the caller feeds it
 * handler lines and finished responses (lib/local/dev.ts). It never prints a credential: the query
 * string is dropped and a token-shaped path segment is masked.
 */

export interface AccessEntry {
  method: string;
  /** The request target as received; its query string is not printed. */
  url: string;
  status: number;
  reason: string | null;
  keyId: string | null;
  ms: number;
}

export interface FinishedRequest {
  method: string;
  url: string;
  status: number;
  /** The gateway's `x-amzn-requestid`, which the handlers log as `request_id`. */
  requestId: string | null;
  ms: number;
}

/** How many requests' notes are kept while waiting for their responses (a bound, not a tuning knob). */
const MAX_PENDING = 1000;

/** `<prefix>_<16-character key id>_<secret>`: masked wherever it appears in a path. */
const TOKEN_RE = /[a-z0-9]{1,16}_[A-Za-z0-9]{16}_[A-Za-z0-9]{8,}/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never reach the terminal
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/g;

/** The path of a request target, without its query string, safe for a terminal. */
export function printablePath(url: string): string {
  const cut = url.search(/[?#]/);
  const path = cut === -1 ? url : url.slice(0, cut);
  return path.replace(TOKEN_RE, '<token>').replace(CONTROL_RE, '?');
}

/** `GET /v1/echo/x 403 rate_limited 3hQx9TmP2wLk8ZrA 3 ms`; the reason and key id only when known. */
export function formatAccessLine(entry: AccessEntry): string {
  const cells = [entry.method.replace(CONTROL_RE, '?'), printablePath(entry.url), String(entry.status)];
  if (entry.reason !== null) cells.push(entry.reason.replace(CONTROL_RE, '?'));
  if (entry.keyId !== null) cells.push(entry.keyId.replace(CONTROL_RE, '?'));
  cells.push(`${Math.max(0, Math.round(entry.ms))} ms`);
  return cells.join(' ');
}

interface Note {
  reason: string | null;
  keyId: string | null;
}

/** The reason and key id a handler log line gives for its request, or null for a line naming no request. */
export function noteOf(line: string): { requestId: string; note: Note } | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const requestId = text(fields.request_id);
  if (requestId === null) return null;
  return { requestId, note: { reason: text(fields.reason), keyId: text(fields.key_id) } };
}

/** Collects what the handlers logged about each request until its response finishes. */
export function createAccessLog() {
  const pending = new Map<string, Note>();
  return {
    /** A handler log line (Powertools JSON); lines naming no request are ignored. */
    handlerLine(line: string): void {
      const found = noteOf(line);
      if (found === null) return;
      const before = pending.get(found.requestId);
      pending.delete(found.requestId);
      pending.set(found.requestId, {
        reason: found.note.reason ?? before?.reason ?? null,
        keyId: found.note.keyId ?? before?.keyId ?? null,
      });
      if (pending.size > MAX_PENDING) {
        const oldest = pending.keys().next().value;
        if (oldest !== undefined) pending.delete(oldest);
      }
    },
    /** The access line of a finished request, with what its handlers logged. */
    finished(request: FinishedRequest): string {
      const note = request.requestId === null ? undefined : pending.get(request.requestId);
      if (request.requestId !== null) pending.delete(request.requestId);
      return formatAccessLine({
        method: request.method,
        url: request.url,
        status: request.status,
        reason: note?.reason ?? null,
        keyId: note?.keyId ?? null,
        ms: request.ms,
      });
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;
