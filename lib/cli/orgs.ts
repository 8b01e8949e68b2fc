/**
 * The `orgs` command group (admin key only): read an organization's key limit and active key count,
 * and set the limit to a number (0 = no API keys) or `unlimited`, or put the organization on a plan.
 */

import type { Org } from '../sdk';
import { defineCommand } from './command';
import { usage } from './errors';
import { fields, orgFields, toJson } from './format';
import { integer, required } from './input';
import { text } from './options';

/** An organization as the commands print it: JSON with --json, else its fields. */
const orgText = (json: boolean, org: Org): string => (json ? toJson(org) : fields(orgFields(org)));

export const orgsGet = defineCommand({
  name: 'orgs get',
  summary: "show an organization's key limit and active keys (admin key)",
  usage: 'latchkey orgs get ORG',
  description: 'Shows how many active keys an organization holds and how many it may hold.',
  args: ['ORG'],
  api: true,
  options: {},
  examples: ['latchkey orgs get default'],
  async run(ctx) {
    const [orgId] = ctx.args;
    ctx.out(orgText(ctx.json, await ctx.client().getOrg(orgId)));
  },
});

export const orgsSet = defineCommand({
  name: 'orgs set',
  summary: "set an organization's key limit or plan (admin key)",
  usage: 'latchkey orgs set ORG (--max-keys N|unlimited | --plan PLAN)',
  description:
    'Sets how many active keys an organization may hold: a number (0 = no API keys) or "unlimited",\n' +
    "or puts it on one of the deployment's plans (it then follows that plan's limit).\n" +
    'Lowering it below the active count keeps existing keys working; new ones are refused.',
  args: ['ORG'],
  api: true,
  options: {
    'max-keys': text('N|unlimited', 'the limit'),
    plan: text('PLAN', "a plan of the deployment's plans setting"),
  },
  examples: [
    'latchkey orgs set acme --max-keys 10',
    'latchkey orgs set acme --max-keys unlimited',
    'latchkey orgs set acme --plan starter',
  ],
  async run(ctx) {
    const [orgId] = ctx.args;
    const plan = ctx.values.plan;
    if (plan !== undefined && ctx.values['max-keys'] !== undefined) {
      throw usage('give either --max-keys or --plan, not both');
    }
    if (plan !== undefined) return ctx.out(orgText(ctx.json, await ctx.client().setOrgPlan(orgId, plan)));
    const raw = required(ctx.values['max-keys'], '--max-keys or --plan');
    const max = raw === 'unlimited' ? null : integer(raw, '--max-keys');
    ctx.out(orgText(ctx.json, await ctx.client().setOrgLimit(orgId, max)));
  },
});

export const roles = defineCommand({
  name: 'roles',
  summary: "list the deployment's roles and their permissions",
  usage: 'latchkey roles',
  description:
    'Shows each role of the deployment with its permissions, and the role new keys get by default.',
  args: [],
  api: true,
  options: {},
  examples: ['latchkey roles', 'latchkey roles --json'],
  async run(ctx) {
    const res = await ctx.client().listRoles();
    if (ctx.json) return ctx.out(toJson(res));
    ctx.out(
      fields([
        ...Object.entries(res.roles).map(([role, perms]): [string, string] => [
          role,
          perms.join(', ') || '-',
        ]),
        ['default role', res.default_role],
      ]),
    );
  },
});

export const ORGS_COMMANDS = [orgsGet, orgsSet, roles];
