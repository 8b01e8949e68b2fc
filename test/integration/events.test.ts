/**
 * Lifecycle events end to end on one machine: real management requests against local mode (DynamoDB
 * Local, the real handlers) produce audit items; local mode turns each into an event through the same
 * mapper as the events function, writes it to its event log and POSTs it to a real webhook receiver on
 * loopback, which verifies every signature with the `standardwebhooks` package. Each event matches the
 * JSON Schema in docs/events.schema.json (Ajv), there is exactly one per committed change (the audit
 * trail's ids), none for a refused change, and none carries a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveredEvent } from '#core/events';
import type { LocalMode } from '#local/local-mode';
import { eventSchemaErrors, startWebhookReceiver } from '../helpers/events';
import { type Call, client, createKey, startTestLatchkey } from '../helpers/local';

let local: LocalMode;
let call: Call;
let admin: string;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const FAST = { attempts: 3, baseDelayMs: 20, maxDelayMs: 40, timeoutMs: 2000 };

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  local = await startTestLatchkey({
    settings: { LATCHKEY_WEBHOOK_URL: receiver.url },
    events: { pollMs: 60_000, webhookPolicy: FAST },
  });
  receiver.setSecret(local.webhookSecret as string);
  call = client(local.url);
  admin = local.adminKey;
});
afterAll(async () => {
  await local?.stop();
  await receiver?.close();
});

const events = (): DeliveredEvent[] => local.events?.events() ?? [];
const ofOrg = (org: string) => events().filter((e) => e.detail.org_id === org);

describe('an event for every committed change', () => {
  const org = 'evented';
  let tokens: string[] = [];

  beforeAll(async () => {
    const created = await createKey(call, admin, { name: 'first', org_id: org, metadata: { plan: 'free' } });
    tokens = [created.token];
    for (const body of [{ name: 'second' }, { enabled: false }, { enabled: true }]) {
      const res = await call('PATCH', `/v1/keys/${created.id}`, { token: admin, body });
      expect(res.status).toBe(200);
    }
    const rotated = await call<{ key: { id: string }; raw_key: string }>(
      'POST',
      `/v1/keys/${created.id}/rotate`,
      {
        token: admin,
        body: { grace_period_seconds: 0 },
      },
    );
    expect(rotated.status).toBe(201);
    tokens.push(rotated.body.raw_key);
    expect((await call('DELETE', `/v1/keys/${rotated.body.key.id}`, { token: admin })).status).toBe(200);
    // Revoking a revoked key again changes nothing: no new audit item, no event.
    expect((await call('DELETE', `/v1/keys/${rotated.body.key.id}`, { token: admin })).status).toBe(200);
    expect((await call('PUT', `/v1/orgs/${org}`, { token: admin, body: { max_keys: 7 } })).status).toBe(200);
    await local.events?.poll();
  });

  it('publishes each change type once, in commit order, with the audit event ids', async () => {
    const audit = await call<{ events: Array<{ id: string; type: string }> }>(
      'GET',
      `/v1/audit?org_id=${org}`,
      {
        token: admin,
      },
    );
    const auditIds = audit.body.events.map((e) => e.id).reverse();
    const published = ofOrg(org);
    expect(published.map((e) => e.id)).toEqual(auditIds);
    expect(published.map((e) => e['detail-type']).sort()).toEqual(
      [
        'key.created',
        'key.created',
        'key.disabled',
        'key.enabled',
        'key.revoked',
        'key.rotated',
        'key.updated',
        'org.updated',
      ].sort(),
    );
    expect(published.filter((e) => e['detail-type'] === 'key.revoked')).toHaveLength(1);
    expect(new Set(published.map((e) => e.id)).size).toBe(published.length);
  });

  it('none for a change whose transaction failed (the organization is at its key limit)', async () => {
    const full = 'full-org';
    expect((await call('PUT', `/v1/orgs/${full}`, { token: admin, body: { max_keys: 1 } })).status).toBe(200);
    await createKey(call, admin, { org_id: full });
    const refused = await call('POST', '/v1/keys', {
      token: admin,
      body: { name: 'one too many', org_id: full },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await local.events?.poll();
    expect(ofOrg(full).map((e) => e['detail-type'])).toEqual(['org.updated', 'key.created']);
  });

  it('every event matches the published JSON Schema', () => {
    for (const event of ofOrg(org)) expect(eventSchemaErrors(event), event['detail-type']).toBe('');
  });

  it('carries the change and never a secret', () => {
    const updated = ofOrg(org).find((e) => e['detail-type'] === 'key.updated');
    expect(updated?.detail.changes.name).toEqual({ old: 'first', new: 'second' });
    expect(updated?.detail.actor).toBe('admin');
    const text = JSON.stringify(ofOrg(org));
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('_').at(-1));
    }
    expect(text).not.toMatch(/key_hash|"salt"/);
  });

  it('delivers each to the webhook, signed in the Standard Webhooks format', () => {
    const ids = ofOrg(org).map((e) => e.id);
    const delivered = receiver.received.filter((r) => ids.includes(r.id));
    expect(delivered.map((r) => r.id)).toEqual(ids);
    expect(receiver.rejected).toBe(0);
    for (const r of delivered) {
      const event = ofOrg(org).find((e) => e.id === r.id);
      expect(r.payload).toEqual({
        type: event?.['detail-type'],
        timestamp: event?.time,
        data: event?.detail,
      });
      expect(Math.abs(Number(r.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }
  });
});

describe('webhook retries', () => {
  it('retries a failed delivery with the same webhook-id until it is accepted', async () => {
    await local.events?.poll();
    receiver.answers = [503, 500];
    const before = receiver.requests;
    const { id } = await createKey(call, admin, { name: 'retried', org_id: 'retries' });
    await local.events?.poll();
    const created = ofOrg('retries').find((e) => e.detail.key_id === id);
    expect(receiver.requests - before).toBe(3);
    expect(receiver.received.filter((r) => r.id === created?.id)).toHaveLength(1);
    const result = local.events?.webhookResults().find((r) => r.id === created?.id)?.result;
    expect(result).toEqual({ delivered: true, attempts: 3, status: 204 });
  });

  it('gives up after the policy’s attempts and reports the last status', async () => {
    await local.events?.poll();
    receiver.answers = [500, 500, 500];
    const { id } = await createKey(call, admin, { name: 'lost', org_id: 'retries' });
    await local.events?.poll();
    const created = ofOrg('retries').find((e) => e.detail.key_id === id);
    const result = local.events?.webhookResults().find((r) => r.id === created?.id)?.result;
    expect(result).toEqual({ delivered: false, attempts: 3, status: 500 });
  });
});

describe('key.expiring', () => {
  it('announces a key expiring within the window once per expiry, with an id of key and expiry', async () => {
    const soon = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const expiring = await createKey(call, admin, { org_id: 'expiry', expires_at: soon });
    await createKey(call, admin, { org_id: 'expiry', expires_at: later });
    await local.events?.scanExpiring();
    await local.events?.scanExpiring();
    const notices = ofOrg('expiry').filter((e) => e['detail-type'] === 'key.expiring');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.detail).toMatchObject({
      key_id: expiring.id,
      actor: 'latchkey',
      request_id: null,
      expires_at: new Date(Date.parse(soon)).toISOString(),
      id: `expiring:${expiring.id}:${new Date(Date.parse(soon)).toISOString()}`,
    });
    expect(eventSchemaErrors(notices[0])).toBe('');

    // A new expiry is a new notice.
    const sooner = new Date(Date.now() + 86_400_000).toISOString();
    expect(
      (await call('PATCH', `/v1/keys/${expiring.id}`, { token: admin, body: { expires_at: sooner } })).status,
    ).toBe(200);
    await local.events?.scanExpiring();
    const after = ofOrg('expiry').filter((e) => e['detail-type'] === 'key.expiring');
    expect(after.map((e) => e.detail.expires_at)).toEqual([
      new Date(Date.parse(soon)).toISOString(),
      new Date(Date.parse(sooner)).toISOString(),
    ]);
  });
});
