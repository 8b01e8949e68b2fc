/**
 * The wire shapes the console reads, as the management API documents them (docs/protocol.md §4),
 * including the lifecycle fields some deployments do not have yet (`enabled`, `metadata`, usage, audit,
 * roles, plan): optional fields are read defensively so an older API still renders.
 */

export type KeyStatus = 'active' | 'disabled' | 'revoked' | 'expired';

export interface ConsoleKey {
  id: string;
  name: string;
  description: string | null;
  org_id: string;
  key_prefix: string;
  roles: string[];
  permissions: string[];
  rate_limit_per_minute: number;
  enabled?: boolean;
  status: KeyStatus;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  calls: number;
  metadata?: Record<string, string>;
}

export interface NewKey {
  key: ConsoleKey;
  raw_key: string;
  warning: string;
}

export interface KeyPage {
  keys: ConsoleKey[];
  next_cursor: string | null;
}

export interface Whoami {
  principal: 'admin' | 'key';
  key?: ConsoleKey;
  org_id: string | null;
  permissions: string[];
}

export interface Org {
  org_id: string;
  plan?: string;
  max_keys: number | null;
  active_keys: number;
}

export interface Usage {
  key_id: string;
  days: { date: string; calls: number }[];
}

export interface AuditEntry {
  id: string;
  type: string;
  org_id: string;
  key_id: string | null;
  actor: string;
  request_id: string | null;
  at: string;
  changes?: Record<string, unknown> | null;
}

export interface AuditPage {
  events: AuditEntry[];
  next_cursor: string | null;
}

export interface Roles {
  roles: Record<string, string[]>;
  default_role: string;
}
