/**
 * A Lambda function's INIT work, done before its handler is exported. The handler modules await
 * `initAtColdStart()` at their top level (an ES module's top-level await: the bundles are ESM), so
 * Lambda's INIT phase — which runs before the first invocation, and which AWS bills like the invocation
 * since 1 August 2025 — builds the runtime, fetches the secrets and opens the DynamoDB connection, all
 * at once, and the first request pays only its own work.
 *
 * AWS: "Node.js initialization" in https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 * (top-level await in an ES module completes during INIT, before the handler runs);
 * https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/ (INIT billed from
 * 1 August 2025; INIT may take at most 10 s). Not verified on AWS.
 *
 * Failures never leave a broken instance: a warm-up that fails is logged (its error's name only) and
 * forgotten. Nothing is cached from it — `SecretCache` never caches a failure — so the first request
 * fetches again and, if that fails too, is refused as any dependency failure is (fail closed). The SDK
 * clients' short timeouts bound the wait (about 4 s at worst, inside INIT's 10 s). An invalid
 * configuration still throws, failing INIT as it would fail the first request.
 */
import { openDynamoConnection } from '../aws/warm';
import { logger } from './logger';
import { defaultRuntime, type Runtime } from './runtime';

/** What the warm-up did: each part `ok`, `failed` (retried by the first request) or `skipped`. */
export interface WarmUpReport {
  adminKey: 'ok' | 'failed' | 'skipped';
  signingSecret: 'ok' | 'failed';
  dynamo: 'ok' | 'failed';
}

/**
 * Whether this process is a Lambda execution environment: Lambda sets `AWS_LAMBDA_FUNCTION_NAME` in
 * every function's environment. Local mode and the tests import the handler modules without it, and
 * nothing runs at their import.
 */
export function inLambda(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
}

/**
 * Fetches every secret the runtime holds and opens its DynamoDB connection, concurrently. Never
 * rejects: each failure is logged and reported, and left for the first request to retry.
 */
export async function warmRuntime(runtime: Runtime): Promise<WarmUpReport> {
  const attempt = async (part: string, work: () => Promise<unknown>): Promise<'ok' | 'failed'> => {
    try {
      await work();
      return 'ok';
    } catch (error) {
      // The error's name only: never a secret, and the message of a wrapped SDK error adds nothing here.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      logger.warn('cold start: warm-up failed; the first request tries again', {
        part,
        error: cause instanceof Error ? cause.name : 'unknown',
      });
      return 'failed';
    }
  };
  const adminKey = runtime.adminKey;
  const [admin, signing, dynamo] = await Promise.all([
    adminKey ? attempt('admin key', adminKey.get) : Promise.resolve('skipped' as const),
    attempt('signing secret', runtime.signingSecret.get),
    attempt('dynamodb', () => openDynamoConnection(runtime.dynamo, runtime.config.tableName)),
  ]);
  return { adminKey: admin, signingSecret: signing, dynamo };
}

/**
 * In a Lambda: the process-wide runtime (configuration validated, clients built), warmed. Elsewhere:
 * undefined, and nothing done. A handler module awaits it at its top level.
 */
export async function initAtColdStart(): Promise<Runtime | undefined> {
  if (!inLambda()) return undefined;
  const runtime = defaultRuntime();
  await warmRuntime(runtime);
  return runtime;
}
