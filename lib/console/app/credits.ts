/**
 * A key's credits in the console (protocol §5.10): the "Credits" section of a key's page (balance,
 * refill in words, next refill in UTC, low threshold; "Unlimited" for a key without credits), the "Add
 * credits" dialog (`POST /v1/keys/{id}/credits`, the new balance said after), and the credits fields
 * the create and edit dialogs share, read into the `credits` body of `POST`/`PATCH /v1/keys`. The
 * fields check what they can before sending and name the field in their message; the API's own refusal
 * is shown as it answers.
 */

import { MAX_CREDITS } from '#core/credits';
import type { ApiCreditRefill, ApiCredits, CreditsRequest, KeyResponse } from '#core/wire';
import { api } from './api';
import { h } from './dom';
import { num, type ShownKey, timeEl } from './format';
import { announce, field, openDialog } from './ui';

/** "1,000 every month on day 15, added up to 5,000", "500 every day, replacing the balance". */
export function refillText(refill: ApiCreditRefill): string {
  const when = refill.every === 'day' ? 'every day' : `every month on day ${refill.day ?? 1}`;
  const how =
    refill.mode === 'replace'
      ? 'replacing the balance'
      : refill.max === undefined
        ? 'added'
        : `added up to ${num(refill.max)}`;
  return `${num(refill.amount)} ${when}, ${how}`;
}

