/**
 * Work done when Lambda shuts an execution environment down: in bounded verify mode the authorizer
 * writes the hot keys' calls it counted in memory and has not written yet (`HotKeys.flushAll`), which
 * would otherwise be lost with the environment.
 *
 * Lambda sends the runtime SIGTERM at shutdown only when an extension is registered. The lightest way to
 * have one is an **internal extension** registered from the runtime process itself during INIT: one POST
 * to the Extensions API (`AWS_LAMBDA_RUNTIME_API`, `/2020-01-01/extension/register`) for **no events**,
 * then one `GET …/extension/event/next` — every registered extension must call it once for INIT to end —
 * which, with no events to deliver, is never answered: no per-invocation work, no layer, no second
 * process. The process then gets SIGTERM at shutdown with 500 ms to act (an external extension would
 * raise the whole phase to 2,000 ms, but costs a process and a layer). On SIGTERM the flush runs, bounded
 * by `SHUTDOWN_FLUSH_BUDGET_MS`, and the process exits. Anything that fails here is logged and skipped:
 * never a failed INIT, never a blocked invocation (SIGTERM comes only after the last invocation).
 *
 * AWS (not verified on AWS): "Shutdown phase" in
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (500 ms for a function
 * with a registered internal extension, 2,000 ms with external ones; SIGKILL after); "Extensions API
 * reference — Register" and "Next event" in
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html (`events` may be empty;
 * internal extensions may not register for SHUTDOWN; INIT ends when the runtime and every extension have
 * called Next); https://github.com/aws-samples/graceful-shutdown-with-aws-lambda (SIGTERM handling, and
 * the Rust runtime's `spawn_graceful_shutdown_handler`: an internal extension with no events).
 */
import { request } from 'node:http';
import { logger } from './logger';
import type { Runtime } from './runtime';

/** The name this extension registers under (internal extensions' names are the function's own choice). */
export const SHUTDOWN_EXTENSION_NAME = 'latchkey-shutdown-flush';
/** How long the flush may take after SIGTERM: inside Lambda's 500 ms, with room for the exit. */
export const SHUTDOWN_FLUSH_BUDGET_MS = 400;
const EXTENSIONS_API = '2020-01-01/extension';
/** The registration call is local to the execution environment: a second is far more than it takes. */
const REGISTER_TIMEOUT_MS = 1_000;

export interface ShutdownHook {
  /** The Runtime API's `host:port` (`AWS_LAMBDA_RUNTIME_API`); unset: no extension, no SIGTERM. */
  runtimeApi: string | undefined;
  /** Writes what must not be lost. */
  flush: () => Promise<void>;
  budgetMs?: number;
  /** What the process does once the flush is done or out of time (default: exit with status 0). */
  exit?: () => void;
  /** Where SIGTERM is listened for (default: this process). */
  signals?: { once(signal: 'SIGTERM', listener: () => void): unknown };
}

/**
 * Registers the internal extension and runs `flush` on SIGTERM. Resolves whether or not the
 * registration worked (`true` when it did): a function without it still works, it only loses the
 * unwritten counts at shutdown, as before.
 */
export async function flushAtShutdown(hook: ShutdownHook): Promise<boolean> {
  if (!hook.runtimeApi) return false;
  let id: string;
  try {
    id = await register(hook.runtimeApi);
  } catch (error) {
    logger.warn(
      'shutdown flush: extension registration failed; counts not yet written are lost at shutdown',
      {
        error: error instanceof Error ? error.message : 'unknown',
      },
    );
    return false;
  }
  await awaitNextForever(hook.runtimeApi, id);
  const budgetMs = hook.budgetMs ?? SHUTDOWN_FLUSH_BUDGET_MS;
  const exit = hook.exit ?? (() => process.exit(0));
  (hook.signals ?? process).once('SIGTERM', () => {
    void flushWithin(hook.flush, budgetMs).then(exit);
  });
  return true;
}

/**
 * The authorizer's hook: in bounded mode, inside a Lambda (which sets `AWS_LAMBDA_RUNTIME_API`), the
 * extension registered and `flush` run on SIGTERM. Exact mode counts nothing in memory: no extension.
 */
export function flushCountsAtShutdown(runtime: Runtime, flush: () => Promise<void>): Promise<boolean> {
  if (runtime.config.verifyMode !== 'bounded') return Promise.resolve(false);
  return flushAtShutdown({ runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API, flush });
}

/** Runs `flush` for at most `budgetMs`; logs (never throws) what did not get written. */
export async function flushWithin(flush: () => Promise<void>, budgetMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budgetMs);
  });
  try {
    const outcome = await Promise.race([flush().then(() => 'done' as const), outOfTime]);
    if (outcome === 'timeout') logger.warn('shutdown flush: out of time; some counts were not written');
  } catch (error) {
    logger.warn('shutdown flush failed; some counts were not written', {
      error: error instanceof Error ? error.name : 'unknown',
    });
  } finally {
    clearTimeout(timer);
  }
}

/** POST …/register for no events; resolves to the `Lambda-Extension-Identifier` Lambda assigns. */
function register(runtimeApi: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://${runtimeApi}/${EXTENSIONS_API}/register`,
      {
        method: 'POST',
        headers: { 'Lambda-Extension-Name': SHUTDOWN_EXTENSION_NAME, 'content-type': 'application/json' },
        timeout: REGISTER_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        const id = res.headers['lambda-extension-identifier'];
        if (res.statusCode === 200 && typeof id === 'string' && id !== '') resolve(id);
        else reject(new Error(`extension register answered ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('extension register timed out')));
    req.on('error', reject);
    req.end(JSON.stringify({ events: [] }));
  });
}

/**
 * GET …/event/next once: it tells Lambda this extension is ready (INIT ends), and with no events
 * registered it is never answered. Resolves once the request is sent (or failed), never waiting for an
 * answer. Its socket is unreferenced so that it never keeps a process alive.
 */
function awaitNextForever(runtimeApi: string, id: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`http://${runtimeApi}/${EXTENSIONS_API}/event/next`, {
      method: 'GET',
      headers: { 'Lambda-Extension-Identifier': id },
      agent: false,
    });
    req.on('socket', (socket) => socket.unref());
    req.on('finish', () => resolve());
    req.on('response', (res) => res.resume());
    req.on('error', () => {
      // Nothing to do: SIGTERM is Lambda's to send, and a broken long poll changes nothing here.
      resolve();
    });
    req.end();
  });
}
