import { createHash } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '#core/base62';
import { signRequest } from '#core/signer';
import { formatToken, newKeyId } from '#core/token';
import { createAuthorizerHandler } from '#lambda/handlers/authorizer';
import { echo } from '#lambda/handlers/echo';
import { createManagementHandler } from '#lambda/handlers/management';
import { createRuntime } from '#lambda/runtime/runtime';
import { SIGNING_SECRET_NAME } from '#local/constants';
import { startLocalGateway } from '#local/gateway';
import type { LocalMode } from '#local/local-mode';
import { type ApiResponse, type Call, client, startTestLatchkey } from '../helpers/local';
import { API_TYPES, REFUSALS, type RefusalKind } from '../helpers/refusals';
import { FAULTS, type FaultSwitch, faultyDynamo, sleep } from './support';

/**
 * Log hygiene over a representative full flow in one process: admin operations, bearer and signed
 * traffic, rotation, revocation, rate limiting, every kind of refusal and a dependency failure, with
 * every write to stdout and stderr and every console call captured from before local mode starts.
 * No token, token secret, admin key, signing master secret, signature or token hash may appear in
 * any of it. (test/integration/signed.test.ts checks its own file; this covers the whole flow.) The
 * flow runs behind each API type, whose refusals are its own.
 */
describe.each(API_TYPES)('%s API', (apiType) => {
  const refusal = (kind: RefusalKind) => REFUSALS[apiType][kind].status;
  const lines: string[] = [];
  const secrets = new Map<string, string>(); // value → what it is
  const originals = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
    console: { ...console },
  };

  function remember(what: string, value: string | undefined): void {
    if (value) secrets.set(value, what);
  }

  function rememberToken(token: string): void {
    remember('token', token);
    const tail = token.split('_')[2] as string;
    remember('token secret+checksum', tail);
    remember('token secret', tail.slice(0, 43));
    remember('token sha-256', createHash('sha256').update(token).digest('hex'));
  }

  function startCapture(): void {
    const capture = (real: typeof originals.out) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const real = originals.console[method];
      console[method] = (...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        real(...args);
      };
    }
  }

  function stopCapture(): void {
    process.stdout.write = originals.out as typeof process.stdout.write;
    process.stderr.write = originals.err as typeof process.stderr.write;
    Object.assign(console, originals.console);
  }

  let local: LocalMode;
  let call: Call;

  beforeAll(async () => {
    startCapture();
    local = await startTestLatchkey({ apiType, settings: { LATCHKEY_SECRET_CACHE_SECONDS: '1' } });
    call = client(local.url, { apiType });
    remember('admin key', local.adminKey);
    const sm = new SecretsManagerClient({
      endpoint: local.secretsEndpoint,
      credentials: local.secretsCredential,
    });
    const master = await sm.send(new GetSecretValueCommand({ SecretId: SIGNING_SECRET_NAME }));
    sm.destroy();
    remember('signing master secret', master.SecretString);
  });
  afterAll(async () => {
    stopCapture();
    await local.stop();
  });

  async function create(body: Record<string, unknown>, token = local.adminKey) {
    const res = await call<{ key: { id: string }; raw_key: string }>('POST', '/v1/keys', { token, body });
    expect(res.status, res.text).toBe(201);
    rememberToken(res.body.raw_key);
    return { id: res.body.key.id, token: res.body.raw_key };
  }

  function signed(
    token: string,
    method: string,
    path: string,
    body?: string,
    o: { timestamp?: number } = {},
  ) {
    const h = signRequest({ token, method, path, ...(body !== undefined ? { body } : {}), ...o });
    remember('signature', h.authorization.split(':')[1]);
    return {
      authorization: h.authorization,
      send: (
        overrides: { path?: string; body?: string; digest?: string | null } = {},
      ): Promise<ApiResponse> => {
        const digest = overrides.digest === undefined ? h.contentDigest : overrides.digest;
        const sendBody = overrides.body ?? body;
        return call(method, overrides.path ?? path, {
          authorization: h.authorization,
          headers: digest ? { 'content-digest': digest } : {},
          ...(sendBody !== undefined ? { rawBody: sendBody } : {}),
        });
      },
    };
  }

  describe('log hygiene over a full flow', () => {
    it('no secret in play appears in any log line or console output', async () => {
      const admin = local.adminKey;
      const expectStatus = async (p: Promise<ApiResponse>, status: number) => {
        const res = await p;
        expect(res.status, res.text).toBe(status);
        return res;
      };

      // Admin operations.
      const member = await create({ name: 'member' });
      const viewer = await create({ name: 'viewer', roles: ['viewer'] });
      const manager = await create({ name: 'manager', roles: ['admin'] });
      const limited = await create({ name: 'limited', rate_limit_per_minute: 1 });
      const expiring = await create({
        name: 'expiring',
        expires_at: new Date(Date.now() + 1_000).toISOString(),
      });
      await expectStatus(call('GET', '/v1/keys?limit=10', { token: admin }), 200);
      await expectStatus(call('GET', `/v1/keys/${member.id}`, { token: admin }), 200);
      await expectStatus(call('PUT', '/v1/orgs/hygiene', { token: admin, body: { max_keys: 3 } }), 200);
      await expectStatus(call('GET', '/v1/orgs/hygiene', { token: admin }), 200);
      await expectStatus(call('GET', '/v1/whoami', { token: admin }), 200);

      // Bearer traffic.
      await expectStatus(call('GET', '/v1/echo/a', { token: member.token }), 200);
      await expectStatus(call('POST', '/v1/echo/a', { token: member.token, body: { x: 1 } }), 200);
      await expectStatus(call('GET', '/v1/echo/a', { token: viewer.token }), 200);
      await expectStatus(
        call('POST', '/v1/echo/a', { token: viewer.token, body: {} }),
        refusal('forbidden_route'),
      );
      await expectStatus(call('GET', '/v1/keys', { token: member.token }), refusal('forbidden_route'));

      // Signed traffic, including a key managing keys with a signed request.
      await expectStatus(signed(member.token, 'GET', '/v1/echo/s').send(), 200);
      await expectStatus(signed(member.token, 'POST', '/v1/echo/s', '{"sku":"A-1"}').send(), 200);
      const signedCreate = signed(
        manager.token,
        'POST',
        '/v1/keys',
        JSON.stringify({ name: 'made by a key' }),
      );
      const made = await expectStatus(signedCreate.send(), 201);
      rememberToken((made.body as { raw_key: string }).raw_key);

      // Signed refusals.
      const once = signed(member.token, 'GET', '/v1/echo/once');
      await expectStatus(once.send(), 200);
      await expectStatus(once.send(), refusal('bad_credential')); // replay
      await expectStatus(
        signed(member.token, 'GET', '/v1/echo/p').send({ path: '/v1/echo/q' }),
        refusal('bad_credential'),
      );
      // The digest verifies; the body does not match it: the integration's own 401, behind either API.
      await expectStatus(
        signed(member.token, 'POST', '/v1/echo/b', '{"a":1}').send({ body: '{"a":2}' }),
        401,
      );
      await expectStatus(
        signed(member.token, 'POST', '/v1/echo/b', '{"a":1}').send({ digest: null }),
        refusal('bad_credential'),
      );
      await expectStatus(
        signed(member.token, 'GET', '/v1/echo/t', undefined, {
          timestamp: Math.floor(Date.now() / 1000) - 400,
        }).send(),
        refusal('bad_credential'),
      );
      const other = signed(viewer.token, 'GET', '/v1/echo/k');
      await expectStatus(
        call('GET', '/v1/echo/k', { authorization: other.authorization.replace(viewer.id, member.id) }),
        refusal('bad_credential'),
      );

      // Bearer refusals.
      const wrongSecret = formatToken('lk', member.id, randomBase62(43));
      rememberToken(wrongSecret);
      const unknown = formatToken('lk', newKeyId(), randomBase62(43));
      rememberToken(unknown);
      const wrongAdmin = randomBase62(48);
      remember('wrong admin key', wrongAdmin);
      for (const authorization of [
        `Bearer ${wrongSecret}`,
        `Bearer ${unknown}`,
        `Bearer ${member.token.slice(0, -1)}${member.token.endsWith('A') ? 'B' : 'A'}`,
        `Bearer ${wrongAdmin}`,
        `Token ${member.token}`,
        `Basic ${Buffer.from(`user:${member.token}`).toString('base64')}`,
        `Bearer ${member.token} extra`,
      ]) {
        await expectStatus(call('GET', '/v1/echo/r', { authorization }), refusal('bad_credential'));
      }
      remember('basic credentials', Buffer.from(`user:${member.token}`).toString('base64'));

      // Rate limit, expiry.
      await expectStatus(call('GET', '/v1/echo/rl', { token: limited.token }), 200);
      await expectStatus(call('GET', '/v1/echo/rl', { token: limited.token }), refusal('rate_limited'));
      await sleep(1_100);
      await expectStatus(call('GET', '/v1/echo/x', { token: expiring.token }), refusal('bad_credential'));

      // Rotation (grace 0 and with grace), revocation.
      const r0 = await expectStatus(
        call('POST', `/v1/keys/${viewer.id}/rotate`, { token: admin, body: { grace_period_seconds: 0 } }),
        201,
      );
      const viewer2 = (r0.body as { raw_key: string }).raw_key;
      rememberToken(viewer2);
      await expectStatus(call('GET', '/v1/echo/v', { token: viewer.token }), refusal('bad_credential'));
      await expectStatus(call('GET', '/v1/echo/v', { token: viewer2 }), 200);
      const r1 = await expectStatus(
        call('POST', `/v1/keys/${member.id}/rotate`, { token: admin, body: { grace_period_seconds: 60 } }),
        201,
      );
      rememberToken((r1.body as { raw_key: string }).raw_key);
      await expectStatus(call('GET', '/v1/echo/m', { token: member.token }), 200);
      await expectStatus(call('DELETE', `/v1/keys/${manager.id}`, { token: admin }), 200);
      await expectStatus(call('GET', '/v1/echo/m', { token: manager.token }), refusal('bad_credential'));
      await expectStatus(signed(manager.token, 'GET', '/v1/echo/m').send(), refusal('bad_credential'));
      await expectStatus(call('POST', '/v1/keys', { token: admin, body: { name: 'x', bogus: 1 } }), 400);

      // A dependency failure on every path (DynamoDB throttled below the SDK's retries).
      const fault: FaultSwitch = {
        rate: 1,
        fault: FAULTS.internalServerError ?? null,
        attempts: 0,
        injected: 0,
      };
      const runtime = createRuntime(local.config, {
        secrets: local.secretsClient,
        dynamo: faultyDynamo(local, fault),
      });
      const broken = await startLocalGateway({
        apiType,
        authorizer: createAuthorizerHandler(runtime),
        integrations: { management: createManagementHandler(runtime), echo } as Parameters<
          typeof startLocalGateway
        >[0]['integrations'],
      });
      try {
        const b = client(broken.url, { apiType });
        const m2 = (r1.body as { raw_key: string }).raw_key;
        await expectStatus(b('GET', '/v1/echo/f', { token: m2 }), refusal('dependency_failure'));
        const h = signRequest({ token: m2, method: 'GET', path: '/v1/echo/f' });
        remember('signature', h.authorization.split(':')[1]);
        await expectStatus(
          b('GET', '/v1/echo/f', { authorization: h.authorization }),
          refusal('dependency_failure'),
        );
        await expectStatus(b('GET', '/v1/keys', { token: admin }), 503);
      } finally {
        await broken.close();
      }

      // The assertions, over everything captured since before local mode started.
      const text = lines.join('');
      const jsonLines = text.split('\n').filter((l) => l.startsWith('{"level"'));
      expect(jsonLines.length).toBeGreaterThan(40);
      const levels = new Set(jsonLines.map((l) => /"level":"([A-Z]+)"/.exec(l)?.[1]));
      expect([...levels].sort()).toEqual(['ERROR', 'INFO', 'WARN']);
      expect(text).toContain('"audit"');
      expect(secrets.size).toBeGreaterThan(40);
      const leaks: string[] = [];
      for (const [value, what] of secrets) {
        if (text.includes(value)) leaks.push(`${what} (${value.slice(0, 4)}…)`);
      }
      expect(leaks).toEqual([]);
      expect(text).not.toMatch(/lk_[A-Za-z0-9]{16}_[A-Za-z0-9]{49}/);
      expect(text).not.toMatch(/ARMOR-PSK [A-Za-z0-9]{16}:[A-Za-z0-9+/]{86}==/);
    });
  });
});
