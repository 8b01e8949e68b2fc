/**
 * Named plans: a deployment may define plans with key limits (the `plans` setting, e.g.
 * `{"trial": 1, "starter": 3, "enterprise": null}`, null = unlimited). An organization put on a plan
 * stores the plan's name, not its number, so when the operator changes the setting every organization on
 * that plan follows the new limit; its effective limit is resolved at each use. An organization whose
 * stored plan the setting no longer defines falls back to the deployment's default limit. Pure.
 */
import { ValidationError } from './errors';
import { integerRangeText, MAX_KEYS } from './settings';

/** Plan name → key limit (null = unlimited). */
export type PlanTable = Readonly<Record<string, number | null>>;

export const PLAN_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Each plan is a clause of the create-key condition expression; keep it small. */
export const MAX_PLANS = 20;

/** Validates the `plans` setting; throws an Error naming the offending plan. */
export function parsePlans(value: unknown): PlanTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('plans must be a JSON object of plan name to key limit (a number, or null)');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PLANS) throw new Error(`at most ${MAX_PLANS} plans`);
  const plans: Record<string, number | null> = {};
  for (const [name, limit] of entries) {
    if (!PLAN_NAME_RE.test(name)) {
      throw new Error(`plan ${JSON.stringify(name)}: names are 1-32 lowercase letters, digits, '-' or '_'`);
    }
    const ok =
      limit === null ||
      (typeof limit === 'number' &&
        Number.isInteger(limit) &&
        limit >= MAX_KEYS.min &&
        limit <= MAX_KEYS.max);
    if (!ok)
      throw new Error(
        `plan ${name}: the limit must be ${integerRangeText(MAX_KEYS.min, MAX_KEYS.max)}, or null`,
      );
    plans[name] = limit as number | null;
  }
  return plans;
}

/**
 * An organization's effective key limit: its plan's when it is on a plan the deployment defines, the
 * deployment default when its plan is no longer defined, else its own limit (`own`, undefined when
 * never set → the default).
 */
export function effectiveMaxKeys(
  plan: string | null,
  own: number | null | undefined,
  plans: PlanTable,
  defaultMaxKeys: number,
): number | null {
  if (plan !== null) return Object.hasOwn(plans, plan) ? (plans[plan] ?? null) : defaultMaxKeys;
  return own === undefined ? defaultMaxKeys : own;
}

/** The key limit of a plan the deployment defines (null = unlimited); a 400 naming `plan` otherwise. */
export function planLimit(plans: PlanTable, name: string): number | null {
  if (!Object.hasOwn(plans, name)) {
    const known = Object.keys(plans);
    throw new ValidationError(
      'plan',
      `plan: ${known.length === 0 ? 'this deployment defines no plans' : `must be one of ${known.join(', ')}`}`,
    );
  }
  return plans[name] ?? null;
}
