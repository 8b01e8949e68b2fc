import { Logger } from '@aws-lambda-powertools/logger';
import type { AuditEvent } from '#core/model';

/**
 * The one logger. Never pass a token, admin key, signature or master secret to it: log key ids,
 * reasons and request ids only.
 */
export const logger = new Logger({ serviceName: 'latchkey' });

/**
 * The structured log line of an audit event (already stored in the table with its change): who did
 * what to which key, never a secret.
 */
export function audit(event: AuditEvent): void {
  logger.info('audit', { audit: event });
}
