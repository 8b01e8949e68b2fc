import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/index';
import { LatchkeyClient } from '#sdk/index';
import { type ScriptedServer, startScriptedServer } from './proxy';

/**
 * The key goes only to baseUrl's origin and path prefix: paths that URL parsing would resolve to
 * another host (`/\host`, `/<tab>/host`) or above the stage (`/../x`) are refused by the SDK and the CLI
 * before anything is sent. A second server stands where such a path would lead and must receive nothing.
 */
let home: ScriptedServer;
let other: ScriptedServer;
const KEY = 'lk_0123456789abcdefgh_0123456789abcdefghijklmnopqrstuvwxy';

beforeAll(async () => {
  home = await startScriptedServer(() => ({ status: 200, body: '{}' }));
  other = await startScriptedServer(() => ({ status: 200, body: '{}' }));
});
afterAll(async () => {
  await home?.close();
  await other?.close();
});

/** Paths that escape baseUrl's origin (towards the other server) or its path prefix. */
function escapes(): string[] {
  const host = new URL(other.url).host;
  return [`/\\${host}/x`, `/\\\\${host}/x`, `/\t/${host}/x`, `/\n/${host}/x`, `/\\@${host}/x`, `/\\${host}`];
}

describe('client.fetch', () => {
  it('refuses a path that leaves the origin, and sends nothing anywhere', async () => {
    const client = new LatchkeyClient({ baseUrl: home.url, key: KEY, retries: 0 });
    for (const path of escapes()) {
      await expect(client.fetch(path), JSON.stringify(path)).rejects.toThrow(/outside the base URL/);
    }
    expect(other.requests).toEqual([]);
    expect(home.requests).toEqual([]);
  });

  it('refuses a path that climbs above the base path (the stage)', async () => {
    const client = new LatchkeyClient({ baseUrl: `${home.url}/prod`, key: KEY, retries: 0 });
    for (const path of ['/../x', '/%2e%2e/x', '/.%2E/admin', '/x/../../y', '/\\..\\..\\x']) {
      await expect(client.fetch(path), JSON.stringify(path)).rejects.toThrow(/outside the base URL/);
    }
    expect(home.requests).toEqual([]);
    // Within the prefix, dot segments and backslashes are the server's business.
    await client.fetch('/v1/echo/a/../b');
    await client.fetch('/v1/echo/\\x');
    expect(home.requests.map((r) => r.url)).toEqual(['/prod/v1/echo/b', '/prod/v1/echo//x']);
    expect(other.requests).toEqual([]);
  });
});

describe('latchkey request', () => {
  it('is a usage error for a path outside the base URL, and sends nothing', async () => {
    for (const path of escapes()) {
      let stderr = '';
      const code = await main(['request', 'GET', path], {
        stdout: () => undefined,
        stderr: (text) => {
          stderr += text;
        },
        env: { LATCHKEY_URL: home.url, LATCHKEY_KEY: KEY },
        stdin: () => '',
      });
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(/^latchkey: usage_error: .*outside the base URL/);
    }
    expect(other.requests).toEqual([]);
    expect(home.requests.filter((r) => !r.url.startsWith('/prod/'))).toEqual([]);
  });
});
