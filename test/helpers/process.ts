import { type ChildProcess, spawn } from 'node:child_process';

/** `npm start` as a real child process (node + tsx on bin/start.ts, as the npm script runs it). */
export interface StartedProcess {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  output: () => string;
  /** Everything written to stderr so far. */
  stderr: () => string;
  exited: Promise<number | null>;
}

export const ROOT = new URL('../..', import.meta.url).pathname;

export function startLocalProcess(env: Record<string, string>): StartedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, stderr: () => err, exited };
}

/** Resolves with the first match of `pattern` in the process's stdout; rejects if it exits first. */
export async function waitForLine(s: StartedProcess, pattern: RegExp, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = pattern.exec(s.output());
    if (m) return m[0];
    if (s.child.exitCode !== null) throw new Error(`exited early: ${s.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern}: ${s.output().slice(-1000)} ${s.stderr().slice(-1000)}`);
}
