import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/net';
import { type Call, client, createKey } from '../helpers/local';
import { type StartedProcess, startLocalProcess, waitForLine } from '../helpers/process';
import { API_TYPES, REFUSALS } from '../helpers/refusals';
import { signedCall, sleep } from './support';

/**
 * Durability of local mode: keys are created (some while the process is killed), `npm start`'s
 * process is killed hard (SIGKILL: no shutdown hook runs, so its DynamoDB Local JVM is left
 * running), and a plain restart on the same data directory must stop that JVM, start, and serve every
 * key whose creation was acknowledged, with its state (revoked, rotated, usage) intact, and the same
 * admin key. It runs once per API type (`LATCHKEY_API_TYPE`), each on its own data directory.
 */

const start = startLocalProcess;
type Started = StartedProcess;

/** Waits for the ready line; on failure shows stdout and stderr together. */
async function waitForListening(s: Started, timeoutMs = 90_000): Promise<void> {
  await waitForLine(s, /latchkey listening on http:\/\/\S+/, timeoutMs);
}

/** Pids of DynamoDB Local JVMs started with `-port <port>`, found through /proc. */
function jvmsOnPort(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    const at = cmdline.indexOf('-port');
    if (cmdline.some((a) => a.endsWith('DynamoDBLocal.jar')) && at >= 0 && cmdline[at + 1] === String(port)) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killHard(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
}

describe.each(API_TYPES)('%s API', (apiType) => {
  const refused = REFUSALS[apiType].bad_credential.status;
  let dataDir: string;
  let env: Record<string, string>;
  /** JVMs found alive after `npm start` was killed hard, and whether they blocked a restart. */
  const orphanedAfterKill: number[] = [];
  let ddbPort: number;
  const started: Started[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-durability-'));
    ddbPort = await freePort();
    env = {
      PORT: String(await freePort()),
      LATCHKEY_SECRETS_PORT: String(await freePort()),
      LATCHKEY_DYNAMODB_PORT: String(ddbPort),
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DEFAULT_RATE_LIMIT: '100000',
      LATCHKEY_DEFAULT_MAX_KEYS: '1000',
      LATCHKEY_API_TYPE: apiType,
    };
  });

  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await killHard(jvmsOnPort(ddbPort));
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('local mode killed hard', () => {
    it('keeps every acknowledged key, its state and the admin key across SIGKILL and a restart', async () => {
      const first = start(env);
      started.push(first);
      await waitForListening(first);
      const url = `http://127.0.0.1:${env.PORT}`;
      const adminKey = /Admin key \(generated now, shown once here\): (\S+)/.exec(first.output())?.[1];
      expect(adminKey).toBeDefined();
      const admin = adminKey as string;
      const call: Call = client(url, { apiType });

      // Keys in every state.
      const keys = [];
      for (let i = 0; i < 12; i++) keys.push(await createKey(call, admin, { name: `durable ${i}` }));
      const revoked = keys.slice(0, 2);
      const rotatedOld = keys.slice(2, 4);
      for (const k of revoked)
        expect((await call('DELETE', `/v1/keys/${k.id}`, { token: admin })).status).toBe(200);
      const rotatedNew: Array<{ id: string; token: string }> = [];
      for (const k of rotatedOld) {
        const res = await call<{ key: { id: string }; raw_key: string }>('POST', `/v1/keys/${k.id}/rotate`, {
          token: admin,
          body: { grace_period_seconds: 0 },
        });
        expect(res.status).toBe(201);
        rotatedNew.push({ id: res.body.key.id, token: res.body.raw_key });
      }
      const active = [...keys.slice(4), ...rotatedNew];
      const uses = new Map<string, number>();
      for (const [i, k] of active.entries()) {
        const n = 1 + (i % 3);
        for (let j = 0; j < n; j++) {
          const res =
            j % 2 === 0
              ? await call('GET', '/v1/echo/durable', { token: k.token })
              : await signedCall(call, k.token, 'GET', '/v1/echo/durable');
          expect(res.status).toBe(200);
        }
        uses.set(k.id, n);
      }

      // Creates keep streaming while the process is killed: every acknowledged one must survive.
      const acknowledged: Array<{ id: string; token: string }> = [];
      let streaming = true;
      const stream = (async () => {
        for (let i = 0; streaming; i++) {
          try {
            const res = await call<{ key: { id: string }; raw_key: string }>('POST', '/v1/keys', {
              token: admin,
              body: { name: `in flight ${i}` },
            });
            if (res.status === 201) acknowledged.push({ id: res.body.key.id, token: res.body.raw_key });
          } catch {
            return; // the server is gone
          }
        }
      })();
      await sleep(500);
      const jvmsBefore = jvmsOnPort(ddbPort);
      expect(jvmsBefore).toHaveLength(1);
      first.child.kill('SIGKILL');
      await first.exited;
      streaming = false;
      await stream;
      expect(acknowledged.length).toBeGreaterThan(0);

      // The JVM outlives its parent (no exit hook runs on SIGKILL) and still holds its port; the next
      // `npm start` on the same data folder finds it through the pid file and stops it first.
      const orphans = jvmsOnPort(ddbPort).filter(alive);
      orphanedAfterKill.push(...orphans);
      expect(orphans).toEqual(jvmsBefore);

      const second = start(env);
      started.push(second);
      await waitForListening(second);
      expect(second.output()).not.toMatch(/generated now/);
      try {
        // The same admin key, read back from the persisted local secrets.
        expect((await call('GET', '/v1/whoami', { token: admin })).status).toBe(200);
        for (const k of [...active, ...acknowledged]) {
          expect((await call('GET', '/v1/echo/after-restart', { token: k.token })).status, k.id).toBe(200);
          expect((await signedCall(call, k.token, 'GET', '/v1/echo/after-restart')).status, k.id).toBe(200);
        }
        for (const k of [...revoked, ...rotatedOld]) {
          expect((await call('GET', '/v1/echo/after-restart', { token: k.token })).status, k.id).toBe(
            refused,
          );
        }
        for (const k of active) {
          const got = await call<{ key: { calls: number; status: string } }>('GET', `/v1/keys/${k.id}`, {
            token: admin,
          });
          // Usage before the kill, plus the two calls just made.
          expect(got.body.key).toMatchObject({ status: 'active', calls: (uses.get(k.id) as number) + 2 });
        }
        for (const k of revoked) {
          const got = await call<{ key: { status: string } }>('GET', `/v1/keys/${k.id}`, { token: admin });
          expect(got.body.key.status).toBe('revoked');
        }
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
      // A clean stop leaves no JVM behind.
      expect(jvmsOnPort(ddbPort).filter(alive)).toEqual([]);
    }, 180_000);

    it('a restart after a hard kill stops the JVM left behind instead of refusing to start', () => {
      expect(orphanedAfterKill.length).toBeGreaterThan(0);
      for (const pid of orphanedAfterKill) expect(alive(pid)).toBe(false);
    });
  });
});
