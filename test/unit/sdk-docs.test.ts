/**
 * docs/sdk.md's method table against the API's schemas (lib/core/schemas.ts): the rows that spell out
 * a request body or a result name every field of it, so that a field added to the API cannot be missing
 * from the SDK's reference.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMAS } from '#core/schemas';
import { readMarkdown } from '../helpers/markdown';

const DOC = readMarkdown('docs/sdk.md');

/** The table row whose first cell starts with `` `method( ``. */
function row(method: string): string {
  const line = DOC.split('\n').find((l) => l.startsWith(`| \`${method}(`));
  if (line === undefined) throw new Error(`docs/sdk.md has no row for ${method}`);
  return line;
}

const fields = (schema: unknown): string[] => Object.keys((schema as { properties: object }).properties);

describe('docs/sdk.md method table', () => {
  it.each([
    ['createKey', fields(SCHEMAS.CreateKeyRequest)],
    ['updateKey', fields(SCHEMAS.UpdateKeyRequest)],
    ['getOrg', fields(SCHEMAS.Org)],
    ['setOrgLimit', fields(SCHEMAS.Org)],
  ])('the %s row names every field', (method, names) => {
    const text = row(method);
    for (const name of names) expect(text, `${method}: ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
  });
});
