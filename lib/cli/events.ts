/**
 * `latchkey events tail`: follows local mode's event log (`<data dir>/events.log`, one lifecycle event
 * per line in EventBridge's envelope; lib/local/events.ts writes it) and prints one line per event —
 * time, detail-type, organization, key, actor, event id — or, with `--json`, each event as logged.
 * `--type` and `--key` narrow it; `--no-follow` prints what is there and stops. On AWS the same events
 * are on the stack's EventBridge bus (the EventBusArn output): subscribe a rule to them (docs/events.md).
 */
import { resolve } from 'node:path';
import type { DeliveredEvent } from '../core/events';
import { DEFAULT_DATA_DIR, LOCAL_ENV, localEventsFile } from '../local/constants';
import { defineCommand } from './command';
import { CliError } from './errors';
import { clean } from './format';
import { checkId } from './log-lines';
import { logFileExists, tailFile } from './logs-local';
import { defineOptions, flag, text } from './options';

const OPTIONS = defineOptions({
  type: text('TYPE', 'only events of this detail-type (key.created, key.revoked, key.expiring…)'),
  key: text('ID', "only this key's events"),
  'no-follow': flag('print what is there and stop, instead of following new events'),
  'data-dir': text('DIR', "local mode's data folder (default: $LATCHKEY_DATA_DIR, else .latchkey)"),
});

/** The event on a log line, or null for a line that is not one. */
export function parseEventLine(line: string): DeliveredEvent | null {
  try {
    const parsed = JSON.parse(line) as DeliveredEvent;
    return typeof parsed?.['detail-type'] === 'string' && typeof parsed.detail?.id === 'string'
      ? parsed
      : null;
  } catch {
    return null;
  }
}

/** One readable line: time, detail-type, org, key, actor, id. */
export function formatEvent(event: DeliveredEvent): string {
  const d = event.detail;
  return [
    event.time,
    event['detail-type'],
    `org=${d.org_id}`,
    `key=${d.key_id ?? '-'}`,
    `actor=${d.actor}`,
    `id=${d.id}`,
  ]
    .map((part) => clean(String(part)))
    .join('  ');
}

export const eventsTail = defineCommand({
  name: 'events tail',
  summary: "follow local mode's lifecycle events (key created, revoked, expiring…)",
  usage: 'latchkey events tail [--type TYPE] [--key ID] [--no-follow] [--data-dir DIR] [--json]',
  description:
    'Every committed change (and each key.expiring notice) becomes an event. npm start appends them to\n' +
    '<data dir>/events.log; this prints one line per event and follows new ones until interrupted (Ctrl-C).\n' +
    'With --json each event is printed as logged: the EventBridge envelope a rule on the stack bus receives.',
  args: [],
  api: false,
  options: OPTIONS,
  examples: ['latchkey events tail', 'latchkey events tail --type key.revoked --json'],
  async run(ctx) {
    const { values } = ctx;
    const keyId = checkId(values.key, '--key');
    const type = values.type;
    const follow = values['no-follow'] !== true;
    const dataDir = resolve(values['data-dir'] ?? (ctx.env[LOCAL_ENV.dataDir] || DEFAULT_DATA_DIR));
    const path = localEventsFile(dataDir);
    if (!follow && !logFileExists(path)) {
      throw new CliError(
        'not_found',
        `no event log at ${path}: start local mode (npm start) with this data folder, or pass --data-dir`,
      );
    }
    await tailFile({
      path,
      follow,
      emit: (line) => {
        const event = parseEventLine(line);
        if (event === null) return;
        if (type !== undefined && event['detail-type'] !== type) return;
        if (keyId !== undefined && event.detail.key_id !== keyId) return;
        ctx.out(ctx.json ? clean(line) : formatEvent(event));
      },
      waiting: () => ctx.err(`waiting for ${path} (is npm start running with this data folder?)`),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  },
});

export const EVENTS_COMMANDS = [eventsTail] as const;
