/**
 * Who a request is (the admin key, or an API key with its organization and frozen permissions), what
 * that principal may call (the methods of each route), the flat authorizer context that carries it to
 * the integrations and back, and the management core's permission checks.
 */
import type { CredentialScheme } from './credentials';
import { ApiError } from './errors';
import { isPermission, PERMISSIONS, type Permission } from './permissions';
import { type HttpMethod, READ_METHODS, type Route, WRITE_METHODS } from './routes';

export type Principal =
  | { type: 'admin'; permissions: readonly Permission[] }
  | { type: 'key'; keyId: string; orgId: string; permissions: readonly Permission[] };

export const ADMIN_PRINCIPAL: Principal = { type: 'admin', permissions: PERMISSIONS };

/** The methods a principal may call on a route (empty when none). */
export function allowedMethods(principal: Principal, route: Pick<Route, 'method' | 'needs'>): HttpMethod[] {
  const methods: readonly HttpMethod[] =
    route.method === 'ANY' ? [...READ_METHODS, ...WRITE_METHODS] : [route.method];
  const has = (p: Permission) => principal.permissions.includes(p);
  switch (route.needs) {
    case 'admin':
      return principal.type === 'admin' ? [...methods] : [];
    case 'authenticated':
      return [...methods];
    case 'public':
      // No authorizer runs for public routes: nothing to allow.
      return [];
    case 'application':
      return methods.filter((m) => has(READ_METHODS.includes(m) ? 'api:read' : 'api:write'));
    default:
      // The admin key may call every route, whatever permission a role matrix gives it.
      return principal.type === 'admin' || has(route.needs) ? [...methods] : [];
  }
}

/**
 * The authorizer context: flat strings only, as API Gateway requires. Read back by the Lambdas
 * behind the gateway and by the gateway responses' templates.
 */
export interface AuthorizerContext {
  [key: string]: string;
  principal: 'admin' | 'key';
  key_id: string;
  org_id: string;
  permissions: string;
  /** Used by the ACCESS_DENIED gateway response body. */
  error_code: string;
  error_message: string;
  retry_after: string;
  /** The `RateLimit` and `RateLimit-Policy` field values of a rate-limited Deny (`rate-limit-fields.ts`). */
  ratelimit: string;
  ratelimit_policy: string;
  /** `bearer`, `armor` or `rfc9421`: integrations check Content-Digest against the body for the signed two. */
  auth_scheme: string;
}

export const FORBIDDEN_MESSAGE = 'This credential is not allowed to call this route.';

export function principalContext(
  principal: Principal,
  scheme: CredentialScheme = 'bearer',
): AuthorizerContext {
  return {
    principal: principal.type,
    key_id: principal.type === 'key' ? principal.keyId : '',
    org_id: principal.type === 'key' ? principal.orgId : '',
    permissions: principal.permissions.join(','),
    error_code: 'forbidden',
    error_message: FORBIDDEN_MESSAGE,
    retry_after: '',
    ratelimit: '',
    ratelimit_policy: '',
    auth_scheme: scheme,
  };
}

/** Reads the principal back from the authorizer context API Gateway passes to integrations. */
export function principalFromContext(
  ctx: Readonly<Record<string, unknown>> | null | undefined,
): Principal | null {
  if (!ctx) return null;
  const perms =
    typeof ctx.permissions === 'string' && ctx.permissions !== '' ? ctx.permissions.split(',') : [];
  const permissions = perms.filter(isPermission);
  if (ctx.principal === 'admin') return ADMIN_PRINCIPAL;
  if (
    ctx.principal === 'key' &&
    typeof ctx.key_id === 'string' &&
    typeof ctx.org_id === 'string' &&
    ctx.key_id
  ) {
    return { type: 'key', keyId: ctx.key_id, orgId: ctx.org_id, permissions };
  }
  return null;
}

/** A 403 unless the principal holds the permission (the management core's second line of defence). */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.includes(permission)) {
    throw new ApiError('forbidden', `This credential lacks the ${permission} permission.`);
  }
}

/** A 403 unless the principal is the admin key (organizations are the admin's to manage). */
export function requireAdmin(principal: Principal): void {
  if (principal.type !== 'admin')
    throw new ApiError('forbidden', 'Only the admin key can manage organizations.');
}
