/**
 * `latchkey events tail` against a real local mode with a data folder: the changes made over HTTP are
 * in `<data dir>/events.log` (written by local mode's event delivery), and the command prints one line
 * per event, narrows by type and key, and with `--json` prints each event as logged, schema-valid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { eventSchemaErrors } from '../helpers/events';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-events-tail-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const lk = useLatchkey({ dataDir });
const env = { LATCHKEY_DATA_DIR: dataDir };

let kept: { id: string; token: string };
let revoked: { id: string; token: string };

beforeAll(async () => {
  kept = await createKey(lk.call, lk.admin, { name: 'kept' });
  revoked = await createKey(lk.call, lk.admin, { name: 'gone' });
  expect((await lk.call('DELETE', `/v1/keys/${revoked.id}`, { token: lk.admin })).status).toBe(200);
  await lk.local.events?.poll();
});

describe('latchkey events tail (local mode)', () => {
  it('prints one line per event: time, type, organization, key, actor and id', async () => {
    const res = await runCli(['events', 'tail', '--no-follow'], env);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['key.created', 'key.created', 'key.revoked']);
    expect(lines[2]).toContain(`key=${revoked.id}`);
    expect(lines[2]).toContain('actor=admin');
    for (const token of [kept.token, revoked.token, lk.admin]) expect(res.stdout).not.toContain(token);
  });

  it('--type and --key narrow it; --json prints the events as logged', async () => {
    const res = await runCli(
      ['events', 'tail', '--no-follow', '--type', 'key.created', '--key', kept.id, '--json'],
      env,
    );
    expect(res.code).toBe(0);
    const events = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'latchkey',
      'detail-type': 'key.created',
      detail: { key_id: kept.id },
    });
    expect(eventSchemaErrors(events[0])).toBe('');
  });

  it('says where it looked when there is no event log', async () => {
    const res = await runCli(['events', 'tail', '--no-follow', '--data-dir', join(dataDir, 'none')], env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/no event log at .*events\.log/);
  });
});
