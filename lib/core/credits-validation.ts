/**
 * Validation of the credits fields of the management API: `credits` in a create or PATCH body and the
 * top-up body of `POST /v1/keys/{id}/credits`, each turned into a typed value or refused with a
 * `ValidationError` that names the field and the problem. Pure.
 */
import { type CreditRefill, MAX_CREDITS, REFILL_EVERY, REFILL_MODES, type RefillEvery } from './credits';
import { ValidationError } from './errors';
import { integerRangeText } from './settings';
import type { AddCreditsRequest, ApiCreditRefill, CreditsRequest } from './wire';

/** `credits` as validated: what `newCredits` takes. */
export interface CreditsCommand {
  remaining: number;
  refill: CreditRefill | null;
  low_threshold: number | null;
}

/** `POST /v1/keys/{id}/credits`, validated. */
export interface AddCreditsCommand {
  add: number;
}

type Json = Record<string, unknown>;

const CREDITS_FIELDS: readonly (keyof CreditsRequest)[] = ['remaining', 'refill', 'low_threshold'];
const REFILL_FIELDS: readonly (keyof ApiCreditRefill)[] = ['amount', 'every', 'day', 'mode', 'max'];
const ADD_FIELDS: readonly (keyof AddCreditsRequest)[] = ['add'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyFields(input: Json, allowed: readonly string[], path: string): void {
  for (const field of Object.keys(input)) {
    if (!allowed.includes(field))
      throw new ValidationError(path, `${path}.${field}: unknown field; allowed are ${allowed.join(', ')}`);
  }
}

function integer(value: unknown, field: string, min: number, max = MAX_CREDITS): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `${field}: must be ${integerRangeText(min, max)}`);
  return value;
}

function refillOf(value: unknown): CreditRefill | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value))
    throw new ValidationError('credits.refill', 'credits.refill: must be an object {amount, every, mode}');
  onlyFields(value, REFILL_FIELDS, 'credits.refill');
  const amount = integer(value.amount, 'credits.refill.amount', 1);
  if (!REFILL_EVERY.includes(value.every as RefillEvery))
    throw new ValidationError(
      'credits.refill.every',
      `credits.refill.every: must be ${REFILL_EVERY.join(' or ')}`,
    );
  const every = value.every as RefillEvery;
  if (!REFILL_MODES.includes(value.mode as CreditRefill['mode']))
    throw new ValidationError(
      'credits.refill.mode',
      `credits.refill.mode: must be ${REFILL_MODES.join(' or ')}`,
    );
  const mode = value.mode as CreditRefill['mode'];
  let day: number | null = null;
  if (value.day !== undefined && value.day !== null) {
    if (every !== 'month')
      throw new ValidationError(
        'credits.refill.day',
        "credits.refill.day: only a monthly refill (every 'month') has a day",
      );
    day = integer(value.day, 'credits.refill.day', 1, 31);
  }
  let max: number | null = null;
  if (value.max !== undefined && value.max !== null) {
    if (mode !== 'add')
      throw new ValidationError(
        'credits.refill.max',
        "credits.refill.max: only an 'add' refill has a cap (replace sets the amount)",
      );
    max = integer(value.max, 'credits.refill.max', 1);
    if (max < amount)
      throw new ValidationError('credits.refill.max', 'credits.refill.max: must be at least the amount');
  }
  return { amount, every, day: every === 'month' ? (day ?? 1) : null, mode, max };
}

/** `credits` of a create or PATCH body (PATCH: null removes them, and is handled by the caller). */
export function validateCredits(value: unknown): CreditsCommand {
  if (!isObject(value))
    throw new ValidationError('credits', 'credits: must be an object {remaining, refill?, low_threshold?}');
  onlyFields(value, CREDITS_FIELDS, 'credits');
  const remaining = integer(value.remaining, 'credits.remaining', 0);
  const low =
    value.low_threshold === undefined || value.low_threshold === null
      ? null
      : integer(value.low_threshold, 'credits.low_threshold', 1);
  return { remaining, refill: refillOf(value.refill), low_threshold: low };
}

/** The top-up body: `{"add": N}`, N ≥ 1. */
export function validateAddCredits(input: Json): AddCreditsCommand {
  for (const field of Object.keys(input)) {
    if (!(ADD_FIELDS as readonly string[]).includes(field))
      throw new ValidationError(field, `${field}: unknown field; allowed are ${ADD_FIELDS.join(', ')}`);
  }
  if (input.add === undefined) throw new ValidationError('add', 'add: is required (the credits to add)');
  return { add: integer(input.add, 'add', 1) };
}
