/**
 * Bounded mode's shutdown flush needs nothing from the stack: the authorizer registers an internal
 * extension itself (lambdas/runtime/shutdown.ts). The template keeps it that way — no layer (an external
 * extension would add a process to every cold start and stretch the shutdown phase to 2 s) — and keeps
 * the authorizer in bounded mode by default, the mode the flush is for.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '#core/settings';
import { propsOf, resourcesOf, SYNTH_TIMEOUT, synthLatchkey } from './support';

let template: Template;
beforeAll(() => {
  template = synthLatchkey().template;
}, SYNTH_TIMEOUT.timeout);

describe('the authorizer function and the shutdown flush', () => {
  it('runs in bounded mode by default and carries no layer (no external extension)', () => {
    const authorizers = resourcesOf(template, 'AWS::Lambda::Function').filter(
      ([, fn]) =>
        (propsOf(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
          SETTINGS.adminKeySecretId.env
        ] !== undefined,
    );
    expect(authorizers).toHaveLength(1);
    const [, authorizer] = authorizers[0] as [string, Record<string, unknown>];
    const props = propsOf(authorizer);
    expect(
      (props.Environment as { Variables: Record<string, unknown> }).Variables[SETTINGS.verifyMode.env],
    ).toBe('bounded');
    expect(props.Layers).toBeUndefined();
  });
});
