/**
 * The `orgs` command group (admin key only): read an organization's key limit and active key count,
 * and set the limit to a number (0 = no API keys) or `unlimited`.
 */
import { defineCommand } from './command';
import { fields, orgFields, toJson } from './format';
import { integer, required } from './input';
import { text } from './options';

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
    const org = await ctx.client().getOrg(orgId);
    if (ctx.json) return ctx.out(toJson(org));
    ctx.out(fields(orgFields(org)));
  },
});

export const orgsSet = defineCommand({
  name: 'orgs set',
  summary: "set an organization's key limit (admin key)",
  usage: 'latchkey orgs set ORG --max-keys N|unlimited',
  description:
    'Sets how many active keys an organization may hold: a number (0 = no API keys) or "unlimited".\n' +
    'Lowering it below the active count keeps existing keys working; new ones are refused.',
  args: ['ORG'],
  api: true,
  options: {
    'max-keys': text('N|unlimited', 'the limit (required)'),
  },
  examples: ['latchkey orgs set acme --max-keys 10', 'latchkey orgs set acme --max-keys unlimited'],
  async run(ctx) {
    const [orgId] = ctx.args;
    const raw = required(ctx.values['max-keys'], '--max-keys');
    const max = raw === 'unlimited' ? null : integer(raw, '--max-keys');
    const org = await ctx.client().setOrgLimit(orgId, max);
    if (ctx.json) return ctx.out(toJson(org));
    ctx.out(fields(orgFields(org)));
  },
});

export const ORGS_COMMANDS = [orgsGet, orgsSet];
