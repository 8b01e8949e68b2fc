/**
 * The shapes of the management API as the SDK's users name them. They are the server's own wire types
 * (lib/core/wire.ts), re-exported, not copies: snake_case JSON and ISO 8601 UTC timestamps, exactly
 * as they travel. The SDK returns response bodies unchanged, so these are also what `latchkey … --json`
 * prints. The only SDK-side shape is `CreateKeyInput`, the create body where `expires_at` may also be a
 * Date (sent as its ISO string); the server's validated form has a name of its own.
 */
import type {
  CreateKeyRequest,
  ListKeysQuery,
  ListKeysResponse,
  RevokeResponse,
  RotateKeyRequest,
} from '../core/wire';

export type {
  AddCreditsRequest,
  ApiCreditRefill,
  ApiCredits,
  ApiKey,
  AuditChange,
  AuditEvent,
  AuditEventType,
  AuditPage,
  AuditQuery,
  AuthScheme,
  CreateKeyRequest,
  CreditsRequest,
  ErrorBody,
  ErrorCode,
  KeyResponse,
  KeyStatus,
  KeyUsageResponse,
  ListKeysQuery,
  ListKeysResponse,
  ListOrgsQuery,
  ListOrgsResponse,
  NewKeyResponse,
  Org,
  OrgLimitRequest,
  OrgPlanRequest,
  OrgUpdateRequest,
  Permission,
  PlansResponse,
  RefusalCounts,
  RefusalOutcome,
  RegisteredKeyResponse,
  RevokeResponse,
  RoleMatrix,
  RolesResponse,
  RotateKeyRequest,
  SignatureAlgorithm,
  UpdateKeyRequest,
  UsageDay,
  Whoami,
} from '../core/wire';

/** `POST /v1/keys` body as `createKey` takes it: the wire body, where `expires_at` may also be a Date. */
export interface CreateKeyInput extends Omit<CreateKeyRequest, 'expires_at'> {
  /** A future instant; a Date is sent as its ISO string. */
  expires_at?: string | Date;
}

/** `GET /v1/keys` query (`listKeys`, `iterateKeys`). */
export type ListKeysParams = ListKeysQuery;
/** One page of `GET /v1/keys`, newest first. `next_cursor` is null on the last page. */
export type KeyPage = ListKeysResponse;
/** `DELETE /v1/keys/{id}`. */
export type RevokeKeyResponse = RevokeResponse;
/** `POST /v1/keys/{id}/rotate` body. */
export type RotateKeyInput = RotateKeyRequest;
