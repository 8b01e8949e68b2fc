/**
 * Runs the `latchkey` CLI in process (`main(argv, io)`), capturing what it writes and its exit code,
 * with exactly the environment given (nothing from the host's).
 */
import { main } from '#cli/index';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    stdin: () => input,
  });
  return { code, stdout, stderr };
}
