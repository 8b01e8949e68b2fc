/**
 * The pure parts of the GitHub secret-scanning endpoint: the key list, the signature over raw bytes, the
 * list's refetch rule, the batch parse, the offline token check, and what each action writes.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  assessLeaks,
  GITHUB_LEAK_ACTOR,
  GithubKeyList,
  githubTokenPattern,
  leakChange,
  leakKeyIds,
  parseGithubKeys,
  parseLeakBatch,
  verifyGithubSignature,
} from '#core/github-leaks';
import { formatToken } from '#core/token';
import { leakSettingsFrom } from '#lambda/handlers/leaks';
import { keyRecord } from '../helpers/records';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (k: ReturnType<typeof pair>) => k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

describe('parseGithubKeys', () => {
  it('keeps P-256 public keys by id and leaves out anything else', () => {
    const good = pair();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keys = parseGithubKeys({
      public_keys: [
        { key_identifier: 'good', key: pem(good), is_current: true },
        { key_identifier: 'rsa', key: rsa.publicKey.export({ type: 'spki', format: 'pem' }) },
        { key_identifier: 'junk', key: 'not a key' },
        { key: pem(good) },
      ],
    });
    expect([...keys.keys()]).toEqual(['good']);
    expect(() => parseGithubKeys({ keys: [] })).toThrow(/public_keys/);
  });
});

describe('verifyGithubSignature', () => {
  const k = pair();
  const key = parseGithubKeys({ public_keys: [{ key_identifier: 'k', key: pem(k) }] }).get('k');
  const body = Buffer.from('[{"token":"x","type":"t"}]');
  const signature = sign('sha256', body, k.privateKey).toString('base64');

  it('accepts the signature of these exact bytes only', () => {
    if (!key) throw new Error('no key');
    expect(verifyGithubSignature(body, signature, key)).toBe(true);
    expect(verifyGithubSignature(Buffer.from(`${body} `), signature, key)).toBe(false);
    expect(verifyGithubSignature(body, 'not base64!', key)).toBe(false);
    expect(verifyGithubSignature(body, Buffer.from('short').toString('base64'), key)).toBe(false);
    expect(verifyGithubSignature(body, sign('sha256', body, pair().privateKey).toString('base64'), key)).toBe(
      false,
    );
  });
});

describe('GithubKeyList', () => {
  it('fetches once, again for an unknown id only after the interval, and never caches a failure', async () => {
    const a = pair();
    const b = pair();
    let list = [{ key_identifier: 'a', key: pem(a) }];
    let fetches = 0;
    let fail = false;
    let now = 0;
    const keys = new GithubKeyList({
      fetchKeys: async () => {
        fetches++;
        if (fail) throw new Error('down');
        return { public_keys: list };
      },
      now: () => now,
      refetchIntervalMs: 1000,
    });
    expect(await keys.keyFor('a')).not.toBeNull();
    expect(await keys.keyFor('a')).not.toBeNull();
    expect(fetches).toBe(1);
    list = [...list, { key_identifier: 'b', key: pem(b) }];
    expect(await keys.keyFor('b')).toBeNull();
    expect(fetches).toBe(1);
    now = 1000;
    fail = true;
    await expect(keys.keyFor('b')).rejects.toThrow('down');
    fail = false;
    expect(await keys.keyFor('b')).not.toBeNull();
    expect(fetches).toBe(3);
  });
});

describe('parseLeakBatch', () => {
  it('takes an array of {token, type, url?, source?} and nothing else', () => {
    expect(parseLeakBatch('[{"token":"t","type":"x","url":"u"}]')).toEqual([
      { token: 't', type: 'x', url: 'u', source: '' },
    ]);
    for (const junk of [
      '',
      '{}',
      '[1]',
      '[{"token":1,"type":"x"}]',
      'nope',
      JSON.stringify(Array(1001).fill({ token: 't', type: 'x' })),
    ])
      expect(parseLeakBatch(junk), junk.slice(0, 20)).toBeNull();
  });
});

describe('assessLeaks', () => {
  const token = formatToken('lk', '3hQx9TmP2wLk8ZrA', 'S'.repeat(43));
  const record = keyRecord({ key_hash: sha256(token) });
  const match = (t: string) => ({
    token: t,
    type: 'lk_api_key',
    url: 'https://github.com/x',
    source: 'content',
  });

  it('is a true positive only for a token whose hash matches its key, once per key', () => {
    const wrong = formatToken('lk', record.id, 'T'.repeat(43));
    const otherPrefix = formatToken('acme', record.id, 'S'.repeat(43));
    const matches = [match(token), match(wrong), match(otherPrefix), match(token), match('junk')];
    expect(leakKeyIds(matches, ['lk'])).toEqual([record.id]);
    const { feedback, confirmed } = assessLeaks(matches, ['lk'], new Map([[record.id, record]]));
    expect(feedback.map((f) => f.label)).toEqual([
      'true_positive',
      'false_positive',
      'false_positive',
      'true_positive',
      'false_positive',
    ]);
    expect(feedback[0]).toEqual({
      token_hash: sha256(token),
      token_type: 'lk_api_key',
      label: 'true_positive',
    });
    expect(confirmed.map((c) => c.record.id)).toEqual([record.id]);
  });

  it('the pattern to register matches the deployment’s tokens whole', () => {
    expect(new RegExp(`^${githubTokenPattern('lk')}$`).test(token)).toBe(true);
    expect(new RegExp(`^${githubTokenPattern('lk')}$`).test(`${token}x`)).toBe(false);
  });
});

describe('leakChange', () => {
  const ctx = { actor: GITHUB_LEAK_ACTOR, requestId: 'r1', nowMs: Date.parse('2026-01-01T00:00:00Z') };
  const leak = (over = {}) => ({ record: keyRecord(over), url: 'https://github.com/x', source: 'content' });

  it('disable: key.leaked then key.disabled, sequenced on the key’s trail', () => {
    const change = leakChange(leak({ audit_version: 4, audit_at_ms: 1 }), 'disable', ctx);
    if (change.kind === 'none') throw new Error('no change');
    expect(change.kind).toBe('update');
    expect(change.next.disabled_at).toBe('2026-01-01T00:00:00.000Z');
    expect(change.events.map((e) => [e.type, e.version, e.actor])).toEqual([
      ['key.leaked', 5, GITHUB_LEAK_ACTOR],
      ['key.disabled', 6, GITHUB_LEAK_ACTOR],
    ]);
    expect(change.next.audit_version).toBe(6);
  });

  it('revoke, notify, an already disabled key, a rotating key, a revoked key', () => {
    const revoke = leakChange(leak(), 'revoke', ctx);
    expect(revoke.kind === 'revoke' && revoke.events.map((e) => e.type)).toEqual([
      'key.leaked',
      'key.revoked',
    ]);
    const notify = leakChange(leak(), 'notify', ctx);
    expect(notify.kind === 'update' && [notify.next.disabled_at, notify.events.length]).toEqual([null, 1]);
    const disabled = leakChange(leak({ disabled_at: '2025-06-01T00:00:00.000Z' }), 'disable', ctx);
    expect(disabled.kind === 'update' && disabled.events.map((e) => e.type)).toEqual(['key.leaked']);
    const rotating = leakChange(
      leak({ released: true, rotated_to: 'x', expires_at_ms: ctx.nowMs + 60_000 }),
      'disable',
      ctx,
    );
    expect(rotating.kind).toBe('revoke');
    expect(leakChange(leak({ revoked_at: '2025-06-01T00:00:00.000Z' }), 'disable', ctx).kind).toBe('none');
  });
});

describe('leakSettingsFrom', () => {
  it('checks leaked tokens against every accepted prefix, not only the one new keys get', () => {
    expect(leakSettingsFrom({ LATCHKEY_TOKEN_PREFIX: 'acme,lk' }).tokenPrefixes).toEqual(['acme', 'lk']);
    expect(leakSettingsFrom({}).tokenPrefixes).toEqual(['lk']);
  });
});
