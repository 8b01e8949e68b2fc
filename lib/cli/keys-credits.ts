/**
 * Credits in the CLI: the `--credits`, `--refill`, `--refill-mode`, `--refill-max` and `--low-credits`
 * options that `keys create` and `keys update` share (read into the API's `credits` body), how a key's
 * credits are printed, and `keys credits add ID N`, the atomic top-up.
 */
import type { CreditsRequest, KeyResponse } from '../sdk';
import { type Args, defineCommand } from './command';
import { usage } from './errors';
import { clean, fields, keyFields, toJson } from './format';
import { integer, optionalInteger } from './input';
import { defineOptions, text } from './options';

export const CREDIT_OPTIONS = defineOptions({
  credits: text('N', 'a credit balance: each allowed call spends one (or its route’s cost)'),
  refill: text('SPEC', 'refill with --credits: AMOUNT/day, AMOUNT/month or AMOUNT/month@DAY (UTC)'),
  'refill-mode': text('MODE', 'replace (default: the balance becomes AMOUNT) or add (AMOUNT is added)'),
  'refill-max': text('N', 'add mode: the balance a refill does not go past'),
  'low-credits': text('N', 'write key.credits_low to the audit trail when a call takes the balance below N'),
});

type CreditValues = {
  credits?: string | undefined;
  refill?: string | undefined;
  'refill-mode'?: string | undefined;
  'refill-max'?: string | undefined;
  'low-credits'?: string | undefined;
};

const REFILL_RE = /^(\d+)\/(day|month)(?:@(\d{1,2}))?$/;

/** The `credits` body from the options, or undefined when none was given. */
export function creditsFrom(values: CreditValues): CreditsRequest | undefined {
  const remaining = optionalInteger(values.credits, '--credits');
  const others = (['refill', 'refill-mode', 'refill-max', 'low-credits'] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (remaining === undefined) {
    if (others.length > 0) throw usage(`--${others[0]} needs --credits N (the balance)`);
    return undefined;
  }
  const body: CreditsRequest = { remaining };
  const low = optionalInteger(values['low-credits'], '--low-credits');
  if (low !== undefined) body.low_threshold = low;
  if (values.refill === undefined) {
    if (values['refill-mode'] !== undefined || values['refill-max'] !== undefined)
      throw usage('--refill-mode and --refill-max need --refill');
    return body;
  }
  const match = REFILL_RE.exec(values.refill.trim());
  if (match === null)
    throw usage(`--refill takes AMOUNT/day, AMOUNT/month or AMOUNT/month@DAY, got "${clean(values.refill)}"`);
  const [, amount, every, day] = match;
  if (day !== undefined && every !== 'month') throw usage('--refill: only a monthly refill has a @DAY');
  const mode = values['refill-mode'] ?? 'replace';
  if (mode !== 'add' && mode !== 'replace')
    throw usage(`--refill-mode is add or replace, got "${clean(mode)}"`);
  const max = optionalInteger(values['refill-max'], '--refill-max');
  body.refill = {
    amount: integer(amount as string, '--refill'),
    every: every as 'day' | 'month',
    mode,
    ...(day === undefined ? {} : { day: integer(day, '--refill') }),
    ...(max === undefined ? {} : { max }),
  };
  return body;
}

const TOP_UP = { args: ['add', 'ID', 'N'], api: true } as const;

/** `keys credits add ID N`: the one action on a key's credits besides create and update. */
export const keysCreditsAdd = defineCommand({
  name: 'keys credits',
  summary: "add credits to a key's balance (atomic)",
  usage: 'latchkey keys credits add ID N',
  description:
    "Adds N credits to the key's balance in one atomic write (concurrent calls and top-ups all count)\n" +
    'and prints the key. A key without credits is unlimited: set them with keys update --credits first.',
  ...TOP_UP,
  options: {},
  examples: ['latchkey keys credits add 3hQx9TmP2wLk8ZrA 500'],
  async run(ctx) {
    const [action, id, n]: Args<typeof TOP_UP.args> = ctx.args;
    if (action !== 'add') throw usage(`keys credits takes add ID N, got "${clean(action)}"`);
    const res: KeyResponse = await ctx.client().addCredits(id, integer(n, 'N'));
    if (ctx.json) return ctx.out(toJson(res));
    ctx.out(`Added ${n} credits to key ${res.key.id}.`);
    ctx.out(fields(keyFields(res.key)));
  },
});
