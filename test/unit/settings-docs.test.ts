/**
 * The two configuration tables of `docs/deploy.md` against the settings table (`lib/core/settings.ts`):
 * "Deployment configuration" lists every `latchkey:` context key and "Environment variables" every
 * environment variable a Lambda reads, each with its real default, and neither lists anything that
 * does not exist. Also checks the table itself: names, variables, defaults inside their ranges.
 */
import { describe, expect, it } from 'vitest';
import {
  allowedText,
  CONTEXT_SETTINGS,
  defaultText,
  ENV_SETTINGS,
  hasPlainDefault,
  SETTING_DOCS,
  SETTINGS,
  type SettingName,
  setting,
  settingsHelp,
} from '#core/settings';
import { readMarkdown } from '../helpers/markdown';

const DOC = 'docs/deploy.md';
const DEPLOY = readMarkdown(DOC);

/** The rows of the first table after `heading`, as arrays of trimmed cells (header and rule skipped). */
function tableAfter(heading: string): string[][] {
  const lines = DEPLOY.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${DOC} has no heading ${JSON.stringify(heading)}`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first + 2; i < lines.length && lines[i]?.startsWith('|'); i++) {
    // Split on cell borders, not on `\|` inside a cell.
    const cells = (lines[i] ?? '').split(/(?<!\\)\|/).slice(1, -1);
    rows.push(cells.map((cell) => cell.trim()));
  }
  return rows;
}

/**
 * Documented default per name. A row may name several settings (`a` / `b`, or `a`, `b`): its default
 * cell then has one part per name (`500` / `1000`), or one default for all of them.
 */
function documentedDefaults(rows: string[][]): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const [names = '', cell = ''] of rows) {
    const keys = [...names.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    const parts = cell.split(' / ');
    keys.forEach((key, i) => {
      expect(defaults.has(key), `${key} documented twice`).toBe(false);
      defaults.set(key, parts.length === keys.length && keys.length > 1 ? (parts[i] ?? '') : cell);
    });
  }
  return defaults;
}

/** How the docs must show a setting's default: `60` as code, descriptions ("off") as text. */
function expectedDefault(name: SettingName): string {
  return hasPlainDefault(name) ? `\`${defaultText(name)}\`` : defaultText(name);
}

describe('docs/deploy.md "Deployment configuration" (context keys)', () => {
  const documented = documentedDefaults(tableAfter('## Deployment configuration'));

  it('documents every context key and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...CONTEXT_SETTINGS].sort());
  });

  it.each(CONTEXT_SETTINGS.map((name) => [name]))('%s: shows the real default', (name) => {
    expect(documented.get(name)).toBe(expectedDefault(name));
  });
});

describe('docs/deploy.md "Environment variables"', () => {
  const documented = documentedDefaults(tableAfter('## Environment variables'));
  const byVariable = new Map(ENV_SETTINGS.map((name) => [SETTINGS[name].env, name]));

  it('documents every variable a Lambda reads and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...byVariable.keys()].sort());
  });

  it.each([...byVariable])('%s: shows the real default', (variable, name) => {
    expect(documented.get(variable)).toBe(expectedDefault(name));
  });
});

describe('the settings table', () => {
  const names = Object.keys(SETTINGS) as SettingName[];

  it('every environment variable is a distinct LATCHKEY_* name', () => {
    const variables = ENV_SETTINGS.map((name) => SETTINGS[name].env);
    for (const variable of variables) expect(variable).toMatch(/^LATCHKEY_[A-Z_]+$/);
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('every setting can be set somewhere: as a context key or as an environment variable', () => {
    for (const name of names)
      expect(CONTEXT_SETTINGS.includes(name as never) || 'env' in SETTINGS[name]).toBe(true);
  });

  it.each(names.map((name) => [name]))(
    '%s: the default is allowed by its own range, and it has a doc line',
    (name) => {
      const spec = setting(name);
      expect(SETTING_DOCS[name].doc.length).toBeGreaterThan(10);
      if (spec.kind === 'integer' && spec.default !== undefined) {
        expect(Number.isInteger(spec.default)).toBe(true);
        if (spec.min !== undefined) expect(spec.default).toBeGreaterThanOrEqual(spec.min);
        if (spec.max !== undefined) expect(spec.default).toBeLessThanOrEqual(spec.max);
        if (spec.values) expect(spec.values).toContain(spec.default);
      }
      if (spec.kind === 'number') expect(spec.default).toBeGreaterThan(spec.above);
      if (spec.kind === 'string' && spec.default !== undefined) {
        if (spec.values) expect(spec.values).toContain(spec.default);
        if (spec.pattern) expect(spec.default).toMatch(spec.pattern);
      }
    },
  );

  it('gives the help a row per setting with its key, variable, default and allowed values', () => {
    const help = settingsHelp();
    expect(help.map((row) => row.name)).toEqual(names);
    expect(help.find((row) => row.name === 'defaultRateLimit')).toEqual({
      name: 'defaultRateLimit',
      contextKey: 'latchkey:defaultRateLimit',
      env: 'LATCHKEY_DEFAULT_RATE_LIMIT',
      default: '60',
      allowed: '1-100000',
      unit: 'requests per minute',
      doc: SETTING_DOCS.defaultRateLimit.doc,
    });
    expect(allowedText('executionLogLevel')).toBe('ERROR or INFO');
    expect(defaultText('roleMatrix')).toBe('admin / member / viewer');
    expect(help.find((row) => row.name === 'tableName')?.contextKey).toBeUndefined();
  });
});
