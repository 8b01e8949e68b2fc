/**
 * The signed-in session: who the credential is (from `GET /v1/whoami`), which organization the console
 * is looking at, and what the credential may do. Held in memory only, like the credential itself.
 */
import { DEFAULT_ORG, type Permission, type Whoami } from '#core/wire';

export interface Session {
  who: Whoami;
  /** The organization the pages show: the key's own, or the one the admin picked. */
  org: string;
}

let current: Session | null = null;

export function startSession(who: Whoami): Session {
  current = { who, org: who.org_id ?? DEFAULT_ORG };
  return current;
}

export function endSession(): void {
  current = null;
}

export function session(): Session | null {
  return current;
}

export function isAdmin(): boolean {
  return current?.who.principal === 'admin';
}

export function can(permission: Permission): boolean {
  return isAdmin() || (current?.who.permissions.includes(permission) ?? false);
}

/** The org_id query value: only the admin names an organization; a key always acts in its own. */
export function orgQuery(): string | undefined {
  return isAdmin() ? current?.org : undefined;
}

export function setOrg(org: string): void {
  if (current) current.org = org;
}
