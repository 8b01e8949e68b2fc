/**
 * latchkey's client SDK: `import { LatchkeyClient, LatchkeyError } from 'latchkey'`.
 * Node 20+ (built-in fetch); only node:crypto underneath, for signing.
 */
export {
  type ArmorHeaders,
  type ArmorSignature,
  contentDigestHeader,
  keyIdOfToken,
  type SignRequestInput,
  signRequest,
} from '../core/signer';
export {
  DEFAULT_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  LatchkeyClient,
  type LatchkeyClientOptions,
  type LatchkeyFetchInit,
  MAX_RETRY_DELAY_MS,
  type RequestOptions,
} from './client';
export { LatchkeyError, type LatchkeyErrorInit, type LatchkeyErrorKind } from './errors';
export type * from './types';
