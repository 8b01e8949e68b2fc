/**
 * Reading option values: a required string, an integer (as typed by a person, checked before it is
 * sent), `--meta K=V` pairs, and a request body from text, a file (`@path`) or standard input (`@-`). Each failure is a
 * usage error (exit 2) naming the flag.
 */
import { readFileSync } from 'node:fs';
import { CliError, usage } from './errors';
import { clean } from './format';

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usage(`${flag} is required`);
  return value;
}

export function integer(raw: string, flag: string): number {
  if (!/^-?\d+$/.test(raw.trim())) throw usage(`${flag} must be an integer, got "${clean(raw)}"`);
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value)) throw usage(`${flag} is out of range`);
  return value;
}

/** An integer option that may be absent. */
export function optionalInteger(raw: string | undefined, flag: string): number | undefined {
  return raw === undefined ? undefined : integer(raw, flag);
}

/** `--meta K=V` pairs as a metadata map; `--meta k=` (empty value) is allowed, a missing `=` is not. */
export function parseMeta(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--meta takes KEY=VALUE, got "${clean(pair)}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `--data`: the text itself, `@file` for a file's contents, `@-` for standard input. */
export function readData(data: string, readStdin: () => string): string {
  if (!data.startsWith('@')) return data;
  const file = data.slice(1);
  try {
    return file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new CliError('usage_error', `cannot read --data file ${clean(file)} (${code})`, 2);
  }
}
