/**
 * The organization-limit condition of the create-key transaction (`dynamo-keys.ts`): the condition on
 * the organization item that holds the count of active keys, so the effective limit is enforced by
 * DynamoDB in the same transaction as the key's creation and holds under any number of concurrent
 * creates. The effective limit is resolved inside the expression: an organization on a plan (`plan`
 * set) is held to that plan's limit in the `plans` setting of this deployment (so changing the setting
 * moves every organization on the plan), or to the default limit when its plan is no longer defined;
 * any other organization to its own `max_keys`, or to the default when it has none. No I/O.
 */
import type { PlanTable } from '#core/plans';
import { ORG_ATTRIBUTES } from '#core/table';
import { type Item, n, s } from './codec';

export interface OrgLimitCondition {
  expression: string;
  names: Record<string, string>;
  values: Item;
}

export function orgLimitCondition(defaultMaxKeys: number, plans: PlanTable): OrgLimitCondition {
  const below = (value: string) => `(attribute_not_exists(active_keys) OR active_keys < ${value})`;
  const own = [
    'attribute_type(max_keys, :nullType)',
    '(attribute_type(max_keys, :numType) AND active_keys < max_keys)',
  ];
  const values: Item = { ':nullType': s('NULL'), ':numType': s('N') };
  if (defaultMaxKeys > 0) {
    own.push(`(attribute_not_exists(max_keys) AND ${below(':defaultMax')})`);
    values[':defaultMax'] = n(defaultMaxKeys);
  }
  const clauses = [`(attribute_not_exists(#plan) AND (${own.join(' OR ')}))`];
  const planNames = Object.keys(plans);
  planNames.forEach((plan, i) => {
    const limit = plans[plan] ?? null;
    // Every value must appear in the expression: a 0 limit has no clause, only the IN list below.
    if (limit !== 0 || defaultMaxKeys > 0) values[`:plan${i}`] = s(plan);
    if (limit === null) clauses.push(`#plan = :plan${i}`);
    else if (limit > 0) {
      values[`:planMax${i}`] = n(limit);
      clauses.push(`(#plan = :plan${i} AND ${below(`:planMax${i}`)})`);
    }
  });
  if (defaultMaxKeys > 0) {
    const undefinedPlan =
      planNames.length === 0
        ? 'attribute_exists(#plan)'
        : `(attribute_exists(#plan) AND NOT (#plan IN (${planNames.map((_, i) => `:plan${i}`).join(', ')})))`;
    clauses.push(`(${undefinedPlan} AND ${below(':defaultMax')})`);
  }
  return { expression: clauses.join(' OR '), names: { '#plan': ORG_ATTRIBUTES.plan }, values };
}
