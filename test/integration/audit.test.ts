/**
 * The audit trail end to end through the local gateway against DynamoDB Local: every change writes its
 * event (type, actor, request id, old and new values, TTL after the audit retention) in the same
 * transaction; `GET /v1/audit` lists them newest first with cursors, by key, and per organization; and a
 * fault injected into the transaction leaves neither the change nor its record.
 */
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '#core/model';
import { auditPk } from '#core/table';
import { useLatchkey } from '../helpers/latchkey';
import { createKey } from '../helpers/local';

const lk = useLatchkey();

type Page = { events: AuditEvent[]; next_cursor: string | null };
type ErrorBody = { error: { code: string; message: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const audit = (query: string, token = lk.admin) =>
  lk.call<Page & ErrorBody>('GET', `/v1/audit${query}`, { token });

describe('every change writes its audit event', () => {
  it('create, edit, disable, enable, rotate, revoke and org changes, newest first, with request ids', async () => {
    const org = 'audited';
    const created = await lk.call<{ key: { id: string } }>('POST', '/v1/keys', {
      token: lk.admin,
      body: { name: 'first', org_id: org, metadata: { plan: 'free' } },
    });
    const id = created.body.key.id;
    const requestIds = [created.headers.get('x-request-id')];
    for (const body of [
      { name: 'second', metadata: { plan: 'pro' } },
      { enabled: false },
      { enabled: true },
    ]) {
      await sleep(2);
      const res = await lk.call('PATCH', `/v1/keys/${id}`, { token: lk.admin, body });
      expect(res.status).toBe(200);
      requestIds.push(res.headers.get('x-request-id'));
    }
    await sleep(2);
    const rotated = await lk.call<{ key: { id: string } }>('POST', `/v1/keys/${id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 0 },
    });
    await sleep(2);
    await lk.call('DELETE', `/v1/keys/${rotated.body.key.id}`, { token: lk.admin });
    await sleep(2);
    await lk.call('PUT', `/v1/orgs/${org}`, { token: lk.admin, body: { max_keys: 7 } });

    const all = await audit(`?org_id=${org}`);
    expect(all.status).toBe(200);
    expect(all.body.events.map((e) => e.type)).toEqual([
      'org.updated',
      'key.revoked',
      expect.stringMatching(/^key\.(rotated|created)$/),
      expect.stringMatching(/^key\.(rotated|created)$/),
      'key.enabled',
      'key.disabled',
      'key.updated',
      'key.created',
    ]);
    const ats = all.body.events.map((e) => e.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    for (const e of all.body.events) {
      expect(Object.keys(e).sort()).toEqual(
        ['actor', 'at', 'changes', 'id', 'key_id', 'org_id', 'request_id', 'type', 'version'].sort(),
      );
      expect(e).toMatchObject({ org_id: org, actor: 'admin' });
    }
    // Each key's events, and the organization's, are numbered 1, 2, 3… in the order they were written.
    const original = all.body.events.filter((e) => e.key_id === id).map((e) => e.version);
    expect(original).toEqual([5, 4, 3, 2, 1]);
    expect(all.body.events.filter((e) => e.key_id === rotated.body.key.id).map((e) => e.version)).toEqual([
      2, 1,
    ]);
    expect(all.body.events[0]?.version).toBe(1);
    const byType = (t: string) => all.body.events.find((e) => e.type === t) as AuditEvent;
    expect(byType('key.updated').changes).toEqual({
      name: { old: 'first', new: 'second' },
      metadata: { old: { plan: 'free' }, new: { plan: 'pro' } },
    });
    expect(byType('key.disabled').changes).toEqual({ enabled: { old: true, new: false } });
    expect(byType('org.updated')).toMatchObject({ key_id: null, changes: { max_keys: { old: 50, new: 7 } } });
    expect(byType('key.rotated').changes.rotated_to).toEqual({ old: null, new: rotated.body.key.id });
    // The request id of each change is the one its response carried.
    expect(all.body.events.slice(-4).map((e) => e.request_id)).toEqual([...requestIds].reverse());
    expect(JSON.stringify(all.body)).not.toMatch(/key_hash|salt|raw_key/);

    // Stored items expire after the audit retention (90 days by default).
    const stored = await lk.local.runtime.dynamo.send(
      new QueryCommand({
        TableName: lk.local.config.tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: auditPk(org) } },
      }),
    );
    for (const item of stored.Items ?? []) {
      const at = Date.parse(item.at?.S ?? '');
      expect(Number(item.ttl?.N)).toBe(Math.floor(at / 1000) + 90 * 86_400);
    }
  });

  it('pages with cursors, filters by key, and keeps each key to its own organization', async () => {
    const org = 'paged';
    const caller = await createKey(lk.call, lk.admin, { org_id: org, roles: ['admin'] });
    const target = await createKey(lk.call, lk.admin, { org_id: org });
    for (let i = 0; i < 4; i++) {
      await sleep(2);
      await lk.call('PATCH', `/v1/keys/${target.id}`, { token: caller.token, body: { name: `n${i}` } });
    }
    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page & ErrorBody } = await audit(
        `?key_id=${target.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        caller.token,
      );
      expect(page.body.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.events);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen.map((e) => e.type)).toEqual([
      'key.updated',
      'key.updated',
      'key.updated',
      'key.updated',
      'key.created',
    ]);
    expect(seen.slice(0, 4).map((e) => e.changes.name?.new)).toEqual(['n3', 'n2', 'n1', 'n0']);
    expect(seen[0]?.actor).toBe(`key:${caller.id}`);

    const outsider = await createKey(lk.call, lk.admin, { org_id: 'elsewhere', roles: ['admin'] });
    expect((await audit(`?key_id=${target.id}`, outsider.token)).status).toBe(404);
    expect((await audit(`?org_id=${org}`, outsider.token)).status).toBe(403);
    expect((await audit('', outsider.token)).body.events.every((e) => e.org_id === 'elsewhere')).toBe(true);
    const viewer = await createKey(lk.call, lk.admin, { org_id: org, roles: ['viewer'] });
    expect((await audit('', viewer.token)).status).toBe(403);
    // The admin key may follow a key across organizations without naming one.
    expect((await audit(`?key_id=${target.id}&limit=1`)).body.events[0]?.org_id).toBe(org);
  });

  it('revoking a key already released (rotated in its grace period, or expired) records key.revoked', async () => {
    const org = 'released';
    const rotated = await createKey(lk.call, lk.admin, { org_id: org });
    const rotation = await lk.call('POST', `/v1/keys/${rotated.id}/rotate`, {
      token: lk.admin,
      body: { grace_period_seconds: 600 },
    });
    expect(rotation.status).toBe(201);
    const expired = await createKey(lk.call, lk.admin, {
      org_id: org,
      expires_at: new Date(Date.now() + 300).toISOString(),
    });
    await sleep(400);
    // Listing the organization releases the expired key's slot.
    expect((await lk.call('GET', `/v1/orgs/${org}`, { token: lk.admin })).body).toMatchObject({
      active_keys: 1,
    });
    for (const k of [rotated, expired]) {
      const res = await lk.call<{ key: { revoked_at: string } }>('DELETE', `/v1/keys/${k.id}`, {
        token: lk.admin,
      });
      expect(res.status).toBe(200);
      const events = (await audit(`?key_id=${k.id}&limit=1`)).body.events;
      expect(events[0]).toMatchObject({
        type: 'key.revoked',
        changes: { revoked_at: { old: null, new: res.body.key.revoked_at } },
      });
    }
  });

  it('a tampered or foreign cursor is 400 invalid_request', async () => {
    const k = await createKey(lk.call, lk.admin, { org_id: 'cursors' });
    await lk.call('PATCH', `/v1/keys/${k.id}`, { token: lk.admin, body: { name: 'x' } });
    const first = await audit('?org_id=cursors&limit=1');
    const cursor = first.body.next_cursor as string;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const tampered = [
      'not-a-cursor',
      Buffer.from(JSON.stringify({ ...decoded, pk: 'AUDIT#other' })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, sk: 5 })).toString('base64url'),
      Buffer.from(JSON.stringify({ ...decoded, extra: 'x' })).toString('base64url'),
    ];
    for (const c of tampered) {
      const res = await audit(`?org_id=cursors&cursor=${c}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message.startsWith('cursor:')).toBe(true);
    }
  });
});

describe('under concurrency: commit order and the values each write replaced', () => {
  it('PATCH, DELETE and PATCH raced on one key list in the order they were committed', async () => {
    const org = 'raced';
    let edited = 0;
    for (let round = 0; round < 8; round++) {
      const k = await createKey(lk.call, lk.admin, { org_id: org, name: 'before' });
      const [first, , second] = await Promise.all([
        lk.call('PATCH', `/v1/keys/${k.id}`, { token: lk.admin, body: { name: 'first' } }),
        lk.call('DELETE', `/v1/keys/${k.id}`, { token: lk.admin }),
        lk.call('PATCH', `/v1/keys/${k.id}`, { token: lk.admin, body: { name: 'second' } }),
      ]);
      const byKey = (await audit(`?key_id=${k.id}`)).body.events;
      const inOrg = (await audit(`?org_id=${org}&limit=100`)).body.events.filter((e) => e.key_id === k.id);
      for (const events of [byKey, inOrg]) {
        // Newest first, numbered without a gap: the listing is the commit order.
        expect(events.map((e) => e.version)).toEqual(events.map((_, i) => events.length - i));
        expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort().reverse());
        // A revoked key cannot be edited: every edit that succeeded was committed before the revoke.
        const updates = events.filter((e) => e.type === 'key.updated');
        expect(updates).toHaveLength([first, second].filter((r) => r.status === 200).length);
        expect(events[0]?.type).toBe('key.revoked');
        expect(events.at(-1)?.type).toBe('key.created');
        // Each edit's old name is the name the previous committed edit left.
        const names = [...updates].reverse().map((e) => e.changes.name);
        expect(names.map((c) => c?.old)).toEqual(
          names.map((_, i) => (i === 0 ? 'before' : names[i - 1]?.new)),
        );
      }
      edited += byKey.length - 2;
    }
    // Some round had an edit committed before the revoke (else the order was never tested).
    expect(edited).toBeGreaterThan(0);
  });

  it('8 concurrent PUT /v1/orgs/{id}: every one applied, each old value the previous new one', async () => {
    const org = 'chained';
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        lk.call('PUT', `/v1/orgs/${org}`, { token: lk.admin, body: { max_keys: i + 1 } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const events = (await audit(`?org_id=${org}`)).body.events;
    expect(events.map((e) => e.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    const chain = [...events].reverse().map((e) => e.changes.max_keys);
    expect(chain[0]?.old).toBe(50);
    chain.forEach((change, i) => {
      if (i > 0) expect(change?.old).toBe(chain[i - 1]?.new);
    });
    expect(new Set(chain.map((c) => c?.new))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    const final = await lk.call('GET', `/v1/orgs/${org}`, { token: lk.admin });
    expect(final.body).toMatchObject({ max_keys: chain.at(-1)?.new });
  });
});

describe('a fault in the transaction leaves neither the change nor its record', () => {
  it.each([
    ['PATCH (disable)', 'PATCH', (id: string) => `/v1/keys/${id}`, { enabled: false }],
    ['DELETE (revoke)', 'DELETE', (id: string) => `/v1/keys/${id}`, undefined],
    ['rotate', 'POST', (id: string) => `/v1/keys/${id}/rotate`, {}],
  ] as const)('%s', async (_, method, path, body) => {
    const org = `fault-${method.toLowerCase()}`;
    const k = await createKey(lk.call, lk.admin, { org_id: org });
    const before = await lk.local.runtime.dynamo.send(
      new GetItemCommand({
        TableName: lk.local.config.tableName,
        Key: { pk: { S: `KEY#${k.id}` }, sk: { S: 'KEY' } },
      }),
    );
    lk.local.runtime.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          throw Object.assign(new Error('injected fault'), { name: 'InternalServerError', $fault: 'server' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failTransactions' },
    );
    let status: number;
    try {
      status = (await lk.call(method, path(k.id), { token: lk.admin, ...(body ? { body } : {}) })).status;
    } finally {
      lk.local.runtime.dynamo.middlewareStack.remove('failTransactions');
    }
    expect(status).toBe(503);
    const after = await lk.local.runtime.dynamo.send(
      new GetItemCommand({
        TableName: lk.local.config.tableName,
        Key: { pk: { S: `KEY#${k.id}` }, sk: { S: 'KEY' } },
      }),
    );
    expect(after.Item).toEqual(before.Item);
    const events = await audit(`?org_id=${org}`);
    expect(events.body.events.map((e) => e.type)).toEqual(['key.created']);
    const keys = await lk.call<{ keys: unknown[] }>('GET', `/v1/keys?org_id=${org}`, { token: lk.admin });
    expect(keys.body.keys).toHaveLength(1);
  });

  it('create: no key and no key.created', async () => {
    const org = 'fault-create';
    lk.local.runtime.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          throw Object.assign(new Error('injected fault'), { name: 'InternalServerError', $fault: 'server' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failCreate' },
    );
    let status: number;
    try {
      status = (await lk.call('POST', '/v1/keys', { token: lk.admin, body: { name: 'x', org_id: org } }))
        .status;
    } finally {
      lk.local.runtime.dynamo.middlewareStack.remove('failCreate');
    }
    expect(status).toBe(503);
    expect((await audit(`?org_id=${org}`)).body.events).toEqual([]);
    expect(
      (await lk.call<{ keys: unknown[] }>('GET', `/v1/keys?org_id=${org}`, { token: lk.admin })).body.keys,
    ).toEqual([]);
  });
});
