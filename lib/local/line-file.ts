/**
 * An append-only file of lines, mode 0600, renamed to `<path>.1` and begun again past a size: local
 * mode's event log (lib/local/events.ts), which `latchkey events tail` follows the way `latchkey logs
 * tail` follows the log file. A failing disk never fails the caller: the line is still kept in memory.
 */
import { closeSync, fchmodSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { LOG_FILE_MAX_BYTES } from './constants';

export interface LineFile {
  path: string;
  maxBytes: number;
  fd: number;
  size: number;
  close(): void;
}

function open(path: string): { fd: number; size: number } {
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return { fd, size: fstatSync(fd).size };
}

export function openLineFile(path: string, maxBytes = LOG_FILE_MAX_BYTES): LineFile {
  const file: LineFile = {
    path,
    maxBytes,
    ...open(path),
    close() {
      closeSync(file.fd);
    },
  };
  return file;
}

export function appendLine(file: LineFile, line: string): void {
  try {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    if (file.size > 0 && file.size + bytes.length > file.maxBytes) {
      closeSync(file.fd);
      renameSync(file.path, `${file.path}.1`);
      Object.assign(file, open(file.path));
    }
    writeSync(file.fd, bytes);
    file.size += bytes.length;
  } catch {
    // The event log is a convenience for `events tail`: the event is still delivered.
  }
}
