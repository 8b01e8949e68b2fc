/**
 * `latchkey/verify`: latchkey's verifier inside your own handler — behind a Lambda Function URL, an
 * Application Load Balancer, API Gateway without the authorizer, or in a container — with exact answers
 * (401, 403, 404, 429 with Retry-After, 503) for your application to send, and the caller for it to use.
 *
 * ```ts
 * import { createVerifier } from 'latchkey/verify';
 *
 * const verifier = createVerifier({ routes: [{ method: 'POST', path: '/orders', permission: 'orders:write' }] });
 * const result = await verifier.verify({ method, path, headers, body });
 * if (!result.allowed) return respond(result.status, result.headers, result.body);
 * result.caller.orgId; // …
 * ```
 *
 * The adapters `latchkey/verify/lambda`, `latchkey/verify/hono` and `latchkey/verify/express` do this for
 * you. Settings come from the environment the authorizer reads (docs/verify.md); the AWS SDK's DynamoDB
 * and Secrets Manager clients are its only dependencies (peer dependencies: install them).
 */
export type { HeaderSource, HeaderValue } from './headers';
export type { RefusalCause, RefusalCode, RefusalStatus, VerifyRefusal } from './refusal';
export type { AdminCaller, Caller, CallerScheme, KeyCaller, VerifiedCaller } from './types';
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifierRoute,
  type VerifyAllowed,
  type VerifyInput,
  type VerifyResult,
} from './verifier';