/** The key page's "Credits" content: a definition list, or "Unlimited" for a key without credits. */
export function creditsDetails(credits: ApiCredits | null): HTMLElement {
  if (credits === null) return h('p', {}, 'Unlimited: this key has no credits, so calls spend nothing.');
  const rows: [string, ReturnType<typeof timeEl>][] = [
    ['Balance', `${num(credits.remaining)} credits`],
    ['Refill', credits.refill ? refillText(credits.refill) : 'None'],
    ['Next refill', credits.next_refill_at ? timeEl(credits.next_refill_at) : 'None'],
    ['Low threshold', credits.low_threshold === null ? 'None' : `Below ${num(credits.low_threshold)}`],
  ];
  return h(
    'dl',
    { class: 'fields' },
    rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

/**
 * A number field's attributes: `step: 'any'` keeps the browser's own step check (which would block the
 * submit with a bubble of its own) out of the way, so `wholeNumber` can say what is wrong, by name.
 */
const NUMBER = { type: 'number', inputmode: 'numeric', step: 'any' } as const;

/** A whole number from a field, or null when it is empty; anything else is refused naming the field. */
function wholeNumber(input: HTMLInputElement, label: string, min: number): number | null {
  const text = input.value.trim();
  if (text === '') return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > MAX_CREDITS)
    throw new Error(`${label}: enter a whole number from ${num(min)} to ${num(MAX_CREDITS)}.`);
  return value;
}

/** Serialises a credits body so two can be compared (field order fixed). */
function creditsKey(credits: CreditsRequest | null): string {
  if (credits === null) return 'null';
  const r = credits.refill ?? null;
  return JSON.stringify([
    credits.remaining,
    r && [r.amount, r.every, r.every === 'month' ? (r.day ?? 1) : null, r.mode, r.max ?? null],
    credits.low_threshold ?? null,
  ]);
}

/** A key's credits as a request body that would set them as they stand (null: none). */
export function creditsRequestOf(credits: ApiCredits | null): CreditsRequest | null {
  if (credits === null) return null;
  return { remaining: credits.remaining, refill: credits.refill, low_threshold: credits.low_threshold };
}

export function sameCredits(a: CreditsRequest | null, b: CreditsRequest | null): boolean {
  return creditsKey(a) === creditsKey(b);
}

export interface CreditsFields {
  el: HTMLElement;
  /** The `credits` body the fields say: null when the balance is empty (no credits: unlimited). */
  read: () => CreditsRequest | null;
}

/**
 * The "Credits" fieldset: a balance (empty: unlimited), a refill (none, every day or every month; its
 * amount, day of the month, mode and cap) and a low threshold. The rest is enabled once there is a
 * balance; the day only for a monthly refill and the cap only for an `add` one, as the API takes them.
 */
export function creditsFields(current: ApiCredits | null, balanceLabel: string, hint: string): CreditsFields {
  const refill = current?.refill ?? null;
  const balance = h('input', { ...NUMBER, value: current?.remaining ?? '' });
  const every = h(
    'select',
    {},
    h('option', { value: '', selected: refill === null }, 'No refill'),
    h('option', { value: 'day', selected: refill?.every === 'day' }, 'Every day (00:00 UTC)'),
    h('option', { value: 'month', selected: refill?.every === 'month' }, 'Every month'),
  );
  const amount = h('input', { ...NUMBER, value: refill?.amount ?? '' });
  const day = h('input', { ...NUMBER, value: refill?.day ?? '' });
  const mode = h(
    'select',
    {},
    h('option', { value: 'add', selected: refill?.mode !== 'replace' }, 'Add to the balance'),
    h('option', { value: 'replace', selected: refill?.mode === 'replace' }, 'Replace the balance'),
  );
  const max = h('input', { ...NUMBER, value: refill?.max ?? '' });
  const low = h('input', { ...NUMBER, value: current?.low_threshold ?? '' });
  // Without a balance there are no credits, so the rest is off; without a refill, its details.
  const sync = () => {
    const none = balance.value.trim() === '';
    const noRefill = none || every.value === '';
    every.disabled = none;
    low.disabled = none;
    amount.disabled = noRefill;
    mode.disabled = noRefill;
    day.disabled = noRefill || every.value !== 'month';
    max.disabled = noRefill || mode.value !== 'add';
  };
  sync();
  const el = h(
    'fieldset',
    { class: 'credits', on: { input: sync, change: sync } },
    h('legend', {}, 'Credits'),
    field(balanceLabel, balance, hint),
    field('Refill', every),
    field('Refill amount', amount),
    field('Refill day of the month', day, '1–31; a later day than the month has is its last day. Default 1.'),
    field('Refill mode', mode),
    field('Refill cap', max, 'Optional; an added refill stops at this balance.'),
    field('Low threshold', low, 'Optional; a call that takes the balance below it is audited.'),
  );
  const read = (): CreditsRequest | null => {
    const remaining = wholeNumber(balance, balanceLabel, 0);
    if (remaining === null) return null;
    const body: CreditsRequest = {
      remaining,
      refill: null,
      low_threshold: wholeNumber(low, 'Low threshold', 1),
    };
    if (every.value === 'day' || every.value === 'month') {
      const refillAmount = wholeNumber(amount, 'Refill amount', 1);
      if (refillAmount === null) throw new Error('Refill amount: enter the credits each refill gives.');
      const r: ApiCreditRefill = {
        amount: refillAmount,
        every: every.value,
        mode: mode.value === 'replace' ? 'replace' : 'add',
      };
      if (every.value === 'month') {
        const d = wholeNumber(day, 'Refill day of the month', 1);
        if (d !== null && d > 31) throw new Error('Refill day of the month: enter a day from 1 to 31.');
        if (d !== null) r.day = d;
      }
      if (r.mode === 'add') {
        const cap = wholeNumber(max, 'Refill cap', 1);
        if (cap !== null && cap < refillAmount)
          throw new Error('Refill cap: enter at least the refill amount.');
        if (cap !== null) r.max = cap;
      }
      body.refill = r;
    }
    return body;
  };
  return { el, read };
}

/** The edit dialog's line for a credits change, or null when they are unchanged. */
export function creditsChange(before: ApiCredits | null, after: CreditsRequest | null): string | null {
  if (sameCredits(creditsRequestOf(before), after)) return null;
  if (after === null) return 'Credits: removed (unlimited)';
  if (before === null) return `Credits: set, balance ${num(after.remaining)}`;
  return before.remaining === after.remaining
    ? 'Credits: refill or threshold changed'
    : `Credits: balance ${num(before.remaining)} → ${num(after.remaining)}`;
}

/** The "Add credits" dialog: a number, added atomically; the new balance is said after. */
export function addCreditsDialog(key: ShownKey, done: () => void): void {
  const add = h('input', { ...NUMBER });
  openDialog({
    title: `Add credits to “${key.name}”`,
    body: [
      h(
        'p',
        {},
        `Balance now: ${num(key.credits?.remaining)} credits. The credits are added in one write, whatever calls spend meanwhile.`,
      ),
      field('Credits to add', add),
    ],
    confirmLabel: 'Add credits',
    onConfirm: async () => {
      const amount = wholeNumber(add, 'Credits to add', 1);
      if (amount === null) throw new Error('Credits to add: enter how many credits to add.');
      const res = await api<KeyResponse>('addCredits', { params: { id: key.id }, body: { add: amount } });
      announce(
        `Added ${num(amount)} credits to “${res.key.name}”: the balance is now ${num(res.key.credits?.remaining)}.`,
      );
      done();
    },
  });
}
