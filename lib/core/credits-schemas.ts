/**
 * JSON Schemas of the credits shapes (`Credits`, `CreditRefill`, `CreditsRequest`, `AddCreditsRequest`),
 * with the validators' limits (`credits.ts`, `credits-validation.ts`), for the OpenAPI document's
 * `components.schemas` (spread into `SCHEMAS` in schemas.ts). Pure data.
 */
import { MAX_CREDITS, REFILL_EVERY, REFILL_MODES } from './credits';
import type { JsonSchema, PropertiesOf } from './schemas';
import type { AddCreditsRequest, ApiCreditRefill, ApiCredits, CreditsRequest } from './wire';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
const count = (min: number): JsonSchema => ({ type: 'integer', minimum: min, maximum: MAX_CREDITS });

const refill: PropertiesOf<ApiCreditRefill> = {
  amount: count(1),
  every: { type: 'string', enum: [...REFILL_EVERY], description: '`day`: at 00:00 UTC; `month`: on `day`.' },
  day: {
    type: 'integer',
    minimum: 1,
    maximum: 31,
    default: 1,
    description: "Monthly only: the day of the month, clamped to the month's length (31 → 30 April).",
  },
  mode: {
    type: 'string',
    enum: [...REFILL_MODES],
    description: '`add`: the amount is added, up to `max`; `replace`: the balance becomes the amount.',
  },
  max: {
    ...count(1),
    description: '`add` only, at least `amount`: a refill does not take the balance past it.',
  },
};

const credits: PropertiesOf<ApiCredits> = {
  remaining: {
    type: 'integer',
    minimum: 0,
    description: "The balance now (a refill due since the key's last call included).",
  },
  refill: nullable(ref('CreditRefill')),
  next_refill_at: nullable({
    type: 'string',
    format: 'date-time',
    description: 'When the next refill is due: the first call after it applies it.',
  }),
  low_threshold: nullable({
    type: 'integer',
    minimum: 1,
    description: 'A call that takes the balance below it writes `key.credits_low` to the audit trail.',
  }),
};

const request: PropertiesOf<CreditsRequest> = {
  remaining: count(0),
  refill: nullable(ref('CreditRefill')),
  low_threshold: nullable({ ...count(1), description: 'Writes `key.credits_low` when a call crosses it.' }),
};

const add: PropertiesOf<AddCreditsRequest> = {
  add: { ...count(1), description: 'Credits added to the balance, atomically.' },
};

const object = (properties: JsonSchema, required: string[], description: string): JsonSchema => ({
  type: 'object',
  description,
  properties,
  required,
  additionalProperties: false,
});

export const CREDITS_SCHEMAS = {
  CreditRefill: object(
    refill,
    ['amount', 'every', 'mode'],
    'How and when credits are refilled (lazily, by the first call of a period).',
  ),
  Credits: object(
    credits,
    ['remaining', 'refill', 'next_refill_at', 'low_threshold'],
    'A key’s credits: each allowed call spends one (or its route’s cost); below the cost the call is refused with `credits_exhausted` and nothing is spent.',
  ),
  CreditsRequest: object(
    request,
    ['remaining'],
    'Sets a key’s credits (all of them: balance, refill, threshold).',
  ),
  AddCreditsRequest: object(add, ['add'], 'A top-up: credits added to the balance atomically.'),
} as const satisfies Record<string, JsonSchema>;
