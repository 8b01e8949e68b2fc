/**
 * One latchkey in local mode per test file, started before its tests and stopped after them: the
 * setup most integration and reliability files share. `useLatchkey()` registers the `beforeAll` and
 * `afterAll` hooks and returns a handle whose `local`, `call` and `admin` are set once local mode is
 * up (read them inside tests and hooks, not at module level).
 */
import { afterAll, beforeAll } from 'vitest';
import type { LocalMode, LocalModeOptions } from '#local/local-mode';
import { type Call, client, startTestLatchkey } from './local';

export interface TestLatchkey {
  /** The running local mode (gateway, runtime, config, DynamoDB and secrets endpoints). */
  local: LocalMode;
  /** An HTTP client for its gateway. */
  call: Call;
  /** Its admin key. */
  admin: string;
}

/** Starts latchkey for the enclosing file or `describe` block, with `options` passed to local mode. */
export function useLatchkey(options: Partial<LocalModeOptions> = {}): TestLatchkey {
  const handle = {} as TestLatchkey;
  beforeAll(async () => {
    handle.local = await startTestLatchkey(options);
    handle.call = client(handle.local.url, { apiType: handle.local.apiType });
    handle.admin = handle.local.adminKey;
  });
  afterAll(() => handle.local?.stop());
  return handle;
}
