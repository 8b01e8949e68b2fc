/**
 * `latchkey logs tail` in local mode: reads the log file `npm start` appends the handlers' log lines to
 * (`<data dir>/latchkey.log`, and `latchkey.log.1` after a rotation), hands every line to `emit`, then,
 * when following, polls the file for new lines like `tail -F`: it notices a rotation (the file replaced by a new
 * one: the rest of the old one is read from `.1` first) and a truncation, and keeps a partial last line
 * until its newline arrives. Stops when `signal` aborts.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileTailOptions {
  path: string;
  follow: boolean;
  /** Called once per complete line, in order. */
  emit(line: string): void;
  /** Called once when following and the file does not exist yet. */
  waiting?(): void;
  signal?: AbortSignal;
  pollMs?: number;
}

const DEFAULT_POLL_MS = 250;

interface Position {
  ino: number;
  offset: number;
}

/** Bytes `from`..end of a file (null when it is gone). */
function readFrom(path: string, from: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    let position = from;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      position += n;
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

const inode = (path: string): number | null => {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
};

/** Reads the file (its rotated part first), then follows it until `signal` aborts. */
export async function tailFile(options: FileTailOptions): Promise<void> {
  const { path, emit } = options;
  let partial = '';
  const take = (bytes: Buffer | null) => {
    if (bytes === null || bytes.length === 0) return;
    const lines = (partial + bytes.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') emit(line);
  };
  take(readFrom(`${path}.1`, 0));
  // A rotated part without its final newline cannot be continued by the new file.
  partial = '';
  let position: Position | null = null;
  const current = readFrom(path, 0);
  if (current !== null) {
    take(current);
    position = { ino: inode(path) ?? -1, offset: current.length };
  }
  if (!options.follow) return;
  if (position === null) options.waiting?.();

  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  while (!options.signal?.aborted) {
    try {
      await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return; // aborted
    }
    const ino = inode(path);
    if (ino === null) continue;
    if (position !== null && ino !== position.ino) {
      // Rotated: the rest of the file we were reading is now `.1`.
      if (inode(`${path}.1`) === position.ino) take(readFrom(`${path}.1`, position.offset));
      partial = '';
      position = { ino, offset: 0 };
    }
    position ??= { ino, offset: 0 };
    const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    if (size < position.offset) {
      partial = '';
      position.offset = 0; // truncated
    }
    if (size === position.offset) continue;
    const bytes = readFrom(path, position.offset);
    if (bytes === null) continue;
    position.offset += bytes.length;
    take(bytes);
  }
}

export const logFileExists = (path: string): boolean => existsSync(path) || existsSync(`${path}.1`);
