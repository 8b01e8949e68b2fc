/**
 * What credential verification (`#core/verify`) needs, built from a runtime the way the authorizer
 * wires it: the usage store on the key table, behind the hot-key layer in bounded mode; the signing
 * secret; the admin key when the runtime has one (its variable is set), re-read at most every 5 s after
 * a mismatch so that a rotated admin key works at once. The authorizer and latchkey/verify both use it.
 */
import { HotKeys } from '#core/hot-keys';
import type { UsageStore } from '#core/usage-store';
import type { VerifierDeps } from '#core/verify';
import { DynamoUsageStore } from '../dynamo/usage';
import type { Runtime } from './runtime';

/** A mismatch re-reads the admin-key secret at most this often. */
export const ADMIN_KEY_REFRESH_MS = 5_000;

export function verifierDeps(runtime: Runtime): VerifierDeps {
  const { config, now } = runtime;
  const store = new DynamoUsageStore({ client: runtime.dynamo, tableName: config.tableName, now });
  // Bounded mode puts the hot-key layer between verification and the store (exact mode: the store alone).
  const usage: UsageStore =
    config.verifyMode === 'bounded' ? new HotKeys(store, { boundMs: config.hotKeyBoundMs, now }) : store;
  const adminKey = runtime.adminKey;
  return {
    tokenPrefixes: config.tokenPrefixes,
    signingProfile: config.signingProfile,
    now,
    ...(adminKey === null
      ? {}
      : { adminKey: adminKey.get, adminKeyRefresh: () => adminKey.refresh(ADMIN_KEY_REFRESH_MS) }),
    signingSecret: runtime.signingSecret.get,
    usage,
  };
}
