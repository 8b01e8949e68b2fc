/**
 * The shapes of the management API (SPEC §4), exactly as they travel: snake_case JSON, ISO 8601 UTC
 * timestamps. The SDK returns response bodies unchanged, so these are also what `--json` prints.
 */

// The key object and its parts are the server's own types (one definition for both sides).
import type { ApiKey, KeyStatus } from '../../lambdas/core/model';
import type { Permission } from '../../lambdas/core/permissions';

export type { ApiKey, KeyStatus, Permission };

/** `POST /v1/keys` body. */
export interface CreateKeyInput {
  /** 1–100 characters. */
  name: string;
  /** At most 500 characters. */
  description?: string;
  /** Default: the deployment's default role (`member`). */
  roles?: string[];
  /** 1–100000; default 60. */
  rate_limit_per_minute?: number;
  /** A future instant; a Date is sent as its ISO string. */
  expires_at?: string | Date;
  /** Admin key only (a key may name only its own organization). */
  org_id?: string;
}

/** `201` from `POST /v1/keys` and `POST /v1/keys/{id}/rotate`. `raw_key` is shown in this response only. */
export interface NewKeyResponse {
  key: ApiKey;
  raw_key: string;
  warning: string;
}

/** `GET /v1/keys` query. */
export interface ListKeysParams {
  /** Page size, 1–100 (server default 50). */
  limit?: number;
  cursor?: string | null;
  status?: KeyStatus;
  /** Admin key only. */
  org_id?: string;
}

/** One page of `GET /v1/keys`, newest first. `next_cursor` is null on the last page. */
export interface KeyPage {
  keys: ApiKey[];
  next_cursor: string | null;
}

export interface KeyResponse {
  key: ApiKey;
}

export interface RevokeKeyResponse {
  revoked: true;
  key: ApiKey;
}

export interface RotateKeyInput {
  /** 0–86400; default 0 (the old key stops at once). */
  grace_period_seconds?: number;
}

/** `GET`/`PUT /v1/orgs/{org_id}`. `max_keys` null = unlimited, 0 = no API keys. */
export interface Org {
  org_id: string;
  max_keys: number | null;
  active_keys: number;
}

/** `GET /v1/whoami`. `org_id` is null for the admin key. */
export interface Whoami {
  principal: 'admin' | 'key';
  key?: ApiKey;
  org_id: string | null;
  permissions: Permission[];
}

/** The one error body of SPEC §5. */
export interface ErrorBody {
  error: { code: string; message: string; request_id: string };
}
