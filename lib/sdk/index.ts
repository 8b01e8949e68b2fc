/**
 * latchkey's client SDK: `import { LatchkeyClient, LatchkeyError } from 'latchkey'`.
 * Node 20+ (built-in fetch); only node:crypto underneath, for signing.
 */

export {
  contentDigest256,
  type Ed25519PrivateKey,
  LATCHKEY_SIGNATURE_TAG,
  type MessageToSign,
  type Rfc9421Headers,
  type Rfc9421Signature,
  type SignatureParameters,
  type SignRequest9421Input,
  signatureBase,
  signRequest9421,
} from '../core/http-signatures-sign';
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
export type { SignMode, SignOption } from './signing';
export type * from './types';
