import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Never pass a token, admin key, signature or master secret to it: log key ids,
 * reasons and request ids only.
 */
export const logger = new Logger({ serviceName: 'latchkey' });

export type AuditAction = 'key.created' | 'key.rotated' | 'key.revoked' | 'org.limit_changed';

export interface AuditEvent {
  action: AuditAction;
  actor: string;
  org_id: string;
  key_id?: string;
  details?: Record<string, string | number | boolean | null>;
  request_id?: string;
}

/** Structured audit events for key lifecycle changes: who did what to which key, never a secret. */
export function audit(event: AuditEvent): void {
  logger.info('audit', { audit: event });
}
