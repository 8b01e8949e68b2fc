import { Logger } from '@aws-lambda-powertools/logger';
import type { AuditEvent } from '../core/management';

/**
 * The one logger. Never pass a token, admin key, signature or master secret to it: log key ids,
 * reasons and request ids only.
 */
export const logger = new Logger({ serviceName: 'latchkey' });

/** Structured audit events for key lifecycle changes: who did what to which key, never a secret. */
export function audit(event: AuditEvent): void {
  logger.info('audit', { audit: event });
}
