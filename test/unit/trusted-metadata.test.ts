import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError } from '#core/errors';
import { metadataOnCreate, metadataOnEdit, TRUSTED_METADATA_PREFIX } from '#core/trusted-metadata';
import { keyRecord } from '../helpers/records';

const caller = keyRecord({ metadata: { op_plan: 'free', op_customer: 'c_1', note: 'mine' } });
const target = keyRecord({ id: 'T'.repeat(16), metadata: { op_plan: 'free', team: 'a' } });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('the prefix', () => {
  it('is op_', () => expect(TRUSTED_METADATA_PREFIX).toBe('op_'));
});

describe('metadataOnCreate', () => {
  it('the admin key sets any entry', () => {
    expect(metadataOnCreate(null, { op_plan: 'pro', x: '1' })).toEqual({ op_plan: 'pro', x: '1' });
  });

  it("a key hands on its own trusted entries exactly, with the tenant's entries requested", () => {
    expect(metadataOnCreate(caller, { team: 'x' })).toEqual({
      op_plan: 'free',
      op_customer: 'c_1',
      team: 'x',
    });
    expect(metadataOnCreate(caller, { op_plan: 'free' })).toEqual({ op_plan: 'free', op_customer: 'c_1' });
    // Its tenant-controlled entries are not handed on.
    expect(metadataOnCreate(caller, {})).not.toHaveProperty('note');
  });

  it.each([[{ op_plan: 'pro' }], [{ op_other: 'x' }]])(
    'a key naming another trusted value or entry is refused (403): %j',
    (requested) => {
      const error = thrown(() => metadataOnCreate(caller, requested));
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('forbidden');
    },
  );

  it('the handed-on map must still be within the limits (400)', () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    expect(thrown(() => metadataOnCreate(caller, nine))).toBeInstanceOf(ValidationError);
  });
});

describe('metadataOnEdit', () => {
  it('the admin key replaces the whole map, trusted entries included', () => {
    expect(metadataOnEdit(null, target, {})).toEqual({});
    expect(metadataOnEdit(null, target, { op_plan: 'pro' })).toEqual({ op_plan: 'pro' });
  });

  it("a key replaces the tenant entries; the target's trusted entries stay", () => {
    expect(metadataOnEdit(caller, target, {})).toEqual({ op_plan: 'free' });
    expect(metadataOnEdit(caller, target, { op_plan: 'free', team: 'b' })).toEqual({
      op_plan: 'free',
      team: 'b',
    });
  });

  it.each([
    [{ op_plan: 'pro' }],
    // The caller holds op_customer, but the target was not given it.
    [{ op_customer: 'c_1' }],
  ])('a key cannot set or change a trusted entry (403): %j', (requested) => {
    expect((thrown(() => metadataOnEdit(caller, target, requested)) as ApiError).code).toBe('forbidden');
  });
});
