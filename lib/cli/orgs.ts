/**
 * The `orgs` command group (admin key only): list organizations, read an organization's key limit and
 * active key count, and set the limit to a number (0 = no API keys) or `unlimited`, or put the organization on a plan.
 */

import { LIST_PAGE_SIZE } from '../core/validation';
import type { ListOrgsQuery, Org } from '../sdk';
import { defineCommand } from './command';
import { usage } from './errors';
import { fields, orgFields, orgTable, span, toJson } from './format';
import { integer, required } from './input';
import { text } from './options';

/** An organization as the commands print it: JSON with --json, else its fields. */
const orgText = (json: boolean, org: Org): string => (json ? toJson(org) : fields(orgFields(org)));

export const orgsList = defineCommand({
  name: 'orgs list',
  summary: 'list every organization with its plan, limit and active keys (admin key)',
  usage: 'latchkey orgs list [--limit N [--cursor C]]',
  description:
    'Lists every organization that has keys or a limit or plan of its own, by org id, following every\n' +
    `page. With --limit, prints one page of at most N (${span(LIST_PAGE_SIZE)}) and the cursor of the next.`,
  args: [],
  api: true,
  options: {
    limit: text('N', `one page of at most N organizations (${span(LIST_PAGE_SIZE)})`),
    cursor: text('C', 'the page after this cursor (with --limit)'),
  },
  examples: ['latchkey orgs list', 'latchkey orgs list --json', 'latchkey orgs list --limit 20'],
  async run(ctx) {
    const { values } = ctx;
    const client = ctx.client();
    if (values.limit !== undefined || values.cursor !== undefined) {
      const params: ListOrgsQuery = {};
      if (values.limit !== undefined) params.limit = integer(values.limit, '--limit');
      if (values.cursor !== undefined) params.cursor = values.cursor;
      const page = await client.listOrgs(params);
      if (ctx.json) return ctx.out(toJson(page));
      ctx.out(orgTable(page.orgs));
      if (page.next_cursor !== null)
        ctx.err(`More organizations: latchkey orgs list --limit … --cursor ${page.next_cursor}`);
      return;
    }
    const orgs: Org[] = [];
    for await (const org of client.iterateOrgs({ limit: LIST_PAGE_SIZE.max })) orgs.push(org);
    if (ctx.json) return ctx.out(toJson({ orgs, next_cursor: null }));
    ctx.out(orgTable(orgs));
  },
});

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

export const plans = defineCommand({
  name: 'plans',
  summary: "list the deployment's plans and their key limits (admin key)",
  usage: 'latchkey plans',
  description:
    'Shows each plan of the deployment (the plans setting) with its key limit: the names\n' +
    '`latchkey orgs set ORG --plan NAME` accepts.',
  args: [],
  api: true,
  options: {},
  examples: ['latchkey plans', 'latchkey plans --json'],
  async run(ctx) {
    const res = await ctx.client().listPlans();
    if (ctx.json) return ctx.out(toJson(res));
    const rows = Object.entries(res.plans).map(([plan, max]): [string, string] => [
      plan,
      max === null ? 'unlimited' : `${max} keys`,
    ]);
    ctx.out(rows.length ? fields(rows) : 'No plans.');
  },
});

export const ORGS_COMMANDS = [orgsList, orgsGet, orgsSet, roles, plans];
