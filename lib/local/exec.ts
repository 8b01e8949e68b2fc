/**
 * Running the programs local mode needs (`npm pack`, `tar`, `java -version`) and reading what they
 * print: a command's whole output, a failure turned into a one-line `LocalSetupError`, the last lines
 * of a long-running child's output for error messages, and running a setup step once per process.
 */
import { type ExecFileException, execFile } from 'node:child_process';
import { errorCode, LocalSetupError } from './errors';

export interface Captured {
  /** null when the command exited with status 0. */
  error: ExecFileException | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and resolves with what it printed, whether or not it failed. */
export function capture(
  command: string,
  args: string[],
  opts: { cwd?: string; shell?: boolean } = {},
): Promise<Captured> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      { cwd: opts.cwd, shell: opts.shell, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolvePromise({ error, stdout, stderr }),
    );
  });
}

/** Runs a command; a failure becomes a LocalSetupError "Failed <what>: <the line that explains it>". */
export async function run(
  command: string,
  args: string[],
  opts: { what: string; cwd?: string; shell?: boolean },
): Promise<{ stdout: string; stderr: string }> {
  const { error, stdout, stderr } = await capture(command, args, opts);
  if (!error) return { stdout, stderr };
  const code = errorCode(error);
  const detail =
    code === 'ENOENT' ? `${command} not found on PATH` : firstErrorLine(stderr) || lastLine(stdout) || code;
  throw new LocalSetupError(`Failed ${opts.what}: ${detail}`);
}

/** The non-blank lines of a text, trimmed. */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The first line that reads like an error (npm prints warnings first), else the last line. */
export function firstErrorLine(text: string): string {
  const all = lines(text);
  return all.find((l) => /\berr(or|!)/i.test(l)) ?? all.pop() ?? '';
}

export function lastLine(text: string): string {
  return lines(text).pop() ?? '';
}

/** Keeps the last few lines of a stream; the returned function gives them joined on one line. */
export function outputTail(stream: NodeJS.ReadableStream | null, maxChars = 2_000): () => string {
  let buf = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buf = (buf + chunk).slice(-maxChars);
  });
  return () => lines(buf).slice(-5).join(' | ');
}

/** `step` runs on the first call and its promise is shared by later calls; after a failure the next call runs it again. */
export function onceUntilFailure<T>(step: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= step().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
