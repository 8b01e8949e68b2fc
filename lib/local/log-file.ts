/**
 * Local mode's log file: every handler log line (the Powertools logger's JSON lines, which start with
 * `{"level"` and go to the process's stdout or stderr) is also appended to `<data dir>/latchkey.log`,
 * mode 0600, so that `latchkey logs tail` can follow the authorizer's refusals as it follows CloudWatch
 * Logs on AWS. The lines are copied at the one point they all pass, `process.stdout.write` and
 * `process.stderr.write`, and still written there unchanged: what `npm start` prints does not change.
 * Past LOG_FILE_MAX_BYTES the file is renamed to `latchkey.log.1` and begun again. The lines are what
 * the handlers log — key ids, reasons and request ids, never a credential.
 *
 * `watchHandlerLines` hands the same lines to a listener as well and can keep them off the terminal:
 * `npm start` prints a one-line access log instead (lib/local/access-log.ts), while the file still
 * gets every line.
 */
import { closeSync, fchmodSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { LOG_FILE_MAX_BYTES } from './constants';

export interface LogFile {
  path: string;
  /** Stops copying lines to this file and closes it. */
  close(): void;
}

interface Sink {
  path: string;
  maxBytes: number;
  fd: number;
  size: number;
}

const sinks = new Set<Sink>();

interface Watcher {
  onLine(line: string): void;
  hideFromTerminal: boolean;
}
const watchers = new Set<Watcher>();
type Write = typeof process.stdout.write;
/** The stream writes replaced here, to put back when the last file closes (if nobody wrapped them since). */
const wrapped = new Map<NodeJS.WriteStream, { original: Write; tee: Write }>();

const HANDLER_LINE = '{"level"';

function open(path: string): { fd: number; size: number } {
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return { fd, size: fstatSync(fd).size };
}

function append(sink: Sink, line: string): void {
  const bytes = Buffer.from(`${line}\n`, 'utf8');
  if (sink.size > 0 && sink.size + bytes.length > sink.maxBytes) {
    closeSync(sink.fd);
    renameSync(sink.path, `${sink.path}.1`);
    Object.assign(sink, open(sink.path));
  }
  writeSync(sink.fd, bytes);
  sink.size += bytes.length;
}

/**
 * The handler lines of one write, copied to every open log file and watcher. A failing disk never fails
 * the write. Returns what is left for the terminal: the chunk itself, or without its handler lines while
 * a watcher hides them (null when nothing is left).
 */
function copy(chunk: unknown): unknown {
  if (sinks.size === 0 && watchers.size === 0) return chunk;
  const text =
    typeof chunk === 'string'
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk).toString('utf8')
        : '';
  if (!text.includes(HANDLER_LINE)) return chunk;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(HANDLER_LINE)) {
      kept.push(line);
      continue;
    }
    for (const sink of sinks) {
      try {
        append(sink, line);
      } catch {
        // The log file is a convenience: the line still reaches stdout.
      }
    }
    for (const watcher of watchers) watcher.onLine(line);
  }
  if (![...watchers].some((w) => w.hideFromTerminal)) return chunk;
  const rest = kept.join('\n');
  return rest.trim() === '' ? null : rest;
}

function wrap(stream: NodeJS.WriteStream): void {
  if (wrapped.has(stream)) return;
  const original = stream.write;
  const tee = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const left = copy(chunk);
    if (left === null) {
      // Nothing left to print: report the write done, as the stream would.
      const callback = rest.find((r): r is (error?: Error | null) => void => typeof r === 'function');
      if (callback) process.nextTick(callback, null);
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(this, left, ...rest);
  } as Write;
  stream.write = tee;
  wrapped.set(stream, { original, tee });
}

function unwrapAll(): void {
  for (const [stream, { original, tee }] of wrapped) {
    // Someone wrapped the stream after us (a test's log capture): leave ours in place, it copies nothing now.
    if (stream.write !== tee) continue;
    stream.write = original;
    wrapped.delete(stream);
  }
}

/**
 * Starts appending handler log lines to `path` (created 0600). In one process every open log file gets
 * every handler's lines: the logger is one per process, as it is one per Lambda instance.
 */
export function openLogFile(path: string, maxBytes = LOG_FILE_MAX_BYTES): LogFile {
  const sink: Sink = { path, maxBytes, ...open(path) };
  sinks.add(sink);
  wrap(process.stdout);
  wrap(process.stderr);
  return {
    path,
    close() {
      if (!sinks.delete(sink)) return;
      closeSync(sink.fd);
      if (sinks.size === 0 && watchers.size === 0) unwrapAll();
    },
  };
}

/**
 * Hands every handler log line of this process to `onLine` until the returned function is called; with
 * `hideFromTerminal`, the lines no longer reach stdout or stderr (open log files still get them).
 */
export function watchHandlerLines(
  onLine: (line: string) => void,
  options: { hideFromTerminal?: boolean } = {},
): () => void {
  const watcher: Watcher = { onLine, hideFromTerminal: options.hideFromTerminal === true };
  watchers.add(watcher);
  wrap(process.stdout);
  wrap(process.stderr);
  return () => {
    if (!watchers.delete(watcher)) return;
    if (sinks.size === 0 && watchers.size === 0) unwrapAll();
  };
}
