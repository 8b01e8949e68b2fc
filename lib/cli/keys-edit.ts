/**
 * The `keys` commands that change a key in place: `keys update` (name, description, rate limit, expiry,
 * metadata), `keys disable` / `keys enable` (refused with 401 while disabled; the key keeps its slot), and
 * `keys delete`, another name for `keys revoke`.
 */
import { RATE_LIMIT_PER_MINUTE } from '../core/settings';
import { NAME_LENGTH } from '../core/validation';
import type { KeyResponse, UpdateKeyRequest } from '../sdk';
import { type Args, type Context, defineCommand } from './command';
import { usage } from './errors';
import { fields, keyFields, span, toJson } from './format';
import { optionalInteger, parseMeta } from './input';
import { keysRevoke } from './keys';
import { CREDIT_OPTIONS, creditsFrom, keysCreditsAdd } from './keys-credits';
import { flag, list, type OptionSpecs, text } from './options';
import { keysUsage } from './usage';

const ONE_KEY = { args: ['ID'], api: true } as const;
type OneKey = Args<typeof ONE_KEY.args>;

function printKey(
  ctx: Pick<Context<OptionSpecs, readonly string[]>, 'json' | 'out'>,
  res: KeyResponse,
  line: string,
) {
  if (ctx.json) return ctx.out(toJson(res));
  ctx.out(line);
  ctx.out(fields(keyFields(res.key)));
}

export const keysUpdate = defineCommand({
  name: 'keys update',
  summary: "change a key's name, description, rate limit, expiry, metadata or allowed networks",
  usage:
    'latchkey keys update ID [--name NAME] [--description TEXT] [--rate-limit N] [--expires-at ISO | --no-expiry] [--meta K=V]… [--allowed-cidr CIDR… | --any-address] [--credits N [--refill SPEC] [--refill-mode MODE] [--refill-max N] [--low-credits N] | --no-credits]',
  description:
    'Changes the given fields of a key and prints it. --description "" clears the description; --no-expiry\n' +
    'removes the expiry; --meta replaces the whole metadata map (repeat it for several entries);\n' +
    '--allowed-cidr replaces the list of networks the key may be used from, --any-address clears it;\n' +
    "--credits N (with its refill options) replaces the key's credits, --no-credits removes them. A key\n" +
    'cannot change itself, nor give another key a higher rate limit or later expiry than its own.',
  ...ONE_KEY,
  options: {
    name: text('NAME', `new name, ${span(NAME_LENGTH)} characters`),
    description: text('TEXT', 'new description ("" clears it)'),
    'rate-limit': text('N', `requests per minute, ${span(RATE_LIMIT_PER_MINUTE)}`),
    'expires-at': text('ISO', 'new expiry, a future ISO 8601 time'),
    'no-expiry': flag('the key never expires'),
    meta: list('K=V', 'a metadata entry; repeat for several (replaces the map)'),
    'allowed-cidr': list(
      'CIDR',
      'a network the key may be used from; repeat for several (replaces the list)',
    ),
    'any-address': flag('the key may be used from any address (clears the list)'),
    ...CREDIT_OPTIONS,
    'no-credits': flag('remove the key’s credits (it becomes unlimited)'),
  },
  examples: [
    'latchkey keys update 3hQx9TmP2wLk8ZrA --name billing-v2 --rate-limit 120',
    'latchkey keys update 3hQx9TmP2wLk8ZrA --meta customer=acme --meta plan=gold',
    'latchkey keys update 3hQx9TmP2wLk8ZrA --no-expiry',
    'latchkey keys update 3hQx9TmP2wLk8ZrA --allowed-cidr 10.0.0.0/8',
  ],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    const { values } = ctx;
    if (values['expires-at'] !== undefined && values['no-expiry']) {
      throw usage('give --expires-at or --no-expiry, not both');
    }
    const changes: UpdateKeyRequest = {};
    if (values.name !== undefined) changes.name = values.name;
    if (values.description !== undefined)
      changes.description = values.description === '' ? null : values.description;
    const rate = optionalInteger(values['rate-limit'], '--rate-limit');
    if (rate !== undefined) changes.rate_limit_per_minute = rate;
    if (values['expires-at'] !== undefined) changes.expires_at = values['expires-at'];
    if (values['no-expiry']) changes.expires_at = null;
    if (values.meta !== undefined) changes.metadata = parseMeta(values.meta);
    if (values['allowed-cidr'] !== undefined && values['any-address']) {
      throw usage('give --allowed-cidr or --any-address, not both');
    }
    if (values['allowed-cidr'] !== undefined) changes.allowed_cidrs = values['allowed-cidr'];
    if (values['any-address']) changes.allowed_cidrs = null;
    const credits = creditsFrom(values);
    if (credits !== undefined && values['no-credits'])
      throw usage('give --credits or --no-credits, not both');
    if (credits !== undefined) changes.credits = credits;
    if (values['no-credits']) changes.credits = null;
    if (Object.keys(changes).length === 0) throw usage('nothing to change (see latchkey keys update --help)');
    const res = await ctx.client().updateKey(id, changes);
    printKey(ctx, res, `Updated key ${res.key.id}.`);
  },
});

export const keysDisable = defineCommand({
  name: 'keys disable',
  summary: 'pause a key (401 until enabled again; it keeps its slot)',
  usage: 'latchkey keys disable ID',
  description: 'Disables a key: from the very next request it gets 401. `keys enable` brings it back.',
  ...ONE_KEY,
  options: {},
  examples: ['latchkey keys disable 3hQx9TmP2wLk8ZrA'],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    printKey(ctx, await ctx.client().disableKey(id), `Disabled key ${id}.`);
  },
});

export const keysEnable = defineCommand({
  name: 'keys enable',
  summary: 'bring a disabled key back',
  usage: 'latchkey keys enable ID',
  description: 'Enables a disabled key: it works again from the next request.',
  ...ONE_KEY,
  options: {},
  examples: ['latchkey keys enable 3hQx9TmP2wLk8ZrA'],
  async run(ctx) {
    const [id]: OneKey = ctx.args;
    printKey(ctx, await ctx.client().enableKey(id), `Enabled key ${id}.`);
  },
});

/** `keys delete`: the same command as `keys revoke` under the name people try first. */
export const keysDelete = {
  ...keysRevoke,
  name: 'keys delete',
  summary: 'another name for keys revoke',
  usage: 'latchkey keys delete ID',
  examples: ['latchkey keys delete 3hQx9TmP2wLk8ZrA'],
};

export const KEYS_EDIT_COMMANDS = [
  keysUpdate,
  keysCreditsAdd,
  keysDisable,
  keysEnable,
  keysDelete,
  keysUsage,
];
