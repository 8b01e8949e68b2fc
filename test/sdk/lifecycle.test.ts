/**
 * The SDK's key-lifecycle methods against latchkey in local mode: edit, disable and enable a key (the
 * disabled key gets the 401 on its next bearer and signed request), and read the audit trail page by
 * page and through `iterateAudit`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMode } from '#local/local-mode';
import { LatchkeyClient, LatchkeyError } from '#sdk/index';
import { startTestLatchkey } from '../helpers/local';

let local: LocalMode;
let admin: LatchkeyClient;

beforeAll(async () => {
  local = await startTestLatchkey();
  admin = new LatchkeyClient({ baseUrl: local.url, key: local.adminKey, retries: 0 });
});
afterAll(() => local?.stop());

describe('updateKey, disableKey, enableKey', () => {
  it('edits fields and metadata, and disable/enable switch the key off and on for bearer and signed calls', async () => {
    const created = await admin.createKey({ name: 'sdk-edit', org_id: 'sdk' });
    const id = created.key.id;
    const updated = await admin.updateKey(id, {
      name: 'renamed',
      description: 'a note',
      rate_limit_per_minute: 30,
      metadata: { plan: 'gold' },
    });
    expect(updated.key).toMatchObject({
      name: 'renamed',
      description: 'a note',
      rate_limit_per_minute: 30,
      metadata: { plan: 'gold' },
    });
    const bearer = new LatchkeyClient({ baseUrl: local.url, key: created.raw_key, retries: 0 });
    const signed = new LatchkeyClient({ baseUrl: local.url, key: created.raw_key, sign: true, retries: 0 });
    expect((await bearer.fetch('/v1/echo/a')).status).toBe(200);

    const disabled = await admin.disableKey(id);
    expect(disabled.key).toMatchObject({ enabled: false, status: 'disabled' });
    expect((await bearer.fetch('/v1/echo/a')).status).toBe(401);
    expect((await signed.fetch('/v1/echo/a')).status).toBe(401);

    const enabled = await admin.enableKey(id);
    expect(enabled.key).toMatchObject({ enabled: true, status: 'active' });
    expect((await bearer.fetch('/v1/echo/a')).status).toBe(200);
    expect((await signed.fetch('/v1/echo/a')).status).toBe(200);
  });

  it('an empty change is a 400 naming the body, as a LatchkeyError', async () => {
    const created = await admin.createKey({ name: 'sdk-empty', org_id: 'sdk' });
    const error = await admin.updateKey(created.key.id, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
  });
});

describe('listAudit and iterateAudit', () => {
  it('pages through one key’s events, newest first, and the iterator yields the same events', async () => {
    const created = await admin.createKey({ name: 'sdk-audit', org_id: 'sdk-audit' });
    const id = created.key.id;
    await admin.disableKey(id);
    await admin.enableKey(id);
    await admin.updateKey(id, { name: 'audited' });
    const first = await admin.listAudit({ key_id: id, limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const all = [];
    for await (const event of admin.iterateAudit({ key_id: id, limit: 2 })) all.push(event);
    expect(all.map((e) => e.type)).toEqual(['key.updated', 'key.enabled', 'key.disabled', 'key.created']);
    expect(all.slice(0, 2)).toEqual(first.events);
    expect(all.every((e) => e.key_id === id && e.actor === 'admin')).toBe(true);
  });
});
